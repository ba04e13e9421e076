"""Build the firm trademark sequence dataset: raw records -> validated filings -> firm sequences -> Parquet shards.

The chain (datatrove style, one record type flowing through):

1. read (`sources.py`): the readers, DuckDB's CSV/Parquet scanners or the synthetic generator give `raw_records`,
   one row per input record, at most `limit` of them. `synthetic-euipo` / `synthetic-uspto-csv` first write the
   generator's filings as registry files (`registry_files.py`, under `out_dir/synthetic-registry/`, reused while
   the config is the same), then read them with the `euipo` / `uspto-csv` reader like any bulk download;
2. the pipeline steps (`steps.py`), in SQL with the `normalize.py` macros: validate (each record is kept or gets
   one reject reason), dedupe (the first record of an application number is kept), owners -> firms, the
   `min_filings` filter and the seeded firm-level 80/10/10 split;
3. write (`writer.py`): `data/{config}/{split}-{i:05d}-of-{n:05d}.parquet` for `sequences` and `filings`;
4. report (`report.py`): `rejects.jsonl`, `build_report.json`, and the dataset card.

Everything heavy runs in DuckDB with a memory limit (it spills to disk), so memory stays bounded.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import asdict
from pathlib import Path

from dataset_builder.db import connect
from dataset_builder.parallel import default_workers
from dataset_builder.readers import ColumnMapping
from dataset_builder.registry_files import synthetic_registry
from dataset_builder.report import REJECT_REASONS, REJECTS_NAME, REPO_DIR, BuildReport, fill_counts, write_rejects
from dataset_builder.sources import SOURCES, read_records
from dataset_builder.steps import Params, run_pipeline
from dataset_builder.synthetic import SyntheticConfig
from dataset_builder.writer import PARQUET_OPTIONS, write_outputs
from hub_client.errors import InputError

__all__ = ["PARQUET_OPTIONS", "REJECT_REASONS", "REPO_DIR", "SOURCES", "BuildReport", "build_dataset"]

REGISTRY_DIR = "synthetic-registry"  # under the output folder: the generated registry files of `synthetic-*` sources

logger = logging.getLogger(__name__)


def build_dataset(
    out_dir: str | Path,
    *,
    source: str = "synthetic",
    inputs: list[str | Path] | None = None,
    n_firms: int = 4000,
    seed: int = 42,
    min_filings: int = 2,
    mapping: ColumnMapping | None = None,
    synthetic: SyntheticConfig | None = None,
    memory_limit: str = "768MB",
    write_card: bool = True,
    limit: int | None = None,
    strict: bool = False,
    workers: int | None = None,
) -> BuildReport:
    """Build the dataset into `out_dir` (`repo/` is what gets pushed; `rejects.jsonl`, `build_report.json` beside).

    Args:
        out_dir: output folder (its previous `repo/` content is replaced).
        source: one of `SOURCES`; the `synthetic*` sources need no input (`synthetic`: the generator's table read
            directly; `synthetic-euipo` / `synthetic-uspto-csv`: written as registry files and read by the readers).
        inputs: files, folders or zip archives (XML sources); CSV/Parquet/JSONL files or folders otherwise;
            for `uspto-csv` the folder holding `case_file.csv`, `owner.csv`, `intl_class.csv`, `statement.csv`.
        n_firms: number of synthetic firms (synthetic sources only; `synthetic` overrides it).
        seed: seeds the synthetic generator and the firm-level split.
        min_filings: firms with fewer filings are dropped (their filings are rejected with a reason).
        mapping: column names of the generic `csv`/`parquet`/`jsonl` sources.
        synthetic: the full generator config (synthetic sources; default `SyntheticConfig(n_firms, seed)`).
        memory_limit: DuckDB's memory budget; beyond it, work spills to `out_dir/.work` (peak RSS ~ this + 300 MB).
        write_card: also write `repo/README.md` and the class-frequency plot.
        limit: read at most this many records (the first ones; for quick looks and tests); None reads all.
        strict: stop at a file that cannot be read (missing, unreadable, wrong format, or without one readable
            record) with an `InputError`; by default such a file is a file-level reject (locator `-`) in
            `rejects.jsonl` and the build goes on.
        workers: processes reading XML/JSONL inputs, and DuckDB's threads (default: all cores); any number
            gives the same dataset.

    Raises:
        InputError: with `strict`, an input that cannot be read (the message names the file, says what is wrong and
            what to do); without it, only a tabular file that passed its checks yet cannot be scanned.
        ValueError: an invalid argument.
    """
    started = time.monotonic()
    if source not in SOURCES:
        raise ValueError(f"Unknown source {source!r}; expected one of {', '.join(SOURCES)}.")
    if min_filings < 1:
        raise ValueError(f"min_filings must be >= 1, got {min_filings}.")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}.")
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}.")
    paths = [Path(p) for p in inputs or []]
    generated = source.startswith("synthetic")
    if not generated and not paths:
        raise ValueError(f"Source {source!r} needs at least one input path (--input).")
    cfg = (synthetic or SyntheticConfig(n_firms=n_firms, seed=seed)) if generated else None
    out = Path(out_dir)
    work = out / ".work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(out / REPO_DIR / "data", ignore_errors=True)
    reader, registry = source, None
    if generated and source != "synthetic":
        registry = synthetic_registry(cfg, out / REGISTRY_DIR, source.removeprefix("synthetic-"))
        reader, paths = registry.reader, registry.inputs
    work.mkdir(parents=True)
    con = connect(work, memory_limit)
    con.execute(f"SET threads = {int(workers)}")
    report = BuildReport(str(out), source, seed, min_filings, inputs=[str(p) for p in paths])
    report.synthetic = asdict(cfg) if cfg else None
    report.reader = reader if registry else None
    try:
        mapping = mapping or ColumnMapping()
        oracle = read_records(
            con,
            reader,
            paths,
            mapping=mapping,
            synthetic=cfg,
            staging=work / "raw.parquet",
            limit=limit,
            strict=strict,
            workers=workers,
        )
        _fail_if_nothing_readable(con)
        if registry is not None:
            oracle = registry.oracle
        logger.info("Validating and normalising records")
        run_pipeline(con, Params(reader, min_filings, seed))  # ids of id-only owners: "{reader}:{id}"
        report.firms, report.filings, term_stats = write_outputs(con, source, out / REPO_DIR, oracle)
        fill_counts(con, report, term_stats)
        write_rejects(con, out / REJECTS_NAME)
    finally:
        con.close()
        shutil.rmtree(work, ignore_errors=True)
    report.seconds = round(time.monotonic() - started, 2)
    report.save()
    if write_card:
        from dataset_builder.schema import dataset_layout
        from model_cards.dataset_card import write_dataset_card

        write_dataset_card(report, dataset_layout())
    logger.info("Built %s: %s", out, report.summary())
    return report


def _fail_if_nothing_readable(con) -> None:
    """An `InputError` when not one record could be read (a mistyped `--input`, the wrong `--source`, a file that
    is not what it claims): one bad file among good ones is a reject and the build goes on, but a build that read
    nothing would only publish an empty dataset.
    """
    readable, refused = con.execute(
        "SELECT count(*) FILTER (WHERE error IS NULL), count(*) FILTER (WHERE error IS NOT NULL) FROM raw_records"
    ).fetchall()[0]
    if readable == 0 and refused > 0:
        file, locator, detail = con.execute(
            "SELECT source_file, locator, detail FROM raw_records WHERE error IS NOT NULL ORDER BY rec_id LIMIT 1"
        ).fetchall()[0]
        if locator and locator != "-":
            file = f"{file}, {locator}"
        others = f" (and {refused - 1} more refused)" if refused > 1 else ""
        raise InputError(f"{file}: {detail}{others}; no input could be read, nothing to build")
