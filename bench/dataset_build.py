"""Benchmark the dataset builder against a naive pandas baseline, on synthetic raw filings.

    .venv/bin/python bench/dataset_build.py                 # 1M and 2M filings
    .venv/bin/python bench/dataset_build.py --filings 200000 --work /tmp/bench --naive-formats csv parquet
    .venv/bin/python bench/dataset_build.py --scale register    # 2.5M EUIPO XML + 5M USPTO CSV (register_scale.py)
    .venv/bin/python bench/dataset_build.py --scale register --euipo 400000 --uspto 1000000  # a smaller machine

For each size N: N synthetic filings are written as raw input (CSV and Parquet, the generic columns), then, each in
its own process (so peak RSS is per run): a bare pyarrow read of the input; a floor, the least any builder of these
outputs does (read with pyarrow, sort the filings by owner, date and number, write both configs with the builder's
Parquet options; no validation, normalisation, deduplication, splits or card); the project's builder
(`build_dataset(source="csv"|"parquet")`, card included); and a naive baseline (pandas, per-row Python
normalisation, groupby-apply into firm sequences, `Dataset.from_pandas` + `to_parquet`; by default on the CSV input
only, as it is slow). Library imports happen before each clock starts. Prints filings/s, peak RSS and the ratios.
`--repeat K` runs each measurement except the naive one K times and keeps the fastest (the machine may be shared).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ["application_number", "filing_date", "nice_classes", "owner", "goods_services"]  # the raw input columns

# --- The runs (each executed in a fresh process: `python bench/dataset_build.py --run KIND PATH OUT`) -----------


def run_bare_read(path: Path, out: Path) -> int:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pacsv.read_csv(path) if path.suffix == ".csv" else pq.read_table(path)
    return table.num_rows


def run_floor(path: Path, out: Path) -> int:
    """Read, sort, write both configs: the work no builder of these outputs can skip (all in memory)."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from dataset_builder.build import PARQUET_OPTIONS
    from dataset_builder.schema import FILINGS_FEATURES, SEQUENCES_FEATURES

    if path.suffix == ".csv":
        table = pacsv.read_csv(
            path, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(RAW, pa.string()))
        )
    else:
        table = pq.read_table(path)
    table = table.take(
        pc.sort_indices(table, [(c, "ascending") for c in ("owner", "filing_date", "application_number")])
    )
    owner, n = table.column("owner").combine_chunks(), table.num_rows
    filings = pa.table(
        {
            "firm_id": owner,
            "firm_name": owner,
            "application_number": table.column("application_number"),
            "filing_date": pc.cast(pc.strptime(table.column("filing_date"), "%Y-%m-%d", "s"), pa.date32()),
            "nice_classes": pc.cast(pc.split_pattern(table.column("nice_classes"), ";"), pa.list_(pa.int8())),
            "terms": pc.split_pattern(table.column("goods_services"), "; "),
            "goods_services": table.column("goods_services"),
            "source": pa.repeat(path.suffix[1:], n),
        }
    ).combine_chunks()
    starts = np.flatnonzero(pc.not_equal(owner.slice(1), owner.slice(0, n - 1)).to_numpy(zero_copy_only=False)) + 1
    offsets = pa.array(np.concatenate([[0], starts, [n]]).astype(np.int32))
    fields = ["application_number", "filing_date", "nice_classes", "terms", "goods_services"]
    firms = owner.take(offsets.slice(0, len(offsets) - 1))
    sequences = pa.table(
        {
            "firm_id": firms,
            "firm_name": firms,
            "n_filings": pc.subtract(offsets.slice(1), offsets.slice(0, len(offsets) - 1)),
            "filings": pa.ListArray.from_arrays(
                offsets, pa.StructArray.from_arrays([filings.column(f).chunk(0) for f in fields], names=fields)
            ),
            "oracle_last_filing_class_probs": pa.nulls(len(firms), pa.list_(pa.float32())),
        }
    )
    out.mkdir(parents=True, exist_ok=True)

    def write(config: str, rows: pa.Table, features, group: int) -> None:
        pq.write_table(rows.cast(features.arrow_schema), out / f"{config}.parquet", row_group_size=group,
                       **PARQUET_OPTIONS[config])  # fmt: skip

    with ThreadPoolExecutor(2) as pool:  # as the builder does, both configs at once
        jobs = [
            pool.submit(write, "filings", filings, FILINGS_FEATURES, 100_000),
            pool.submit(write, "sequences", sequences, SEQUENCES_FEATURES, 6_000),
        ]
        for job in jobs:
            job.result()
    return n


def run_builder(path: Path, out: Path) -> int:
    from dataset_builder.build import build_dataset

    report = build_dataset(out, source=path.suffix.lstrip("."), inputs=[path])
    return report.records_read


def run_naive(path: Path, out: Path) -> int:
    """What one writes without thinking about scale: pandas, Python per row, groupby-apply, from_pandas."""
    import re
    import unicodedata

    import pandas as pd
    from datasets import Dataset

    from dataset_builder.normalize import LEGAL_FORMS
    from dataset_builder.schema import SEQUENCES_FEATURES

    df = pd.read_csv(path, dtype=str) if path.suffix == ".csv" else pd.read_parquet(path)
    suffix = re.compile(r"(\s(and\s)?(" + "|".join(sorted(LEGAL_FORMS, key=len, reverse=True)) + r"))+$")

    def firm_id(name: str) -> str:
        s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().replace("&", " and ")
        s = " ".join(re.sub(r"[^\w]+", " ", s.replace("'", "")).split())
        return (suffix.sub("", " " + s).strip() or s).replace(" ", "-")

    def terms(text: str) -> list[str]:
        parts = (re.sub(r"^\s*class\s+\d+\s*:", "", p.lower()).strip(" .:-") for p in re.split(r"[;,]", text or ""))
        return list(dict.fromkeys(p for p in parts if p))

    df["firm_id"] = df["owner"].map(firm_id)
    df["filing_date"] = pd.to_datetime(df["filing_date"], errors="coerce").dt.date
    df["nice_classes"] = df["nice_classes"].map(lambda s: sorted({int(c) for c in re.split(r"[;,\s]+", s) if c}))
    df["terms"] = df["goods_services"].map(terms)
    df = df.drop_duplicates("application_number")

    def to_row(g: pd.DataFrame) -> pd.Series:
        g = g.sort_values(["filing_date", "application_number"])
        filings = g[["application_number", "filing_date", "nice_classes", "terms", "goods_services"]].to_dict(
            "records"
        )
        return pd.Series(
            {"firm_name": g["owner"].mode().iloc[0], "n_filings": len(g), "filings": filings,
             "oracle_last_filing_class_probs": None}
        )  # fmt: skip

    seqs = df.groupby("firm_id").apply(to_row).reset_index()
    seqs = seqs[seqs["n_filings"] >= 2]
    ds = Dataset.from_pandas(seqs, features=SEQUENCES_FEATURES, preserve_index=False)
    out.mkdir(parents=True, exist_ok=True)
    ds.to_parquet(str(out / "sequences.parquet"))
    return len(df)


RUNS = {"read": run_bare_read, "floor": run_floor, "builder": run_builder, "naive": run_naive}


PRELOAD = {  # libraries imported before the clock starts (import time is not throughput)
    "read": ["pyarrow.csv", "pyarrow.parquet"],
    "floor": ["pyarrow.csv", "pyarrow.parquet", "pyarrow.compute", "numpy", "dataset_builder.build"],
    "builder": ["dataset_builder.build", "model_cards.dataset_card", "datasets", "matplotlib.pyplot"],
    "naive": ["pandas", "datasets", "dataset_builder.schema"],
}


def _peak_rss_mb() -> float:
    """This process's peak RSS. Not `ru_maxrss`: Linux carries the parent's high-water mark across fork+exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(kind: str, path: Path, out: Path) -> None:
    import importlib

    sys.path.insert(0, str(ROOT))
    for module in PRELOAD[kind]:
        importlib.import_module(module)
    started = time.perf_counter()
    n = RUNS[kind](path, out)
    seconds = time.perf_counter() - started
    peak_mb = _peak_rss_mb()
    print(json.dumps({"kind": kind, "rows": n, "seconds": seconds, "peak_rss_mb": peak_mb}))


def measure(kind: str, path: Path, out: Path, repeat: int = 1) -> dict:
    """Run `kind` in a fresh process `repeat` times; the fastest run."""
    runs = []
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, __file__, "--run", kind, str(path), str(out)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{kind} on {path} failed:\n{proc.stderr[-3000:]}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return min(runs, key=lambda r: r["seconds"])


# --- Inputs --------------------------------------------------------------------------------------------------


def write_inputs(n_filings: int, work: Path, seed: int = 0) -> dict[str, Path]:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT))
    from dataset_builder.synthetic import SyntheticConfig, generate

    paths = {"csv": work / f"raw-{n_filings}.csv", "parquet": work / f"raw-{n_filings}.parquet"}
    if all(p.exists() for p in paths.values()):
        return paths
    work.mkdir(parents=True, exist_ok=True)
    n_firms = max(10, round(n_filings / 15.6))
    raw = generate(SyntheticConfig(n_firms=n_firms, seed=seed)).raw
    while raw.num_rows < n_filings:  # top up with more firms (another seed; names are distinct per seed suffix)
        n_firms = round(n_firms * n_filings / raw.num_rows) + 10
        raw = generate(SyntheticConfig(n_firms=n_firms, seed=seed)).raw
    raw = raw.slice(0, n_filings)
    pacsv.write_csv(raw, paths["csv"])
    pq.write_table(raw, paths["parquet"])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--filings", type=int, nargs="+", default=[1_000_000, 2_000_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/dataset-bench"))
    parser.add_argument("--formats", nargs="+", default=["csv", "parquet"])
    parser.add_argument("--naive-formats", nargs="*", default=["csv"], help="inputs the naive baseline runs on")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (the fastest counts; not naive)")
    parser.add_argument(
        "--scale",
        choices=["default", "register"],
        default="default",
        help="register: real-format EUIPO XML and USPTO CSV at register size (bench/register_scale.py)",
    )
    parser.add_argument("--euipo", type=int, default=2_500_000, help="register scale: EUIPO trade marks")
    parser.add_argument("--uspto", type=int, default=5_000_000, help="register scale: USPTO case files")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path.home() / ".cache" / "marketbert-bench",
        help="register scale: where the generated inputs are kept between runs",
    )
    parser.add_argument("--run", nargs=3, metavar=("KIND", "PATH", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--run-register", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_register or args.scale == "register":
        sys.path.insert(0, str(ROOT))
        from bench import register_scale

        if args.run_register:
            kind, source, folder, workers, out = args.run_register
            register_scale.child(kind, source, folder, int(workers), out)
        else:
            register_scale.main(args.euipo, args.uspto, args.cache_dir, args.work / "register")
        return
    if args.run:
        _child(args.run[0], Path(args.run[1]), Path(args.run[2]))
        return
    print(f"{'filings':>9} {'format':>7} {'run':>8} {'seconds':>8} {'filings/s':>10} {'peak RSS MB':>11}")
    results = []
    for n in args.filings:
        t = time.perf_counter()
        paths = write_inputs(n, args.work)
        print(f"# wrote {n} raw filings in {time.perf_counter() - t:.0f} s: {', '.join(map(str, paths.values()))}")
        for fmt in args.formats:
            row = {"filings": n, "format": fmt}
            for kind in ("read", "floor", "builder", *(("naive",) if fmt in args.naive_formats else ())):
                repeat = 1 if kind == "naive" else args.repeat
                r = measure(kind, paths[fmt], args.work / f"out-{kind}-{fmt}-{n}", repeat)
                row[kind] = r
                print(
                    f"{n:>9} {fmt:>7} {kind:>8} {r['seconds']:>8.1f} {n / r['seconds']:>10,.0f} "
                    f"{r['peak_rss_mb']:>11,.0f}"
                )
            results.append(row)
            speedup = f"{row['naive']['seconds'] / row['builder']['seconds']:.1f}x" if "naive" in row else "n/a"
            read, floor, builder = (row[k]["seconds"] for k in ("read", "floor", "builder"))
            print(
                f"# {n} {fmt}: builder vs naive {speedup} faster; builder / bare read {builder / read:.1f}x "
                f"(floor / bare read {floor / read:.1f}x, builder / floor {builder / floor:.1f}x)"
            )
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
