"""Readers' plumbing: (source, inputs, mapping) in, the `raw_records` view out, one row per input record read.

* `euipo`, `uspto-xml`, `jsonl`: the Python readers (`readers.py`, `jsonl_reader.py`), fanned out over worker
  processes (`parallel.py`), stage their records as Parquet parts loaded in input order; with a `limit`, they read
  in this process into one staging file, stopping at the limit.
* `csv`, `parquet`: DuckDB's scanners (CSV rows it cannot parse become rejected records); `uspto-csv`: the USPTO Case
  Files tables joined on `serial_no` (`uspto_csv.py`: rows of the other tables whose serial number has no case
  file, and rows that cannot be parsed, become rejected records too); `synthetic`: the generator's table
  (`synthetic.py`).

A file that cannot be read is a file-level reject and the build goes on; with `strict`, it is an `InputError`
(`input_checks.py`).

`limit` caps the records read (the first `limit` in input order; for CSV, rows that could not be parsed come after
the parsed ones), for quick looks and tests.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from dataset_builder import readers
from dataset_builder.db import limit_clause, limit_left, lit, sql_list
from dataset_builder.input_checks import (
    GENERIC_COLUMNS,
    FileRejects,
    check_input,
    tabular_files,
    usable_tabular_files,
)
from dataset_builder.jsonl_reader import read_jsonl
from dataset_builder.parallel import read_parallel
from dataset_builder.readers import RAW_SCHEMA, ColumnMapping
from dataset_builder.synthetic import SyntheticConfig, generate
from dataset_builder.uspto_csv import uspto_csv_raw

logger = logging.getLogger(__name__)

# `synthetic-euipo` / `synthetic-uspto-csv` are read here as `euipo` / `uspto-csv` (see `build.py`).
SOURCES = (
    "synthetic",
    "synthetic-euipo",
    "synthetic-uspto-csv",
    "euipo",
    "uspto-xml",
    "uspto-csv",
    "csv",
    "parquet",
    "jsonl",
)
_BATCH = 20_000


def read_records(
    con: duckdb.DuckDBPyConnection,
    source: str,
    paths: list[Path],
    *,
    mapping: ColumnMapping,
    synthetic: SyntheticConfig | None,
    staging: Path,
    limit: int | None = None,
    strict: bool = False,
    workers: int = 1,
) -> dict[str, list[float]] | None:
    """Create the `raw_records` view of `source`'s records; returns the synthetic oracle (None for other sources).

    `raw_records` has one row per record read, in input order: `RAW_SCHEMA`'s columns, `rec_id` (its rowid in the
    table `raw_t`) and `class_key` (see `_records_view`). `synthetic`: the generator config (synthetic only);
    `staging`: the staging file of the Python readers (its folder holds their parts). `strict`: a file that cannot be
    read stops the build (`InputError`) instead of being a file-level reject. `workers`: the processes the Python
    readers run in (`parallel.py`; the same records and rejects in the same order for any number). With a `limit`,
    they read in this process, stopping at the limit.
    """
    if source == "synthetic":
        data = generate(synthetic)
        con.register("synthetic_raw", data.raw)
        _synthetic_raw(con, "synthetic_raw", limit)
        return dict(
            zip(
                data.oracle["application_number"].to_pylist(),
                data.oracle["oracle_last_filing_class_probs"].to_pylist(),
                strict=True,
            )
        )
    rejects = FileRejects(strict)
    if source in ("csv", "parquet"):
        suffixes = (".parquet",) if source == "parquet" else (".csv", ".tsv")
        _tabular_raw(con, source, tabular_files(paths, suffixes, rejects), mapping, limit, rejects)
    elif source == "uspto-csv":
        uspto_csv_raw(con, paths, limit, rejects)
        _records_view(con, generic=False)
    elif limit is None:
        read_parallel(
            con, source, paths, mapping=mapping, part_dir=staging.parent / "parts", workers=workers, strict=strict
        )
        _records_view(con, generic=False)
    else:
        records = _python_records(source, paths, mapping, strict)
        try:
            _stage_records(islice(records, limit), staging)
        finally:
            records.close()  # a limit may stop it early: close the input it has open
        con.execute(f"CREATE TABLE raw_t AS SELECT * FROM read_parquet({lit(staging)})")
        _records_view(con, generic=False)
    return None


def _stage_records(records: Iterable[dict], path: Path) -> int:
    """Write raw records to a staging Parquet file in bounded batches; returns the count."""
    n = 0
    schema = RAW_SCHEMA
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[dict] = []
        for record in tqdm(records, desc="Reading records", unit=" rec", mininterval=2, disable=None):
            batch.append(record)
            n += 1
            if len(batch) >= _BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch.clear()
        writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return n


def _python_records(source: str, inputs: list[Path], mapping: ColumnMapping, strict: bool) -> Iterator[dict]:
    read = {"euipo": readers.read_euipo, "uspto-xml": readers.read_uspto_xml}.get(source)
    for path in inputs:
        records = read_jsonl(path, mapping) if source == "jsonl" else read(path)
        yield from check_input(path, records, strict=strict)


def _records_view(con: duckdb.DuckDBPyConnection, *, generic: bool) -> None:
    """Create `raw_records`: one row per input record (RAW_SCHEMA columns and `rec_id`, the rowid in `raw_t`).

    `generic`: `raw_t` holds rows with the generic columns a, d, c, o, oid, g, gl, loc, _file, error, detail (the
    tabular and synthetic sources; `gl`: the language code of `g`), turned into lists only where they are read;
    otherwise its rows are RAW_SCHEMA already.
    `class_key` keys a record's class codes (`class_codes_of(class_key)`): the raw column `c` of generic rows,
    which repeats a lot, so that each distinct value is parsed once.
    """
    if not generic:
        con.execute("CREATE MACRO class_codes_of(k) AS k")
        con.execute("CREATE VIEW raw_records AS SELECT rowid AS rec_id, *, class_codes AS class_key FROM raw_t")
        return
    con.execute(
        r"""CREATE MACRO class_codes_of(k) AS
        list_filter(string_split_regex(coalesce(k, ''), '[\s,;|]+'), lambda x: x <> '')"""
    )
    con.execute(
        """CREATE VIEW raw_records AS
        SELECT rowid AS rec_id, _file AS source_file, loc AS locator, a AS application_number, d AS filing_date,
               class_codes_of(c) AS class_codes,
               CASE WHEN g IS NULL THEN [] ELSE [{'code': NULL::VARCHAR, 'text': g, 'lang': gl}] END AS goods_services,
               CASE WHEN nullif(trim(o), '') IS NOT NULL AND NOT contains(o, '|')  -- one owner: no lambda
                    THEN [{'id': NULL::VARCHAR, 'name': trim(o)}]
                    WHEN nullif(trim(o), '') IS NOT NULL
                    THEN list_transform(string_split(o, '|'), lambda n: {'id': NULL::VARCHAR, 'name': trim(n)})
                    WHEN nullif(trim(oid), '') IS NOT NULL
                    THEN list_transform(string_split(oid, '|'), lambda n: {'id': trim(n), 'name': NULL::VARCHAR})
                    ELSE [] END AS owners,
               error, detail, c AS class_key
        FROM raw_t"""
    )


def _tabular_raw(
    con: duckdb.DuckDBPyConnection,
    source: str,
    files: list[str],
    m: ColumnMapping,
    limit: int | None,
    rejects: FileRejects,
) -> None:
    """Create `raw_t` from CSV or Parquet files, read by DuckDB (CSV rows it cannot parse become rejects; files
    without the mapped columns, or that cannot be read, become file-level rejects)."""
    files, header = usable_tabular_files(source, files, m, rejects)
    columns = set(header)

    def q(c: str) -> str:
        return '"' + c.replace('"', '""') + '"'

    def select(files: list[str], tag: str) -> str:
        """The generic rows of `files`; CSV rows DuckDB cannot parse go to the table `csv_errors_{tag}`."""
        if not files:  # every file refused: no rows, the same columns
            return f"SELECT {', '.join(f'NULL::VARCHAR AS {c}' for c in GENERIC_COLUMNS)} WHERE false"
        if source == "parquet":
            scan = f"SELECT *, filename AS _file FROM read_parquet({sql_list(files)}, filename=true)"
        else:
            types = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in header) + "}"
            scan = (
                f"SELECT *, filename AS _file FROM read_csv({sql_list(files)}, columns={types}, header=true, "
                "auto_detect=false, delim=',', quote='\"', escape='\"', store_rejects=true, filename=true, "
                f"rejects_table='csv_errors_{tag}', rejects_scan='csv_scans_{tag}', max_line_size=10000000)"
            )
        owner_id = q(m.owner_id) if m.owner_id and m.owner_id in columns else "NULL"
        lang = q(m.goods_services_lang) if m.goods_services_lang and m.goods_services_lang in columns else "NULL"
        return f"""SELECT {q(m.application_number)}::VARCHAR AS a, {q(m.filing_date)}::VARCHAR AS d,
               {q(m.nice_classes)}::VARCHAR AS c, {q(m.owner)}::VARCHAR AS o, {owner_id}::VARCHAR AS oid,
               {q(m.goods_services)}::VARCHAR AS g, lower(nullif(trim({lang}::VARCHAR), '')) AS gl,
               NULL::VARCHAR AS loc, _file, NULL::VARCHAR AS error, NULL::VARCHAR AS detail
        FROM ({scan})"""

    tag = "all"
    try:
        con.execute(f"CREATE TABLE raw_t AS {select(files, tag)}{limit_clause(limit)}")
    except duckdb.Error:  # a file that passed the checks yet cannot be scanned (a corrupt page, a bad CSV state)
        files, tag = _scannable(con, files, select, rejects), "scannable"
        con.execute(f"CREATE TABLE raw_t AS {select(files, tag)}{limit_clause(limit)}")
    if source == "csv" and files:  # rows DuckDB could not parse (the rejects table exists once the scan ran)
        errors = f"""SELECT NULL AS a, NULL AS d, NULL AS c, NULL AS o, NULL AS oid, NULL AS g, NULL AS gl,
                 'line ' || e.line AS loc, s.file_path AS _file,
                 CASE WHEN e.error_type = 'INVALID ENCODING' THEN 'bad_encoding' ELSE 'malformed_record' END AS error,
                 e.error_type || ': ' || e.error_message AS detail
            FROM (SELECT DISTINCT ON (scan_id, file_id, line) * FROM csv_errors_{tag}) e
            JOIN csv_scans_{tag} s USING (scan_id, file_id) ORDER BY s.file_path, e.line"""
        con.execute(f"INSERT INTO raw_t {errors}{limit_left(con, limit)}")
    rejects.append_to(con, generic=True, limit=limit)
    _records_view(con, generic=True)


def _scannable(con: duckdb.DuckDBPyConnection, files: list[str], select, rejects: FileRejects) -> list[str]:
    """The files that DuckDB can scan one by one (`select(files, tag)`: their rows); the others refused."""
    good = []
    for i, f in enumerate(files):
        try:
            con.execute(f"SELECT count(*) FROM ({select([f], f'probe{i}')})").fetchall()
            good.append(f)
        except duckdb.Error as err:
            rejects.add(f, "unreadable_file", f"cannot be scanned ({str(err).splitlines()[0]}); fix or leave it out")
    return good


def _synthetic_raw(con: duckdb.DuckDBPyConnection, view: str, limit: int | None) -> None:
    """Create `raw_t` from a registered Arrow table with the generic columns (the synthetic source)."""
    rows = f"""SELECT application_number AS a, filing_date AS d, nice_classes AS c, owner AS o, NULL::VARCHAR AS oid,
               goods_services AS g, 'en' AS gl, NULL::VARCHAR AS loc, 'synthetic' AS _file, NULL::VARCHAR AS error,
               NULL::VARCHAR AS detail FROM {view}"""
    con.execute(f"CREATE TABLE raw_t AS {rows}{limit_clause(limit)}")
    _records_view(con, generic=True)
