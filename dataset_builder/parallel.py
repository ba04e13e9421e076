"""Parallel reading: the Python readers (`readers.py`) fanned out over worker processes, records staged as Parquet.

The inputs are cut into tasks, in input order, from their sizes on disk alone: for the XML sources, runs of
consecutive files of one input path and slices of each zip archive's members (listed by the worker that reads them),
of about the same bytes each; for JSONL, one task per input path. Each worker runs the existing per-file reader on
its task and writes the raw records to its own Parquet part, in bounded batches. The parent
inserts the parts into `raw_t` in task order (whatever order they finish in) and deletes them, so `raw_t`, the
dataset and the rejects are identical for any number of workers, and memory stays bounded: one batch per worker,
one part at a time in the parent. The bar counts input bytes on disk (hence the ETA) and shows records/s.

The parent checks the inputs as the sequential reader does (`input_checks`), from each task's counts, in task order:
the same rejects, and under `strict` the same `InputError` at the same input, for any number of workers.

Workers are spawned (not forked: the parent's DuckDB runs threads) and import only the readers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from dataset_builder import readers
from dataset_builder.jsonl_reader import read_jsonl
from dataset_builder.readers import FILE_LEVEL, RAW_SCHEMA, ColumnMapping

if TYPE_CHECKING:
    import duckdb

logger = logging.getLogger(__name__)

MAX_TASK_BYTES = 64 << 20  # input bytes on disk per task, at most (a task is the unit of work of one worker)
MIN_TASK_BYTES = 256 << 10  # ... and at least (tiny inputs: few tasks)
SPAWN_MIN_BYTES = 16 << 20  # smaller inputs are read in this process (spawning workers takes seconds)
TASKS_PER_WORKER = 8  # aim for at least this many tasks per worker (an even finish)
_BATCH = 20_000  # records per Parquet batch in a worker


@dataclass
class Task:
    """One unit of work: entries of one input path, read in order into one Parquet part.

    An entry is ("path", path): a file (or missing path) read whole by the source's public reader; or ("slice",
    archive, k, n): the k-th of n equal runs of the zip archive's members in name order (as
    `readers.iter_input_files` lists them). The parent plans from file sizes alone; the workers list the members.
    """

    index: int
    input_index: int
    entries: list[list] = field(default_factory=list)
    size: int = 0  # bytes on disk (compressed, for zip slices)


@dataclass
class TaskResult:
    index: int
    part: str
    records: int
    good: int  # records without a read error
    first_error: dict | None  # the first record with a read error
    first_file_level: dict | None  # the first file-level reject (a whole file refused)


def default_workers() -> int:
    """All the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# --- Planning (in the parent) ---------------------------------------------------------------------------------


def plan_tasks(source: str, paths: list[Path], workers: int) -> list[Task]:
    """Cut the inputs into tasks of about the same bytes on disk, in input order.

    Only file sizes are read: a zip archive becomes `n` slices of its members (n from its size), which the workers
    list, so planning costs nothing per member (the register's 2.5 M-member archives would take seconds to list).
    """
    files = [_files(p, source) for p in paths]
    if source == "jsonl":
        return [Task(i, i, [["path", str(p)]], sum(size for _, size in files[i])) for i, p in enumerate(paths)]
    total = sum(size for listing in files for _, size in listing)
    target = min(MAX_TASK_BYTES, max(MIN_TASK_BYTES, total // max(1, workers * TASKS_PER_WORKER)))
    tasks: list[Task] = []
    for i, listing in enumerate(files):
        for file, size in listing:
            if file.suffix.lower() == ".zip" and file.is_file():  # (a missing one: its reader says so)
                n = max(1, -(-size // target))
                for k in range(n):
                    size_k = size * (k + 1) // n - size * k // n
                    tasks.append(Task(len(tasks), i, [["slice", str(file), k, n]], size_k))
                continue
            if not tasks or tasks[-1].input_index != i or tasks[-1].size >= target:
                tasks.append(Task(len(tasks), i))
            tasks[-1].entries.append(["path", str(file)])
            tasks[-1].size += size
    return tasks


def _files(path: Path, source: str) -> list[tuple[Path, int]]:
    """The files `readers.iter_input_files` reads under `path`, in its order, with their sizes (a missing `path`
    as itself, size 0: its reader rejects it)."""
    if source == "jsonl" or not path.is_dir():
        return [(path, path.stat().st_size if path.is_file() else 0)]
    found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".xml", ".zip"))
    return [(p, p.stat().st_size) for p in found]


# --- The worker -----------------------------------------------------------------------------------------------

_archive: tuple[str, zipfile.ZipFile | dict, list[zipfile.ZipInfo]] | None = None  # the worker's open archive


def zip_slice(path: str, k: int, n: int) -> Iterator[tuple[zipfile.ZipFile, zipfile.ZipInfo] | dict]:
    """The k-th of `n` equal runs of the members of the zip archive at `path`, in name order, as (archive, member);
    an archive that cannot be opened is its file-level reject, from slice 0 only. Consecutive tasks share the
    open archive."""
    global _archive
    if _archive is None or _archive[0] != path:
        if _archive is not None and isinstance(_archive[1], zipfile.ZipFile):
            _archive[1].close()
        opened = readers.open_zip(Path(path))
        infos = sorted(opened.infolist(), key=lambda i: i.filename) if isinstance(opened, zipfile.ZipFile) else []
        _archive = (path, opened, infos)
    _, archive, infos = _archive
    if isinstance(archive, dict):
        if k == 0:
            yield archive
        return
    for info in infos[len(infos) * k // n : len(infos) * (k + 1) // n]:
        yield archive, info


def _task_records(task: Task, source: str, mapping: ColumnMapping | None) -> Iterator[dict]:
    for kind, *args in task.entries:
        if kind == "path" and source == "jsonl":
            yield from read_jsonl(Path(args[0]), mapping)
        elif kind == "path":
            yield from (readers.read_euipo if source == "euipo" else readers.read_uspto_xml)(Path(args[0]))
        else:
            path = Path(args[0])
            for member in zip_slice(*args):
                if isinstance(member, dict):
                    yield member
                elif (item := readers.zip_member(member[0], path, member[1], (".xml",))) is not None:
                    yield from readers.read_xml_item(source, item)


def run_task(task: Task, source: str, mapping: ColumnMapping | None, part_dir: str) -> TaskResult:
    """Read `task`'s records into the Parquet part `part_dir/{index}.parquet`, in bounded batches."""
    part = str(Path(part_dir) / f"{task.index:06d}.parquet")
    n = good = 0
    first_error = first_file_level = None
    batch: list[dict] = []
    with pq.ParquetWriter(part + ".tmp", RAW_SCHEMA, compression="lz4") as writer:
        for record in _task_records(task, source, mapping):
            n += 1
            if record["error"] is None:
                good += 1
            else:
                first_error = first_error or record
                if first_file_level is None and record["locator"] == FILE_LEVEL:
                    first_file_level = record
            batch.append(record)
            if len(batch) >= _BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=RAW_SCHEMA))
                batch.clear()
        writer.write_table(pa.Table.from_pylist(batch, schema=RAW_SCHEMA))
    os.replace(part + ".tmp", part)
    return TaskResult(task.index, part, n, good, first_error, first_file_level)


# --- The parent -----------------------------------------------------------------------------------------------


def read_parallel(
    con: duckdb.DuckDBPyConnection,
    source: str,
    paths: list[Path],
    *,
    mapping: ColumnMapping | None,
    part_dir: Path,
    workers: int,
    strict: bool = False,
) -> int:
    """Create the table `raw_t` (`RAW_SCHEMA` rows, in input order) from `paths`, read by `workers` processes.

    Returns the number of records read. The inputs are checked as the sequential reader checks them
    (`input_checks.check_input`), in input order: an input without a readable record is logged; under `strict`, the
    first file-level reject, or an input with rejects but no readable record, raises `InputError`.
    """
    from dataset_builder.db import lit  # here: the workers need not import DuckDB
    from dataset_builder.input_checks import input_done, refuse_file

    tasks = plan_tasks(source, paths, workers)
    part_dir.mkdir(parents=True, exist_ok=True)
    con.register("_raw_empty", RAW_SCHEMA.empty_table())
    con.execute("CREATE TABLE raw_t AS SELECT * FROM _raw_empty")
    con.unregister("_raw_empty")
    total = sum(t.size for t in tasks)
    workers = 1 if total < SPAWN_MIN_BYTES else max(1, min(workers, len(tasks)))
    logger.info("Reading %d input path(s) in %d task(s) with %d process(es)", len(paths), len(tasks), workers)
    per_input: list[list] = [[0, None] for _ in paths]  # good records, first error
    done = 0  # the inputs checked so far (all of whose tasks are in)

    def check_inputs_before(index: int) -> None:
        nonlocal done
        for i in range(done, index):
            input_done(paths[i], *per_input[i], strict=strict)
        done = max(done, index)

    bar = tqdm(
        total=total, desc="Reading records", unit="B", unit_scale=True, mininterval=2,
        disable=None,
    )  # fmt: skip
    started, n_records = time.monotonic(), 0
    try:
        for result in _results(tasks, source, mapping, part_dir, workers, bar):
            input_index = tasks[result.index].input_index
            check_inputs_before(input_index)
            if strict and result.first_file_level is not None:
                refuse_file(result.first_file_level)
            con.execute(f"INSERT INTO raw_t SELECT * FROM read_parquet({lit(result.part)})")
            os.remove(result.part)
            counts = per_input[input_index]
            counts[0] += result.good
            counts[1] = counts[1] or result.first_error
            n_records += result.records
            bar.set_postfix_str(f"{n_records:,} rec, {n_records / (time.monotonic() - started):,.0f} rec/s")
    finally:
        bar.close()
    check_inputs_before(len(paths))
    return n_records


def _results(
    tasks: list[Task], source: str, mapping: ColumnMapping | None, part_dir: Path, workers: int, bar: tqdm
) -> Iterator[TaskResult]:
    """The tasks' results in task order; with more than one worker, run by a pool of spawned processes."""
    if workers == 1:
        for task in tasks:
            result = run_task(task, source, mapping, str(part_dir))
            bar.update(task.size)
            yield result
        return
    done: dict[int, TaskResult] = {}
    next_index = 0
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        try:
            pending: set[Future] = {pool.submit(run_task, t, source, mapping, str(part_dir)) for t in tasks}
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    result = future.result()
                    bar.update(tasks[result.index].size)
                    done[result.index] = result
                while next_index in done:
                    yield done.pop(next_index)
                    next_index += 1
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
