"""Register scale: `python bench/dataset_build.py --scale register [--euipo N] [--uspto N] [--cache-dir DIR]`.

Inputs (written once, cached in `--cache-dir`, see `register_files.py`): N EUIPO-format trade marks (zips of XML
members, 1-8 classes, several languages in some) and N USPTO Case Files (the four CSV tables). Then, each run in a
fresh process while this one samples the RSS of that process and all its children (psutil, every 0.2 s):

1. `floor`: the least a reader does. EUIPO: a bare lxml parse of the same zip members (iterparse of `TradeMark`,
   elements cleared; no validation, no output) by a process pool on all cores, cut into the builder's tasks.
   USPTO: DuckDB scanning the four CSV files (every column) with all threads.
2. `read`: our reading + normalising: `read_records` and the pipeline steps up to the `kept`/`rejects` tables,
   with 1 process (1 DuckDB thread) and with 2.
3. `build`: the full `build_dataset` (both configs, rejects, card) on all cores, with its progress bars.

Prints one table (records, MB, seconds, records/s, MB/s, ratio to the floor, 2-vs-1 speedup, peak RSS of the tree,
CPU seconds of the tree and the floor's CPU seconds over the run's: wall-clock ratios are unreliable on a loaded box).
The defaults are the register sizes (2.5 M EUIPO records, 5 M USPTO case files); on a small machine pass smaller
ones. Not part of the test suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EUIPO_TAG = "{http://euipo.europa.eu/trademark/data}TradeMark"


def _inputs(source: str, folder: Path) -> list[Path]:
    return sorted(folder.glob("*.zip")) if source == "euipo" else [folder]


def _input_bytes(source: str, folder: Path) -> int:
    """Input bytes: inflated XML for EUIPO, CSV bytes for USPTO."""
    import zipfile

    if source == "euipo":
        return sum(i.file_size for z in _inputs(source, folder) for i in zipfile.ZipFile(z).infolist())
    return sum(p.stat().st_size for p in folder.glob("*.csv"))


# --- The runs (in a fresh process each) -----------------------------------------------------------------------


def _floor_task(task) -> int:
    from lxml import etree

    from dataset_builder.parallel import zip_slice  # the builder's member listing (cached per archive)

    n = 0
    for _, path, k, slices in task.entries:
        for archive, info in zip_slice(path, k, slices):
            with archive.open(info) as stream:
                for _, elem in etree.iterparse(
                    stream, events=("end",), tag=EUIPO_TAG, resolve_entities=False, no_network=True,
                    huge_tree=False, load_dtd=False,
                ):  # fmt: skip
                    n += 1
                    elem.clear()
    return n


def run_floor(source: str, folder: Path, workers: int, work: Path) -> int:
    if source == "uspto-csv":
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET threads = {workers}")
        total = 0
        for name in ("case_file", "owner", "intl_class", "statement"):
            path = folder / f"{name}.csv"
            cols = con.sql(f"SELECT * FROM read_csv('{path}', all_varchar=true) LIMIT 0").columns
            lens = " + ".join(f"coalesce(length({c}), 0)" for c in cols)
            n = con.execute(f"SELECT count(*), sum({lens}) FROM read_csv('{path}', all_varchar=true)").fetchall()[0][0]
            total += n if name == "case_file" else 0
        return total
    from concurrent.futures import ProcessPoolExecutor

    from dataset_builder.parallel import plan_tasks

    tasks = plan_tasks("euipo", _inputs(source, folder), workers)
    with ProcessPoolExecutor(workers) as pool:
        return sum(pool.map(_floor_task, tasks))


def run_read(source: str, folder: Path, workers: int, work: Path) -> int:
    """Reading + normalising: the read step and the pipeline (validate, dedupe, firms, split, kept, rejects)."""
    import shutil

    from dataset_builder.db import connect
    from dataset_builder.readers import ColumnMapping
    from dataset_builder.sources import read_records
    from dataset_builder.steps import Params, run_pipeline

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    con = connect(work, "768MB")
    con.execute(f"SET threads = {workers}")
    read_records(
        con, source, _inputs(source, folder), mapping=ColumnMapping(), synthetic=None,
        staging=work / "raw.parquet", workers=workers,
    )  # fmt: skip
    run_pipeline(con, Params(source, 2, 42))
    n = con.execute("SELECT count(*) FROM raw_t").fetchone()[0]
    con.close()
    shutil.rmtree(work, ignore_errors=True)
    return n


def run_build(source: str, folder: Path, workers: int, work: Path) -> int:
    from dataset_builder.build import build_dataset

    report = build_dataset(work, source=source, inputs=_inputs(source, folder), workers=workers)
    print(f"# build {source}: {report.summary()}", file=sys.stderr)
    return report.records_read


RUNS = {"floor": run_floor, "read": run_read, "build": run_build}


def child(kind: str, source: str, folder: str, workers: int, work: str) -> None:
    import importlib

    for module in ("lxml.etree", "duckdb", "pyarrow.parquet", "dataset_builder.build", "model_cards.dataset_card"):
        importlib.import_module(module)
    started = time.perf_counter()
    n = RUNS[kind](source, Path(folder), workers, Path(work))
    print(json.dumps({"records": n, "seconds": time.perf_counter() - started}))


def measure(kind: str, source: str, folder: Path, workers: int, work: Path) -> dict:
    """Run `kind` in a fresh process; its result, the peak RSS of its process tree (sum over processes) and the CPU
    seconds of the tree (user + system of the process and its waited-for descendants: steady under other load)."""
    import resource

    import psutil

    cmd = [sys.executable, str(ROOT / "bench" / "dataset_build.py"), "--run-register", kind, source, str(folder)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen([*cmd, str(workers), str(work)], stdout=subprocess.PIPE, text=True)
    peak, stop = [0], threading.Event()

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, _ = proc.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stop.set()
    thread.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} {source} failed (exit {proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return result | {"peak_rss_mb": peak[0] / 2**20, "cpu_seconds": cpu}


def main(euipo: int, uspto: int, cache_dir: Path, work: Path) -> None:
    from bench.register_files import write_euipo, write_uspto_csv

    cores = len(os.sched_getaffinity(0))
    t = time.perf_counter()
    folders = {
        "euipo": write_euipo(euipo, cache_dir / f"euipo-{euipo}", cores),
        "uspto-csv": write_uspto_csv(uspto, cache_dir / f"uspto-csv-{uspto}"),
    }
    print(f"# inputs ready in {time.perf_counter() - t:.0f} s: {', '.join(map(str, folders.values()))}")
    head = f"{'source':>9} {'run':>8} {'procs':>5} {'records':>10} {'MB':>7} {'s':>7} {'rec/s':>8} {'MB/s':>6}"
    print(head + f" {'vs floor':>8} {'2 vs 1':>6} {'peak RSS MB':>11} {'CPU s':>7} {'CPU vs floor':>12}", flush=True)
    rows = []
    for source, folder in folders.items():
        mb = _input_bytes(source, folder) / 1e6
        res: dict[tuple[str, int], dict] = {}
        plan = [
            ("floor", cores),
            ("read", 1),
            ("read", 2),
            *([("read", cores)] if cores > 2 else []),
            ("build", cores),
        ]
        for kind, workers in plan:
            r = res[kind, workers] = measure(kind, source, folder, workers, work / f"{source}-{kind}-{workers}")
            floor = res["floor", cores]["seconds"]
            ratio = f"{floor / r['seconds']:.2f}" if kind != "floor" else ""
            cpu_ratio = f"{res['floor', cores]['cpu_seconds'] / r['cpu_seconds']:.2f}" if kind != "floor" else ""
            speedup = f"{res['read', 1]['seconds'] / r['seconds']:.2f}" if (kind, workers) == ("read", 2) else ""
            print(
                f"{source:>9} {kind:>8} {workers:>5} {r['records']:>10,} {mb:>7,.0f} {r['seconds']:>7.1f} "
                f"{r['records'] / r['seconds']:>8,.0f} {mb / r['seconds']:>6.1f} {ratio:>8} {speedup:>6} "
                f"{r['peak_rss_mb']:>11,.0f} {r['cpu_seconds']:>7.1f} {cpu_ratio:>12}",
                flush=True,
            )
            rows.append({"source": source, "run": kind, "procs": workers, "mb": mb, **r})
    print(json.dumps(rows, indent=1))
