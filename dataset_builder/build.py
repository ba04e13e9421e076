"""Build the firm trademark sequence dataset: raw records -> validated filings -> firm sequences -> Parquet shards.

The chain (datatrove style, one record type flowing through):

1. read (`sources.py`): the readers, DuckDB's CSV/Parquet scanners or the synthetic generator give `raw_records`,
   one row per input record, at most `limit` of them;
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
from dataset_builder.report import REJECT_REASONS, REJECTS_NAME, REPO_DIR, BuildReport, fill_counts, write_rejects
from dataset_builder.sources import SOURCES, read_records
from dataset_builder.steps import Params, run_pipeline
from dataset_builder.synthetic import SyntheticConfig
from dataset_builder.writer import PARQUET_OPTIONS, write_outputs

__all__ = ["PARQUET_OPTIONS", "REJECT_REASONS", "REPO_DIR", "SOURCES", "BuildReport", "build_dataset"]

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
    workers: int | None = None,
) -> BuildReport:
    """Build the dataset into `out_dir` (`repo/` is what gets pushed; `rejects.jsonl`, `build_report.json` beside).

    Args:
        out_dir: output folder (its previous `repo/` content is replaced).
        source: one of `SOURCES`; `synthetic` needs no input.
        inputs: files, folders or zip archives (XML sources); CSV/Parquet/JSONL files or folders otherwise;
            for `uspto-csv` the folder holding `case_file.csv`, `owner.csv`, `intl_class.csv`, `statement.csv`.
        n_firms: number of synthetic firms (synthetic only; `synthetic` overrides it).
        seed: seeds the synthetic generator and the firm-level split.
        min_filings: firms with fewer filings are dropped (their filings are rejected with a reason).
        mapping: column names of the generic `csv`/`parquet`/`jsonl` sources.
        synthetic: the full generator config (synthetic only; default `SyntheticConfig(n_firms, seed)`).
        memory_limit: DuckDB's memory budget; beyond it, work spills to `out_dir/.work` (peak RSS ~ this + 300 MB).
        write_card: also write `repo/README.md` and the class-frequency plot.
        limit: read at most this many records (the first ones; for quick looks and tests); None reads all.
        workers: processes reading XML/JSONL inputs, and DuckDB's threads (default: all cores); any number
            gives the same dataset.

    Raises:
        InputError: an input is missing or wholly unreadable (the message names the file).
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
    if source != "synthetic" and not paths:
        raise ValueError(f"Source {source!r} needs at least one input path (--input).")
    cfg = (synthetic or SyntheticConfig(n_firms=n_firms, seed=seed)) if source == "synthetic" else None
    out = Path(out_dir)
    work = out / ".work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(out / REPO_DIR / "data", ignore_errors=True)
    work.mkdir(parents=True)
    con = connect(work, memory_limit)
    con.execute(f"SET threads = {int(workers)}")
    report = BuildReport(str(out), source, seed, min_filings, inputs=[str(p) for p in paths])
    report.synthetic = asdict(cfg) if cfg else None
    try:
        mapping = mapping or ColumnMapping()
        oracle = read_records(
            con,
            source,
            paths,
            mapping=mapping,
            synthetic=cfg,
            staging=work / "raw.parquet",
            limit=limit,
            workers=workers,
        )
        logger.info("Validating and normalising records")
        run_pipeline(con, Params(source, min_filings, seed))
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
