"""Readers' plumbing: (source, inputs, mapping) in, the `raw_records` view out, one row per input record read.

* `euipo`, `uspto-xml`, `jsonl`: the Python readers (`readers.py`) stream records into a staging Parquet file, in
  bounded batches; an input that yields no readable record at all is an `InputError`.
* `csv`, `parquet`: DuckDB's scanners (CSV rows it cannot parse become rejected records); `uspto-csv`: the USPTO Case
  Files tables joined on `serial_no`; `synthetic`: the generator's table (`synthetic.py`).

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

from dataset_builder import parallel, readers
from dataset_builder.db import lit, sql_list
from dataset_builder.readers import RAW_SCHEMA, ColumnMapping, InputError
from dataset_builder.synthetic import SyntheticConfig, generate

logger = logging.getLogger(__name__)

SOURCES = ("synthetic", "euipo", "uspto-xml", "uspto-csv", "csv", "parquet", "jsonl")
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
    workers: int = 1,
) -> dict[str, list[float]] | None:
    """Create the `raw_records` view of `source`'s records; returns the synthetic oracle (None for other sources).

    `raw_records` has one row per record read, in input order: `RAW_SCHEMA`'s columns, `rec_id` (its rowid in the
    table `raw_t`) and `class_key` (see `_records_view`). `synthetic`: the generator config (synthetic only);
    `staging`: the staging file of the Python readers (its folder holds their parts); `workers`: the processes
    the Python readers run in (`parallel.py`; the same records in the same order for any number). With a `limit`,
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
    if source in ("csv", "parquet"):
        suffixes = (".parquet",) if source == "parquet" else (".csv", ".tsv")
        _tabular_raw(con, source, _tabular_files(paths, suffixes), mapping, limit)
    elif source == "uspto-csv":
        _uspto_csv_raw(con, paths, limit)
    elif limit is None:
        parallel.read_parallel(con, source, paths, mapping=mapping, part_dir=staging.parent / "parts", workers=workers)
        _records_view(con, generic=False)
    else:
        records = _python_records(source, paths, mapping)
        try:
            _stage_records(islice(records, limit), staging)
        finally:
            records.close()  # a limit may stop it early: close the input it has open
        con.execute(f"CREATE TABLE raw_t AS SELECT * FROM read_parquet({lit(staging)})")
        _records_view(con, generic=False)
    return None


def _limit(limit: int | None) -> str:
    """A LIMIT clause, empty when there is no limit."""
    return "" if limit is None else f" LIMIT {int(limit)}"


def _limit_left(con: duckdb.DuckDBPyConnection, limit: int | None) -> str:
    """The LIMIT clause for rows appended to `raw_t`: what `limit` leaves."""
    if limit is None:
        return ""
    return _limit(max(0, limit - con.execute("SELECT count(*) FROM raw_t").fetchall()[0][0]))


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


def _checked(path: Path, records: Iterator[dict]) -> Iterator[dict]:
    """Pass records through; raise `InputError` naming `path` when it yields nothing readable."""
    good, first_error = 0, None
    for record in records:
        if record["error"] is None:
            good += 1
        elif first_error is None:
            first_error = record
        yield record
    if good == 0:
        why = (
            f"{first_error['source_file']}: {first_error['detail']}" if first_error else "no trade mark records found"
        )
        raise InputError(f"{path}: no readable record ({why}).")


def _python_records(source: str, inputs: list[Path], mapping: ColumnMapping) -> Iterator[dict]:
    read = {"euipo": readers.read_euipo, "uspto-xml": readers.read_uspto_xml}.get(source)
    for path in inputs:
        records = readers.read_jsonl(path, mapping) if source == "jsonl" else read(path)
        yield from _checked(path, records)


def _tabular_files(inputs: list[Path], suffixes: tuple[str, ...]) -> list[str]:
    files = []
    for path in inputs:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder.")
        found = sorted(p for p in path.rglob("*") if p.suffix.lower() in suffixes) if path.is_dir() else [path]
        if not found:
            raise InputError(f"{path}: no {'/'.join(suffixes)} file in this folder.")
        files += [str(p) for p in found]
    return files


def _csv_header(path: str) -> list[str]:
    import csv

    try:
        with open(path, "rb") as f:
            header = next(csv.reader([f.readline(1 << 20).decode("utf-8-sig")]), None)
    except (UnicodeDecodeError, csv.Error, OSError) as err:
        raise InputError(f"{path}: unreadable CSV header ({err}).") from err
    if not header:
        raise InputError(f"{path}: empty file, expected a CSV header.")
    return header


def _records_view(con: duckdb.DuckDBPyConnection, *, generic: bool) -> None:
    """Create `raw_records`: one row per input record (RAW_SCHEMA columns and `rec_id`, the rowid in `raw_t`).

    `generic`: `raw_t` holds rows with the generic columns a, d, c, o, oid, g, loc, _file, error, detail (the tabular
    and synthetic sources), turned into lists only where they are read; otherwise its rows are RAW_SCHEMA already.
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
               CASE WHEN g IS NULL THEN [] ELSE [{'code': NULL::VARCHAR, 'text': g}] END AS goods_services,
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
    con: duckdb.DuckDBPyConnection, source: str, files: list[str], m: ColumnMapping, limit: int | None
) -> None:
    """Create `raw_t` from CSV or Parquet files, read by DuckDB (CSV rows it cannot parse become rejects)."""
    if source == "parquet":
        scan = f"SELECT *, filename AS _file FROM read_parquet({sql_list(files)}, filename=true)"
        columns = set(con.sql(f"SELECT * FROM read_parquet({sql_list(files[:1])}) LIMIT 0").columns)
    else:
        header = _csv_header(files[0])
        columns = set(header)
        for f in files:
            if _csv_header(f) != header:
                raise InputError(f"{f}: header differs from {files[0]} ({_csv_header(f)} vs {header}).")
        types = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in header) + "}"
        scan = (
            f"SELECT *, filename AS _file FROM read_csv({sql_list(files)}, columns={types}, header=true, "
            "auto_detect=false, delim=',', quote='\"', escape='\"', store_rejects=true, filename=true, "
            "max_line_size=10000000)"
        )
    needed = [m.application_number, m.filing_date, m.nice_classes, m.owner, m.goods_services]
    missing = [c for c in needed if c not in columns]
    if missing:
        raise InputError(f"{files[0]}: missing column(s) {missing}; has {sorted(columns)} (use --map FIELD=COLUMN).")

    def q(c: str) -> str:
        return '"' + c.replace('"', '""') + '"'

    owner_id = q(m.owner_id) if m.owner_id and m.owner_id in columns else "NULL"
    rows = f"""SELECT {q(m.application_number)}::VARCHAR AS a, {q(m.filing_date)}::VARCHAR AS d,
               {q(m.nice_classes)}::VARCHAR AS c, {q(m.owner)}::VARCHAR AS o, {owner_id}::VARCHAR AS oid,
               {q(m.goods_services)}::VARCHAR AS g, NULL::VARCHAR AS loc, _file,
               NULL::VARCHAR AS error, NULL::VARCHAR AS detail
        FROM ({scan})"""
    con.execute(f"CREATE TABLE raw_t AS {rows}{_limit(limit)}")
    if source == "csv":  # rows DuckDB could not parse (reject_errors exists once the scan ran)
        errors = """SELECT NULL AS a, NULL AS d, NULL AS c, NULL AS o, NULL AS oid, NULL AS g,
                 'line ' || e.line AS loc, s.file_path AS _file,
                 CASE WHEN e.error_type = 'INVALID ENCODING' THEN 'bad_encoding' ELSE 'malformed_record' END AS error,
                 e.error_type || ': ' || e.error_message AS detail
            FROM (SELECT DISTINCT ON (scan_id, file_id, line) * FROM reject_errors) e
            JOIN reject_scans s USING (scan_id, file_id) ORDER BY s.file_path, e.line"""
        con.execute(f"INSERT INTO raw_t {errors}{_limit_left(con, limit)}")
    _records_view(con, generic=True)


def _uspto_csv_raw(con: duckdb.DuckDBPyConnection, inputs: list[Path], limit: int | None) -> None:
    """Create `raw_t` from the USPTO Case Files Dataset tables, joined on `serial_no`.

    Built so that DuckDB can spill at register size (millions of case files, GBs of statements): the case files go
    into a table (its rowid is the row number); each side table is reduced to one row per `serial_no` by unordered
    aggregates whose lists are sorted afterwards (ordered aggregates and windows over the whole input do not spill);
    then one join, ordered by row number. Lists come sorted: class codes, owner names, statements by type code.
    Side-table rows whose `serial_no` has no case file are counted in the table `uspto_orphans` (and logged).
    """
    tables = {}
    for name, cols in {
        "case_file": ("serial_no", "filing_dt"),
        "owner": ("serial_no", "own_name", "own_type_cd"),
        "intl_class": ("serial_no", "intl_class_cd"),
        "statement": ("serial_no", "statement_type_cd", "statement_text"),
    }.items():
        found = [str(p) for d in inputs for p in ([d] if d.is_file() else sorted(d.glob("*.csv"))) if p.stem == name]
        if not found:
            raise InputError(f"{', '.join(map(str, inputs))}: no {name}.csv (the USPTO Case Files tables are needed).")
        header = _csv_header(found[0])
        if missing := [c for c in cols if c not in header]:
            raise InputError(f"{found[0]}: missing column(s) {missing}; has {header}.")
        tables[name] = found[0]
        con.execute(
            f"CREATE VIEW {name} AS SELECT * FROM read_csv({lit(found[0])}, all_varchar=true, header=true, "
            "store_rejects=true, max_line_size=10000000)"
        )
    # Each CSV is scanned once (its unparsable lines are collected in `reject_errors` below).
    con.execute(f"CREATE TABLE uspto_case AS SELECT serial_no, filing_dt FROM case_file{_limit(limit)}")
    con.execute(
        """CREATE TABLE uspto_cls AS SELECT serial_no, count(*) AS n_rows, list_sort(list(intl_class_cd)) AS codes
        FROM intl_class GROUP BY serial_no"""
    )
    con.execute(  # the applicants at filing: the owners of the lowest party-type group (10-19, else 20-29, ...)
        """CREATE TABLE uspto_own AS
        SELECT serial_no, n_rows, list_transform(list_sort(list_filter(owners, lambda o: o.grp = first_grp)),
                                                 lambda o: {'id': NULL::VARCHAR, 'name': o.name}) AS owners
        FROM (SELECT serial_no, count(*) AS n_rows, min(grp) AS first_grp,
                     list({'grp': grp, 'name': own_name}) AS owners
              FROM (SELECT serial_no, coalesce(try_cast(own_type_cd AS INTEGER) // 10, 99) AS grp, own_name
                    FROM owner WHERE own_name IS NOT NULL)
              GROUP BY serial_no)"""
    )
    con.execute(
        """CREATE TABLE uspto_gs AS
        SELECT serial_no, n_rows,
               list_transform(list_sort(gs), lambda s: {'code': substr(s.type, 3, 3), 'text': s.text}) AS gs
        FROM (SELECT serial_no, count(*) AS n_rows, list({'type': statement_type_cd, 'text': statement_text}) AS gs
              FROM statement WHERE regexp_full_match(statement_type_cd, 'GS[0-9]{4}') GROUP BY serial_no)"""
    )
    con.execute(f"""CREATE TABLE raw_t AS
        SELECT {lit(tables["case_file"])} AS source_file,
               'row ' || (c.rn + 1) || ' (' || c.serial_no || ')' AS locator,
               c.serial_no AS application_number, c.filing_dt AS filing_date,
               coalesce(cls.codes, []) AS class_codes, coalesce(gs.gs, []) AS goods_services,
               coalesce(own.owners, []) AS owners, NULL::VARCHAR AS error, NULL::VARCHAR AS detail
        FROM (SELECT rowid AS rn, serial_no, filing_dt FROM uspto_case) c
        LEFT JOIN uspto_cls cls USING (serial_no) LEFT JOIN uspto_own own USING (serial_no)
        LEFT JOIN uspto_gs gs USING (serial_no)
        ORDER BY c.rn""")
    if limit is None:
        _uspto_orphans(con, tables)
    for table in ("uspto_case", "uspto_cls", "uspto_own", "uspto_gs"):
        con.execute(f"DROP TABLE {table}")
    # Rows DuckDB could not parse: case files become rejected records; lines of the other tables are logged.
    con.execute(
        """CREATE TABLE csv_errors AS SELECT DISTINCT ON (s.file_path, e.line) s.file_path, e.line, e.error_type,
               e.error_message FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id)
        ORDER BY s.file_path, e.line"""
    )
    con.execute(
        f"""INSERT INTO raw_t SELECT file_path, 'line ' || line, NULL, NULL, [], [], [],
               CASE WHEN error_type = 'INVALID ENCODING' THEN 'bad_encoding' ELSE 'malformed_record' END,
               error_type || ': ' || error_message
        FROM csv_errors WHERE file_path = {lit(tables["case_file"])}{_limit_left(con, limit)}"""
    )
    _records_view(con, generic=False)
    for path, n in con.execute(
        f"SELECT file_path, count(*) FROM csv_errors WHERE file_path <> {lit(tables['case_file'])} GROUP BY 1"
    ).fetchall():
        logger.warning("%s: %d line(s) could not be parsed and were skipped", path, n)


def _uspto_orphans(con: duckdb.DuckDBPyConnection, tables: dict[str, str]) -> None:
    """Table `uspto_orphans` (file, serial_no, n_rows): side-table rows whose `serial_no` has no case file; logged.

    Only rows that would have been used count (owners with a name, `GS` statements).
    """
    side = {"intl_class": "uspto_cls", "owner": "uspto_own", "statement": "uspto_gs"}
    con.execute(
        "CREATE TABLE uspto_orphans AS "
        + " UNION ALL ".join(
            f"SELECT {lit(tables[name])} AS file, serial_no, n_rows FROM {agg} ANTI JOIN uspto_case USING (serial_no)"
            for name, agg in side.items()
        )
    )
    for path, serials, rows in con.execute(
        "SELECT file, count(*), sum(n_rows) FROM uspto_orphans GROUP BY file ORDER BY file"
    ).fetchall():
        logger.warning("%s: %d row(s) of %d serial number(s) without a case file were not used", path, rows, serials)


def _synthetic_raw(con: duckdb.DuckDBPyConnection, view: str, limit: int | None) -> None:
    """Create `raw_t` from a registered Arrow table with the generic columns (the synthetic source)."""
    rows = f"""SELECT application_number AS a, filing_date AS d, nice_classes AS c, owner AS o, NULL::VARCHAR AS oid,
               goods_services AS g, NULL::VARCHAR AS loc, 'synthetic' AS _file, NULL::VARCHAR AS error,
               NULL::VARCHAR AS detail FROM {view}"""
    con.execute(f"CREATE TABLE raw_t AS {rows}{_limit(limit)}")
    _records_view(con, generic=True)
