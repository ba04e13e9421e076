"""Whole-input checks: which inputs can be read at all, and what happens to those that cannot.

A build goes on past a file it cannot read: the file becomes one file-level reject (locator `-`, see
`readers.file_reject`) in `rejects.jsonl`, and the build reads the others. With `strict`, the first such file stops
the build with one `InputError` line, `<file>[!member]: <what is wrong>; <what to do>`. An input that holds no
record at all (a USPTO daily file without case files, a header-only CSV) is no error: it adds nothing.

* `FileRejects`: collects the file-level rejects of the DuckDB-read sources (CSV, Parquet, USPTO tables) and
  appends them to `raw_t`; under `strict` it raises instead.
* `check_input`: passes one input's reader records through; under `strict` it raises at a file-level reject or
  when the input has rejects but no readable record (`refuse_file`, `input_done`: the same for the parallel
  readers, which see each input's records as counts from their workers).
* `tabular_files`, `usable_tabular_files`, `csv_header`: the CSV/Parquet files to scan, and those to refuse;
  `uspto_tables`: the four USPTO Case Files tables, or none.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from dataset_builder.readers import FILE_LEVEL, RAW_SCHEMA, ColumnMapping, InputError, file_reject

logger = logging.getLogger(__name__)

# The generic columns of `raw_t` for the tabular sources (see `sources._records_view`).
GENERIC_COLUMNS = ("a", "d", "c", "o", "oid", "g", "gl", "loc", "_file", "error", "detail")


def one_line(file: str, detail: str) -> str:
    """The user-facing error line of a problem with `file`: `<file>: <what is wrong>; <what to do>`."""
    return f"{file}: {detail}"


class FileRejects:
    """File-level rejects of the DuckDB-read sources; under `strict` the first one raises `InputError` instead."""

    def __init__(self, strict: bool):
        self.strict, self.rows = strict, []

    def add(self, file: str | Path, reason: str, detail: str) -> None:
        """Refuse `file` with `reason` (`report.REJECT_REASONS`) and `detail` ("<what is wrong>; <what to do>")."""
        if self.strict:
            raise InputError(one_line(str(file), detail))
        logger.warning("%s (rejected; the build goes on)", one_line(str(file), detail))
        self.rows.append(file_reject(str(file), reason, detail))

    def append_to(self, con: duckdb.DuckDBPyConnection, *, generic: bool, limit: int | None) -> None:
        """Append the rejects to `raw_t` (generic columns or `RAW_SCHEMA`), within what `limit` leaves."""
        if not self.rows:
            return
        rows = self.rows
        if limit is not None:
            rows = rows[: max(0, limit - con.execute("SELECT count(*) FROM raw_t").fetchall()[0][0])]
        if generic:
            table = pa.table(
                {
                    **{c: pa.nulls(len(rows), pa.string()) for c in GENERIC_COLUMNS},
                    "loc": pa.array([r["locator"] for r in rows], pa.string()),
                    "_file": pa.array([r["source_file"] for r in rows], pa.string()),
                    "error": pa.array([r["error"] for r in rows], pa.string()),
                    "detail": pa.array([r["detail"] for r in rows], pa.string()),
                }
            )
        else:
            table = pa.Table.from_pylist(rows, schema=RAW_SCHEMA)
        con.register("file_rejects", table)
        try:
            con.execute("INSERT INTO raw_t BY NAME SELECT * FROM file_rejects")
        finally:
            con.unregister("file_rejects")


def check_input(path: Path, records: Iterator[dict], *, strict: bool) -> Iterator[dict]:
    """Pass one input's records through. Under `strict`, raise `InputError` at a file-level reject, or at the end
    when the input gave rejects but no readable record; otherwise such files are rejects and the build goes on."""
    good, first_error = 0, None
    for record in records:
        if record["error"] is None:
            good += 1
        else:
            if strict and record["locator"] == FILE_LEVEL:
                refuse_file(record)
            first_error = first_error or record
        yield record
    input_done(path, good, first_error, strict=strict)


def refuse_file(record: dict) -> None:
    """Raise the `InputError` of a file-level reject (under `strict`)."""
    raise InputError(one_line(record["source_file"], record["detail"]))


def input_done(path: Path, good: int, first_error: dict | None, *, strict: bool) -> None:
    """The end of one input that gave `good` readable records and `first_error` as its first reject (or None): an
    input without a readable record is logged, or raises `InputError` under `strict` when it had rejects."""
    if good == 0 and first_error is None:
        logger.warning("%s: no trade mark record in this input", path)
    elif good == 0:  # (under `strict`, a file-level reject has raised already)
        detail = first_error["detail"]
        if first_error["locator"] != FILE_LEVEL:
            detail = f"no readable record; at {first_error['locator']}: {detail}"
        if strict:
            raise InputError(one_line(first_error["source_file"], detail))
        logger.warning("%s (rejected; the build goes on)", one_line(first_error["source_file"], detail))


def csv_header(path: str) -> list[str]:
    """The column names of a CSV file (`InputError`, without the file name, when there are none)."""
    try:
        with open(path, "rb") as f:
            header = next(csv.reader([f.readline(1 << 20).decode("utf-8-sig")]), None)
    except (UnicodeDecodeError, csv.Error, OSError) as err:
        raise InputError(f"unreadable CSV header ({err}); save the file as UTF-8 CSV") from err
    if not header:
        raise InputError("empty file, expected a CSV header; leave it out or add the header")
    return header


def tabular_files(inputs: list[Path], suffixes: tuple[str, ...], rejects: FileRejects) -> list[str]:
    """The files of `inputs` (folders: those with one of `suffixes`); missing paths and empty folders refused."""
    files = []
    for path in inputs:
        if not path.exists():
            rejects.add(path, "unreadable_file", "no such file or folder; check the --input path")
            continue
        found = sorted(p for p in path.rglob("*") if p.suffix.lower() in suffixes) if path.is_dir() else [path]
        if not found:
            rejects.add(path, "unreadable_file", f"no {'/'.join(suffixes)} file in this folder; check the --input")
        files += [str(p) for p in found]
    return files


def _columns(source: str, path: str) -> list[str]:
    if source == "csv":
        return csv_header(path)
    try:
        return pq.read_schema(path).names
    except (OSError, pa.ArrowException) as err:
        raise InputError(f"not a readable Parquet file ({err}); write it again or leave it out") from err


def usable_tabular_files(
    source: str, files: list[str], m: ColumnMapping, rejects: FileRejects
) -> tuple[list[str], list[str]]:
    """The files with the mapped columns (and, for CSV, the first such file's header); the others refused.

    Returns the usable files and their columns (the CSV header; the first Parquet file's columns).
    """
    needed = [m.application_number, m.filing_date, m.nice_classes, m.owner, m.goods_services]
    usable, reference = [], None
    for f in files:
        try:
            columns = _columns(source, f)
        except InputError as err:
            rejects.add(f, "unreadable_file", str(err))
            continue
        if missing := [c for c in needed if c not in columns]:
            detail = f"missing column(s) {missing}; has {sorted(columns)}: name them with --map FIELD=COLUMN"
            rejects.add(f, "wrong_format", detail)
        elif source == "csv" and reference is not None and columns != reference:
            rejects.add(f, "wrong_format", f"header {columns} differs from {usable[0]}'s; give files the same columns")
        else:
            reference = reference or columns
            usable.append(f)
    return usable, reference or []


USPTO_TABLES = {  # table -> the columns read
    "case_file": ("serial_no", "filing_dt"),
    "owner": ("serial_no", "own_name", "own_type_cd"),
    "intl_class": ("serial_no", "intl_class_cd"),
    "statement": ("serial_no", "statement_type_cd", "statement_text"),
}


def uspto_tables(inputs: list[Path], rejects: FileRejects) -> dict[str, tuple[str, list[str]]] | None:
    """Each USPTO table's CSV file and header; None (the inputs refused) when one is missing or lacks columns."""
    tables = {}
    for name, cols in USPTO_TABLES.items():
        found = [
            str(p)
            for d in inputs
            for p in ([d] if d.is_file() else sorted(d.glob("*.csv")) if d.is_dir() else [])
            if p.stem == name
        ]
        if not found:
            needed = f"no {name}.csv; the USPTO Case Files tables {', '.join(USPTO_TABLES)} are all needed"
            rejects.add(", ".join(map(str, inputs)), "wrong_format", needed)
            return None
        try:
            header = csv_header(found[0])
        except InputError as err:
            rejects.add(found[0], "unreadable_file", str(err))
            return None
        if missing := [c for c in cols if c not in header]:
            rejects.add(found[0], "wrong_format", f"missing column(s) {missing}; has {header}: is it a USPTO table?")
            return None
        tables[name] = (found[0], header)
    return tables
