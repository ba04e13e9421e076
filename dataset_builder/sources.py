"""Readers' plumbing: (source, inputs, mapping) in, the `raw_records` view out, one row per input record read.

* `euipo`, `uspto-xml`, `jsonl`: the Python readers (`readers.py`) stream records into a staging Parquet file, in
  bounded batches.
* `csv`, `parquet`: DuckDB's scanners (CSV rows it cannot parse become rejected records); `uspto-csv`: the USPTO Case
  Files tables joined on `serial_no` (rows of the other tables whose serial number has no case file, and rows that
  cannot be parsed, become rejected records too); `synthetic`: the generator's table (`synthetic.py`).

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
from dataset_builder.db import lit, sql_list
from dataset_builder.input_checks import (
    GENERIC_COLUMNS,
    FileRejects,
    check_input,
    tabular_files,
    usable_tabular_files,
    uspto_tables,
)
from dataset_builder.readers import RAW_SCHEMA, ColumnMapping
from dataset_builder.synthetic import SyntheticConfig, generate

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
) -> dict[str, list[float]] | None:
    """Create the `raw_records` view of `source`'s records; returns the synthetic oracle (None for other sources).

    `raw_records` has one row per record read, in input order: `RAW_SCHEMA`'s columns, `rec_id` (its rowid in the
    table `raw_t`) and `class_key` (see `_records_view`). `synthetic`: the generator config (synthetic only);
    `staging`: the staging file of the Python readers. `strict`: a file that cannot be read stops the build
    (`InputError`) instead of being a file-level reject.
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
        _uspto_csv_raw(con, paths, limit, rejects)
    else:
        records = _python_records(source, paths, mapping, strict)
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


def _python_records(source: str, inputs: list[Path], mapping: ColumnMapping, strict: bool) -> Iterator[dict]:
    read = {"euipo": readers.read_euipo, "uspto-xml": readers.read_uspto_xml}.get(source)
    for path in inputs:
        records = readers.read_jsonl(path, mapping) if source == "jsonl" else read(path)
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
        con.execute(f"CREATE TABLE raw_t AS {select(files, tag)}{_limit(limit)}")
    except duckdb.Error:  # a file that passed the checks yet cannot be scanned (a corrupt page, a bad CSV state)
        files, tag = _scannable(con, files, select, rejects), "scannable"
        con.execute(f"CREATE TABLE raw_t AS {select(files, tag)}{_limit(limit)}")
    if source == "csv" and files:  # rows DuckDB could not parse (the rejects table exists once the scan ran)
        errors = f"""SELECT NULL AS a, NULL AS d, NULL AS c, NULL AS o, NULL AS oid, NULL AS g, NULL AS gl,
                 'line ' || e.line AS loc, s.file_path AS _file,
                 CASE WHEN e.error_type = 'INVALID ENCODING' THEN 'bad_encoding' ELSE 'malformed_record' END AS error,
                 e.error_type || ': ' || e.error_message AS detail
            FROM (SELECT DISTINCT ON (scan_id, file_id, line) * FROM csv_errors_{tag}) e
            JOIN csv_scans_{tag} s USING (scan_id, file_id) ORDER BY s.file_path, e.line"""
        con.execute(f"INSERT INTO raw_t {errors}{_limit_left(con, limit)}")
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


def _uspto_csv_raw(
    con: duckdb.DuckDBPyConnection, inputs: list[Path], limit: int | None, rejects: FileRejects
) -> None:
    """Create `raw_t` from the USPTO Case Files Dataset tables, joined on `serial_no`.

    Rows of the other tables whose serial number has no case file are rejected (`orphan_row`), and so are the
    lines DuckDB cannot parse; a missing or unreadable table refuses the inputs (file-level rejects).
    """
    tables = uspto_tables(inputs, rejects)
    for name, (path, header) in (tables or {}).items():
        types = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in header) + "}"
        con.execute(
            f"CREATE VIEW {name} AS SELECT row_number() OVER () AS rn, * FROM read_csv({lit(path)}, "
            f"columns={types}, header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
            "store_rejects=true, max_line_size=10000000)"
        )
    try:
        if tables is not None:
            _uspto_join(con, {name: path for name, (path, _) in tables.items()}, limit)
    except duckdb.Error as err:  # a table DuckDB cannot scan (a CSV it cannot parse at all)
        con.execute("DROP TABLE IF EXISTS raw_t")
        unscannable = []
        for name, (path, _) in tables.items():
            try:
                con.execute(f"SELECT count(*) FROM {name}").fetchall()
            except duckdb.Error as table_err:
                unscannable.append((path, str(table_err).splitlines()[0]))
        for path, why in unscannable or [(", ".join(map(str, inputs)), str(err).splitlines()[0])]:
            rejects.add(path, "unreadable_file", f"cannot be scanned ({why}); fix the table or leave it out")
        tables = None
    if tables is None:  # the inputs were refused: no records but their rejects
        con.register("no_records", RAW_SCHEMA.empty_table())
        con.execute("CREATE TABLE raw_t AS SELECT * FROM no_records")
        con.unregister("no_records")
    rejects.append_to(con, generic=False, limit=limit)
    _records_view(con, generic=False)


def _uspto_join(con: duckdb.DuckDBPyConnection, tables: dict[str, str], limit: int | None) -> None:
    """`raw_t` from the views of the USPTO tables (`tables`: their files): case files, then rejected rows."""
    case_files = "case_file" if limit is None else f"(SELECT * FROM case_file{_limit(limit)})"
    con.execute(f"""CREATE TABLE raw_t AS
        WITH cf AS (SELECT * FROM {case_files}),
        cls AS (SELECT serial_no, list(intl_class_cd) AS codes FROM intl_class GROUP BY serial_no),
        own AS (SELECT serial_no, coalesce(try_cast(own_type_cd AS INTEGER) // 10, 99) AS grp, own_name
                FROM owner WHERE own_name IS NOT NULL),
        first_own AS (SELECT serial_no, list({{'id': NULL::VARCHAR, 'name': own_name}} ORDER BY own_name) AS owners
                      FROM (SELECT * FROM own QUALIFY grp = min(grp) OVER (PARTITION BY serial_no))
                      GROUP BY serial_no),
        gs AS (SELECT serial_no, list({{'code': substr(statement_type_cd, 3, 3), 'text': statement_text,
                                        'lang': 'en'}} ORDER BY statement_type_cd) AS gs
               FROM statement WHERE regexp_full_match(statement_type_cd, 'GS[0-9]{{4}}') GROUP BY serial_no)
        SELECT {lit(tables["case_file"])} AS source_file, 'row ' || rn || ' (' || cf.serial_no || ')' AS locator,
               cf.serial_no AS application_number, cf.filing_dt AS filing_date, coalesce(cls.codes, []) AS class_codes,
               coalesce(gs.gs, []) AS goods_services, coalesce(first_own.owners, []) AS owners,
               NULL::VARCHAR AS error, NULL::VARCHAR AS detail
        FROM cf LEFT JOIN cls USING (serial_no) LEFT JOIN first_own USING (serial_no) LEFT JOIN gs USING (serial_no)
        ORDER BY rn""")
    # Rows of the other tables that belong to no case file: rejected, not silently ignored.
    orphans = " UNION ALL ".join(
        f"SELECT {i} AS t, {lit(tables[name])} AS file, rn, serial_no FROM {name}"
        for i, name in enumerate(("intl_class", "owner", "statement"))
    )
    con.execute(
        f"""INSERT INTO raw_t SELECT file, 'row ' || rn || coalesce(' (' || serial_no || ')', ''), NULL, NULL,
               [], [], [], 'orphan_row',
               coalesce('serial number ' || serial_no || ' has no row', 'no serial number, so no row')
               || ' in case_file.csv; add its case file or drop the row'
        FROM ({orphans}) o ANTI JOIN case_file c USING (serial_no) ORDER BY t, rn{_limit_left(con, limit)}"""
    )
    # Rows DuckDB could not parse, in every table: rejected records.
    con.execute(
        f"""INSERT INTO raw_t SELECT file_path, 'line ' || line, NULL, NULL, [], [], [],
               CASE WHEN error_type = 'INVALID ENCODING' THEN 'bad_encoding' ELSE 'malformed_record' END,
               error_type || ': ' || error_message
        FROM (SELECT DISTINCT ON (s.file_path, e.line) s.file_path, e.line, e.error_type, e.error_message
              FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id))
        ORDER BY file_path <> {lit(tables["case_file"])}, file_path, line{_limit_left(con, limit)}"""
    )


def _synthetic_raw(con: duckdb.DuckDBPyConnection, view: str, limit: int | None) -> None:
    """Create `raw_t` from a registered Arrow table with the generic columns (the synthetic source)."""
    rows = f"""SELECT application_number AS a, filing_date AS d, nice_classes AS c, owner AS o, NULL::VARCHAR AS oid,
               goods_services AS g, 'en' AS gl, NULL::VARCHAR AS loc, 'synthetic' AS _file, NULL::VARCHAR AS error,
               NULL::VARCHAR AS detail FROM {view}"""
    con.execute(f"CREATE TABLE raw_t AS {rows}{_limit(limit)}")
    _records_view(con, generic=True)
