"""Build the firm trademark sequence dataset: raw records -> validated filings -> firm sequences -> Parquet shards.

The chain (datatrove style, one record type flowing through):

1. read: a reader (or DuckDB's CSV/Parquet scanner) gives raw records, one row per input record (`readers.py`);
2. validate and normalise in SQL (`normalize.py` macros): each record is kept or gets one reject reason
   (`REJECT_REASONS`); duplicates (same application number) keep their first occurrence;
3. owners -> firms (a filing with several owners belongs to each); firms with fewer than `min_filings` filings
   are dropped; firms are ordered by a seeded hash of `firm_id` and cut 80/10/10 into train/validation/test
   (validation and test get at least one firm each from 3 firms on);
4. write `data/{config}/{split}-{i:05d}-of-{n:05d}.parquet` for `sequences` and `filings` (typed Features from
   `schema.py`, deterministic bytes) from one sorted pass over the kept filings, in chunks of whole firms
   (goods/services are split into terms per chunk, each distinct part normalised once), then `rejects.jsonl`,
   `build_report.json` and the dataset card.

Everything heavy runs in DuckDB with a memory limit (it spills to disk), so memory stays bounded.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from dataset_builder import readers
from dataset_builder.normalize import MIN_DATE, install_macros, split_many
from dataset_builder.readers import RAW_SCHEMA, ColumnMapping, InputError
from dataset_builder.schema import FILINGS_FEATURES, SEQUENCES_FEATURES, SPLITS
from dataset_builder.synthetic import SyntheticConfig, generate

logger = logging.getLogger(__name__)

SOURCES = ("synthetic", "euipo", "uspto-xml", "uspto-csv", "csv", "parquet", "jsonl")
REJECT_REASONS = {
    "malformed_xml": "the XML is not well-formed (a truncated file loses the rest of the file)",
    "unsafe_xml": "the XML declares entities or nests too deep; refused",
    "unsafe_archive_member": "zip member with an absolute or '..' name, or inflating without bound; refused",
    "unreadable_file": "the file could not be opened",
    "malformed_record": "a CSV row or JSON line that could not be parsed",
    "bad_encoding": "text that is not valid UTF-8",
    "missing_application_number": "no application / serial number",
    "missing_date": "no filing date",
    "invalid_date": "a filing date that cannot be parsed or does not exist (e.g. 2021-02-30)",
    "date_out_of_range": f"a filing date before {MIN_DATE} or in the future",
    "no_valid_class": "no Nice class in 1-45 (codes like 0, 46, 9a, A, 200 are not Nice classes)",
    "missing_owner": "no owner name and no applicant id",
    "duplicate_filing": "same application number as an earlier record (the first is kept)",
    "firm_below_min_filings": "every owner firm has fewer filings than the minimum",
}
SPLIT_FRACTIONS = {"train": 0.8, "validation": 0.1, "test": 0.1}
REPO_DIR, REJECTS_NAME, REPORT_NAME = "repo", "rejects.jsonl", "build_report.json"
FILINGS_PER_SHARD, FIRMS_PER_SHARD = 500_000, 50_000
_BATCH = 20_000
ROWS_PER_GROUP = 100_000  # filings per row group (cut at a firm boundary)


@dataclass
class BuildReport:
    """What a build read, kept and rejected, and where it wrote it (also saved as `build_report.json`)."""

    out_dir: str
    source: str
    seed: int
    min_filings: int
    records_read: int = 0
    records_kept: int = 0
    records_rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    dropped_class_codes: dict[str, int] = field(default_factory=dict)  # invalid codes removed from kept filings
    firms: dict[str, int] = field(default_factory=dict)  # per split
    filings: dict[str, int] = field(default_factory=dict)  # rows of the `filings` config, per split
    firms_below_min_filings: int = 0
    stats: dict = field(default_factory=dict)  # for the card: sizes, classes, dates, class frequency
    inputs: list[str] = field(default_factory=list)
    synthetic: dict | None = None  # the SyntheticConfig used, for synthetic builds
    seconds: float = 0.0

    @property
    def repo_dir(self) -> Path:
        return Path(self.out_dir) / REPO_DIR

    @property
    def rejects_path(self) -> Path:
        return Path(self.out_dir) / REJECTS_NAME

    def summary(self) -> str:
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(self.rejected_by_reason.items())) or "none"
        return (
            f"read {self.records_read} = kept {self.records_kept} + rejected {self.records_rejected} ({reasons}); "
            f"firms {sum(self.firms.values())} ({', '.join(f'{s} {n}' for s, n in self.firms.items())}); "
            f"filing rows {sum(self.filings.values())}"
        )

    def save(self) -> Path:
        path = Path(self.out_dir) / REPORT_NAME
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, out_dir: str | Path) -> BuildReport:
        path = Path(out_dir) / REPORT_NAME
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: build the dataset first (hub-release dataset build).")
        return cls(**json.loads(path.read_text()))


# --- 1. Raw records -------------------------------------------------------------------------------------------


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


def _lit(value: str | Path) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join(_lit(v) for v in values) + "]"


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


def _tabular_raw(con: duckdb.DuckDBPyConnection, source: str, files: list[str], m: ColumnMapping) -> None:
    """Create `raw_t` from CSV or Parquet files, read by DuckDB (CSV rows it cannot parse become rejects)."""
    if source == "parquet":
        scan = f"SELECT *, filename AS _file FROM read_parquet({_sql_list(files)}, filename=true)"
        columns = set(con.sql(f"SELECT * FROM read_parquet({_sql_list(files[:1])}) LIMIT 0").columns)
    else:
        header = _csv_header(files[0])
        columns = set(header)
        for f in files:
            if _csv_header(f) != header:
                raise InputError(f"{f}: header differs from {files[0]} ({_csv_header(f)} vs {header}).")
        types = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in header) + "}"
        scan = (
            f"SELECT *, filename AS _file FROM read_csv({_sql_list(files)}, columns={types}, header=true, "
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
    con.execute(f"CREATE TABLE raw_t AS {rows}")
    if source == "csv":  # rows DuckDB could not parse (reject_errors exists once the scan ran)
        errors = """SELECT NULL AS a, NULL AS d, NULL AS c, NULL AS o, NULL AS oid, NULL AS g,
                 'line ' || e.line AS loc, s.file_path AS _file,
                 CASE WHEN e.error_type = 'INVALID ENCODING' THEN 'bad_encoding' ELSE 'malformed_record' END AS error,
                 e.error_type || ': ' || e.error_message AS detail
            FROM (SELECT DISTINCT ON (scan_id, file_id, line) * FROM reject_errors) e
            JOIN reject_scans s USING (scan_id, file_id) ORDER BY s.file_path, e.line"""
        con.execute(f"INSERT INTO raw_t {errors}")
    _records_view(con, generic=True)


def _uspto_csv_raw(con: duckdb.DuckDBPyConnection, inputs: list[Path]) -> None:
    """Create `raw_t` from the USPTO Case Files Dataset tables, joined on `serial_no`."""
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
            f"CREATE VIEW {name} AS SELECT * FROM read_csv({_lit(found[0])}, all_varchar=true, header=true, "
            "store_rejects=true, max_line_size=10000000)"
        )
    con.execute(f"""CREATE TABLE raw_t AS
        WITH cf AS (SELECT row_number() OVER () AS rn, * FROM case_file),
        cls AS (SELECT serial_no, list(intl_class_cd) AS codes FROM intl_class GROUP BY serial_no),
        own AS (SELECT serial_no, coalesce(try_cast(own_type_cd AS INTEGER) // 10, 99) AS grp, own_name
                FROM owner WHERE own_name IS NOT NULL),
        first_own AS (SELECT serial_no, list({{'id': NULL::VARCHAR, 'name': own_name}} ORDER BY own_name) AS owners
                      FROM (SELECT * FROM own QUALIFY grp = min(grp) OVER (PARTITION BY serial_no))
                      GROUP BY serial_no),
        gs AS (SELECT serial_no, list({{'code': substr(statement_type_cd, 3, 3), 'text': statement_text}}
                                      ORDER BY statement_type_cd) AS gs
               FROM statement WHERE regexp_full_match(statement_type_cd, 'GS[0-9]{{4}}') GROUP BY serial_no)
        SELECT {_lit(tables["case_file"])} AS source_file, 'row ' || rn || ' (' || cf.serial_no || ')' AS locator,
               cf.serial_no AS application_number, cf.filing_dt AS filing_date, coalesce(cls.codes, []) AS class_codes,
               coalesce(gs.gs, []) AS goods_services, coalesce(first_own.owners, []) AS owners,
               NULL::VARCHAR AS error, NULL::VARCHAR AS detail
        FROM cf LEFT JOIN cls USING (serial_no) LEFT JOIN first_own USING (serial_no) LEFT JOIN gs USING (serial_no)
        ORDER BY rn""")
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
        FROM csv_errors WHERE file_path = {_lit(tables["case_file"])}"""
    )
    _records_view(con, generic=False)
    for path, n in con.execute(
        f"SELECT file_path, count(*) FROM csv_errors WHERE file_path <> {_lit(tables['case_file'])} GROUP BY 1"
    ).fetchall():
        logger.warning("%s: %d line(s) could not be parsed and were skipped", path, n)


# --- 2-3. Validate, firms, splits (SQL) ----------------------------------------------------------------------


def _pipeline(con: duckdb.DuckDBPyConnection, source: str, min_filings: int, seed: int) -> None:
    # `raw_records` has one row per input record, in input order; its `rec_id` is the rowid in `raw_t`.
    con.execute(
        """CREATE VIEW raw AS
        SELECT rec_id, source_file,
               coalesce(locator, 'row ' || (rec_id + 1) || coalesce(' (' || application_number || ')', '')) AS locator,
               application_number, filing_date, class_codes, goods_services, owners, error, detail, class_key
        FROM raw_records"""
    )
    src = source.replace("'", "''")
    # Owners: normalise each distinct name once, then map records to firms (a record with several owners -> each).
    con.execute(
        """CREATE TABLE owner_rows AS
        SELECT rec_id, o.id AS oid, o.name AS oname, n_owners
        FROM (SELECT rec_id, unnest(owners) AS o, len(owners) AS n_owners FROM raw)"""
    )
    con.execute(
        """CREATE TABLE owner_map AS SELECT oname, firm_id_of(oname) AS firm_id, display_name(oname) AS firm_name
        FROM (SELECT DISTINCT oname FROM owner_rows WHERE oname IS NOT NULL)"""
    )
    con.execute(
        f"""CREATE TABLE rec_firms AS
        WITH f AS (
            SELECT r.rec_id, r.n_owners, coalesce(m.firm_id, '{src}:' || nullif(trim(r.oid), '')) AS firm_id,
                   coalesce(m.firm_name, nullif(trim(r.oid), '')) AS firm_name
            FROM owner_rows r LEFT JOIN owner_map m USING (oname))
        SELECT rec_id, firm_id, firm_name FROM f WHERE n_owners = 1 AND firm_id IS NOT NULL
        UNION ALL  -- several owners may be one firm
        SELECT rec_id, firm_id, min(firm_name) FROM f WHERE n_owners > 1 AND firm_id IS NOT NULL
        GROUP BY rec_id, firm_id"""
    )
    # Validation: narrow columns only (the texts stay in `raw` until the kept filings are known).
    con.execute(
        """CREATE TABLE class_sets AS
        SELECT class_key, list_sort(list_distinct(p)) AS classes,  -- list_distinct drops the NULLs
               list_filter(codes, lambda c, i: p[i] IS NULL) AS bad_codes
        FROM (SELECT class_key, codes, list_transform(codes, lambda c: nice_class(c)) AS p
              FROM (SELECT class_key, class_codes_of(class_key) AS codes
                    FROM (SELECT DISTINCT class_key FROM raw_records)))"""
    )
    con.execute(
        f"""CREATE TABLE parsed AS
        SELECT rec_id, app, date_raw, fdate, classes, bad_codes, CASE
                WHEN error IS NOT NULL THEN error
                WHEN app IS NULL THEN 'missing_application_number'
                WHEN date_raw IS NULL THEN 'missing_date'
                WHEN fdate IS NULL THEN 'invalid_date'
                WHEN fdate < DATE '{MIN_DATE}' OR fdate > current_date THEN 'date_out_of_range'
                WHEN len(classes) = 0 THEN 'no_valid_class'
                WHEN rec_id NOT IN (SELECT rec_id FROM rec_firms) THEN 'missing_owner' END AS reason
        FROM (SELECT r.rec_id, r.error, nullif(trim(r.application_number), '') AS app,
                     nullif(trim(r.filing_date), '') AS date_raw, parse_date(r.filing_date) AS fdate,
                     s.classes, s.bad_codes
              FROM raw r LEFT JOIN class_sets s ON r.class_key IS NOT DISTINCT FROM s.class_key)"""
    )
    # Duplicates: the first record of each application number is kept.
    con.execute(
        """CREATE TABLE firsts AS
        SELECT app, min(rec_id) AS first_rec FROM parsed WHERE reason IS NULL GROUP BY app"""
    )
    con.execute(
        """CREATE TABLE owned AS
        SELECT f.* FROM rec_firms f SEMI JOIN firsts ON f.rec_id = firsts.first_rec"""
    )
    con.execute(
        f"""CREATE TABLE firms AS
        WITH names AS (SELECT firm_id, firm_name, count(*) AS n FROM owned GROUP BY ALL),
             best AS (SELECT firm_id, firm_name FROM names
                      QUALIFY row_number() OVER (PARTITION BY firm_id ORDER BY n DESC, firm_name) = 1),
             counts AS (SELECT firm_id, count(*) AS n_filings FROM owned GROUP BY firm_id),
             u AS (SELECT firm_id, ('0x' || substr(md5('{int(seed)}:' || firm_id), 1, 12))::UBIGINT AS u
                   FROM counts WHERE n_filings >= {int(min_filings)}),
             ranked AS (SELECT firm_id, row_number() OVER (ORDER BY u, firm_id) - 1 AS r, count(*) OVER () AS n
                        FROM u),
             sized AS (SELECT *, CASE WHEN n >= 3 THEN greatest(1, round(n * {SPLIT_FRACTIONS["validation"]}))
                                      ELSE 0 END AS n_val,
                                 CASE WHEN n >= 3 THEN greatest(1, round(n * {SPLIT_FRACTIONS["test"]}))
                                      ELSE 0 END AS n_test
                       FROM ranked)
        SELECT firm_id, firm_name, n_filings,
               CASE WHEN r IS NULL THEN NULL WHEN r < n - n_val - n_test THEN 'train'
                    WHEN r < n - n_test THEN 'validation' ELSE 'test' END AS split
        FROM counts JOIN best USING (firm_id) LEFT JOIN sized USING (firm_id)"""
    )
    # Kept filings, one row per (filing, owner firm), narrow: the texts stay in `raw_t` until written. `ord` numbers
    # the firms in output order (split, firm_id): an integer sort key.
    con.execute(
        """CREATE TABLE firm_order AS
        SELECT firm_id, firm_name, split, row_number() OVER (ORDER BY split, firm_id) AS ord
        FROM firms WHERE split IS NOT NULL ORDER BY ord"""
    )
    con.execute(
        """CREATE TABLE kept AS
        SELECT o.rec_id, f.ord, f.firm_id, f.split, p.app, p.fdate, p.classes
        FROM owned o JOIN firm_order f USING (firm_id) JOIN parsed p USING (rec_id)"""
    )
    con.execute(
        f"""CREATE TABLE rejects AS
        SELECT rec_id, reason, NULL::BIGINT AS first_rec, CASE reason
                WHEN 'invalid_date' THEN 'filing date ' || date_raw
                WHEN 'date_out_of_range' THEN 'filing date ' || fdate
                WHEN 'no_valid_class' THEN 'class codes [' || array_to_string(bad_codes, ', ') || ']'
                WHEN 'missing_owner' THEN 'no owner name or applicant id'
                WHEN 'missing_date' THEN 'no filing date'
                WHEN 'missing_application_number' THEN 'no application number'
                END AS detail
        FROM parsed WHERE reason IS NOT NULL
        UNION ALL
        SELECT d.rec_id, 'duplicate_filing', f.first_rec, NULL
        FROM (SELECT p.rec_id, p.app FROM parsed p ANTI JOIN firsts ON p.rec_id = firsts.first_rec
              WHERE p.reason IS NULL) d JOIN firsts f USING (app)
        UNION ALL
        SELECT o.rec_id, 'firm_below_min_filings', NULL,
               'owner(s) ' || string_agg(o.firm_id, ', ' ORDER BY o.firm_id)
               || ' have fewer than {int(min_filings)} filings'
        FROM owned o ANTI JOIN kept k USING (rec_id)
        GROUP BY o.rec_id"""
    )


# --- 4. Writing ----------------------------------------------------------------------------------------------


class _ShardWriter:
    """Rows in, `{prefix}-{i:05d}-of-{n:05d}.parquet` shards out (written to `.tmp`, renamed when complete).

    Writes in a thread of its own, one table at a time (Parquet encoding releases the GIL), so that encoding
    overlaps with preparing the next chunk. `options`: `pq.ParquetWriter` keyword arguments.
    """

    def __init__(self, prefix: Path, n_rows: int, per_shard: int, schema: pa.Schema, options: dict):
        n_shards = max(1, math.ceil(n_rows / per_shard))
        prefix.parent.mkdir(parents=True, exist_ok=True)
        self.paths = [prefix.parent / f"{prefix.name}-{i:05d}-of-{n_shards:05d}.parquet" for i in range(n_shards)]
        self.schema, self.per_shard, self.options = schema, per_shard, options
        self.index, self.in_shard, self.writer = 0, 0, None
        self.thread, self.pending = ThreadPoolExecutor(1, thread_name_prefix=prefix.name), None

    def _tmp(self) -> Path:
        return self.paths[self.index].with_suffix(".parquet.tmp")

    def _open(self) -> None:
        self.writer = pq.ParquetWriter(self._tmp(), self.schema, **self.options)

    def _close_shard(self) -> None:
        if self.writer is None:  # an empty shard: a valid file with no row group
            self._open()
        self.writer.close()
        self._tmp().replace(self.paths[self.index])
        self.writer, self.in_shard, self.index = None, 0, self.index + 1

    def _write(self, table: pa.Table) -> None:
        table = table.cast(self.schema)
        while table.num_rows:
            if self.writer is None:
                self._open()
            take = min(self.per_shard - self.in_shard, table.num_rows)
            self.writer.write_table(table.slice(0, take), row_group_size=take)
            self.in_shard += take
            table = table.slice(take)
            if self.in_shard == self.per_shard and self.index < len(self.paths) - 1:
                self._close_shard()

    def _wait(self) -> None:
        if self.pending is not None:
            self.pending, pending = None, self.pending
            pending.result()  # re-raises what the thread raised

    def write(self, table: pa.Table) -> None:
        """Queue `table` (one row group per shard it spans); waits for the previous one first."""
        self._wait()
        self.pending = self.thread.submit(self._write, table)

    def close(self) -> None:
        try:
            self._wait()
            while self.index < len(self.paths):
                self._close_shard()
        finally:
            self.thread.shutdown()


# Parquet writer options per config: zstd; dictionary encoding only for the columns with repeated values (smaller
# and faster to write); the mostly unique ones (numbers, texts) are plain.
PARQUET_OPTIONS = {
    "filings": {
        "compression": "zstd",
        "use_dictionary": [
            "firm_id", "firm_name", "filing_date", "nice_classes.list.element", "terms.list.element", "source"
        ],
    },
    "sequences": {
        "compression": "zstd",
        "use_dictionary": [
            "n_filings", "filings.list.element.filing_date", "filings.list.element.nice_classes.list.element",
            "filings.list.element.terms.list.element",
        ],
    },
}  # fmt: skip


_FILING_FIELDS = ["application_number", "filing_date", "nice_classes", "terms", "goods_services"]


class _Chunks:
    """Sorted kept filings in, `filings` and `sequences` rows out, a chunk of whole firms at a time.

    A kept filing comes with its firm's `ord` and its kept goods/services `gs`: the firms' ids and names are looked
    up in `firm_order` by `ord` range, and `gs` is split into terms (`normalize.split_many`), through a cursor of its
    own (the connection is busy streaming the filings). Also counts the terms for the card.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, source: str, oracle: dict[str, list[float]] | None):
        self.cur, self.source, self.oracle = con.cursor(), source, oracle
        self.cur.execute("CREATE OR REPLACE TABLE seen_terms (t VARCHAR)")
        self.n_terms, self.n_with_terms = 0, 0  # for the mean number of terms per filing

    def terms(self, gs: pa.Array) -> pa.ListArray:
        """The terms of each filing, from its kept goods/services (`list<struct<code, text>>`)."""
        if gs.offset:  # a slice: `from_arrays` wants the validity bitmap unsliced
            gs = pa.concat_arrays([gs])
        texts = pa.ListArray.from_arrays(
            gs.offsets, gs.values.field("text"), mask=gs.is_null() if gs.null_count else None
        )
        terms = split_many(texts, self.cur)
        self.n_terms += len(terms.values)
        self.n_with_terms += len(terms) - terms.null_count
        self.cur.register("chunk_terms", pa.table({"t": pc.unique(terms.values)}))
        self.cur.execute("INSERT INTO seen_terms SELECT t FROM chunk_terms")
        self.cur.unregister("chunk_terms")
        return terms

    def __call__(self, rows: pa.Table) -> tuple[pa.Table, pa.Table]:
        rows = rows.combine_chunks()  # one row group from one chunk: its bytes do not depend on the batching
        ords = rows.column("ord").to_numpy()
        first = int(ords[0])
        firms = self.cur.sql(
            "SELECT firm_id, firm_name FROM firm_order WHERE ord BETWEEN ? AND ? ORDER BY ord",
            params=[first, int(ords[-1])],
        ).to_arrow_table()
        if firms.num_rows != ords[-1] - first + 1:  # every firm has filings: the ords of a chunk are consecutive
            raise RuntimeError(f"Internal error: firms {first}..{ords[-1]} are not all in firm_order.")
        firm = pa.array(ords - first)
        n = len(ords)
        filings = pa.table(
            {
                "firm_id": firms.column("firm_id").take(firm),
                "firm_name": firms.column("firm_name").take(firm),
                "application_number": rows.column("application_number"),
                "filing_date": rows.column("filing_date"),
                "nice_classes": rows.column("nice_classes"),
                "terms": self.terms(rows.column("gs").chunk(0)),
                "goods_services": rows.column("goods_services"),
                "source": pa.repeat(self.source, n),
            }
        )
        offsets = np.concatenate([[0], np.flatnonzero(ords[1:] != ords[:-1]) + 1, [n]]).astype(np.int32)
        cols = [filings.column(f).chunk(0) for f in _FILING_FIELDS]
        if self.oracle is None:
            probs = pa.nulls(firms.num_rows, pa.list_(pa.float32()))
        else:
            last = rows.column("application_number").take(pa.array(offsets[1:] - 1)).to_pylist()
            probs = pa.array([self.oracle.get(a) for a in last], pa.list_(pa.float32()))
        sequences = pa.table(
            {
                "firm_id": firms.column("firm_id"),
                "firm_name": firms.column("firm_name"),
                "n_filings": pa.array(np.diff(offsets), pa.int32()),
                "filings": pa.ListArray.from_arrays(
                    pa.array(offsets), pa.StructArray.from_arrays(cols, names=_FILING_FIELDS)
                ),
                "oracle_last_filing_class_probs": probs,
            }
        )
        return filings, sequences

    def term_stats(self) -> dict:
        distinct = self.cur.execute("SELECT count(DISTINCT t) FROM seen_terms").fetchall()[0][0]
        mean = self.n_terms / self.n_with_terms if self.n_with_terms else 0
        return {"terms_per_filing": round(mean, 3), "distinct_terms": distinct}


class _Rows:
    """Consecutive row ranges of a record batch stream."""

    def __init__(self, reader: pa.RecordBatchReader):
        self.batches, self.rest = iter(reader), None

    def take(self, n: int) -> Iterator[pa.RecordBatch]:
        """The next `n` rows, as batches."""
        while n > 0:
            batch = self.rest if self.rest is not None else next(self.batches)
            self.rest = batch.slice(n) if batch.num_rows > n else None
            batch = batch.slice(0, n)
            n -= batch.num_rows
            yield batch


def _write_split(
    batches: Iterator[pa.RecordBatch], split: str, repo: Path, counts: tuple[int, int], chunks: _Chunks
) -> None:
    """Write one split's sorted filings, both configs (firms never straddle a row group)."""
    n_firms, n_filings = counts
    filings, seqs = (
        _ShardWriter(repo / "data" / config / split, n, per_shard, features.arrow_schema, PARQUET_OPTIONS[config])
        for config, n, per_shard, features in (
            ("filings", n_filings, FILINGS_PER_SHARD, FILINGS_FEATURES),
            ("sequences", n_firms, FIRMS_PER_SHARD, SEQUENCES_FEATURES),
        )
    )

    def emit(rows: pa.Table) -> None:
        chunk, firms = chunks(rows)
        filings.write(chunk)
        seqs.write(firms)

    pending: pa.Table | None = None
    for batch in batches:
        pending = pa.Table.from_batches([batch]) if pending is None else pa.concat_tables([pending, pa.table(batch)])
        while pending.num_rows > ROWS_PER_GROUP:
            ords = pending.column("ord")
            tail = ords.slice(ROWS_PER_GROUP - 1)
            moved = pc.not_equal(tail.slice(1), tail.slice(0, len(tail) - 1))
            first = pc.index(moved, True).as_py()
            if first < 0:
                break
            cut = ROWS_PER_GROUP + first
            emit(pending.slice(0, cut))
            pending = pending.slice(cut)
    if pending is not None and pending.num_rows:
        emit(pending)
    filings.close()
    seqs.close()


def _write_outputs(
    con: duckdb.DuckDBPyConnection, source: str, repo: Path, oracle: dict | None
) -> tuple[dict, dict, dict]:
    """Write both configs; returns firms and filing rows per split, and the term statistics.

    One sorted pass over the kept filings (by `ord`, i.e. split then firm, then date and application number) with
    their texts from `raw`: the splits come one after another, in name order.
    """
    counts = dict.fromkeys(SPLITS, (0, 0)) | {
        s: (nf, nr)
        for s, nf, nr in con.execute(
            "SELECT split, count(DISTINCT firm_id), count(*) FROM kept GROUP BY split"
        ).fetchall()
    }
    # ORDER BY fixes the order (the key is unique): no insertion-order bookkeeping, which needs more memory.
    con.execute("SET preserve_insertion_order = false")
    try:
        reader = con.sql(
            """WITH t AS (
                SELECT k.ord, k.app, k.fdate, k.classes, CASE
                    WHEN len(r.goods_services) = 1 AND r.goods_services[1].code IS NULL  -- tabular: no codes
                    THEN CASE WHEN length(r.goods_services[1].text) > 0 THEN r.goods_services ELSE [] END
                    ELSE list_filter(r.goods_services, lambda g: length(g.text) > 0
                                     AND (g.code IS NULL OR nice_class(g.code) IS NOT NULL)) END AS gs
                FROM raw r JOIN kept k USING (rec_id))
            SELECT ord, app AS application_number, fdate AS filing_date, classes AS nice_classes, gs,
                   CASE WHEN len(gs) = 1 AND gs[1].code IS NULL THEN strip_text(gs[1].text)
                   ELSE array_to_string(list_transform(gs,
                       lambda g: CASE WHEN list_contains(classes, nice_class(g.code))
                                      THEN 'Class ' || nice_class(g.code) || ': ' || strip_text(g.text)
                                      ELSE strip_text(g.text) END), '; ') END AS goods_services
            FROM t ORDER BY ord, fdate, app"""
        ).to_arrow_reader(_BATCH)
        with reader:
            rows, chunks = _Rows(reader), _Chunks(con, source, oracle)
            for split in sorted(SPLITS):  # the order of `ord`
                _write_split(rows.take(counts[split][1]), split, repo, counts[split], chunks)
    finally:
        con.execute("SET preserve_insertion_order = true")
    return {s: counts[s][0] for s in SPLITS}, {s: counts[s][1] for s in SPLITS}, chunks.term_stats()


def _stats(con: duckdb.DuckDBPyConnection, term_stats: dict) -> dict:
    sizes = con.execute(
        """SELECT avg(n)::DOUBLE, median(n)::DOUBLE, max(n), min(n)
           FROM (SELECT count(*) AS n FROM kept GROUP BY firm_id)"""
    ).fetchall()[0]
    per_filing = con.execute(
        "SELECT avg(len(classes))::DOUBLE, min(fdate)::VARCHAR, max(fdate)::VARCHAR FROM kept"
    ).fetchall()[0]
    classes = dict(
        con.execute(
            "SELECT c::INTEGER, count(*) FROM (SELECT unnest(classes) AS c FROM kept) GROUP BY c ORDER BY c"
        ).fetchall()
    )
    return {
        "filings_per_firm": {"mean": round(sizes[0] or 0, 2), "median": sizes[1], "max": sizes[2], "min": sizes[3]},
        "classes_per_filing": round(per_filing[0] or 0, 3),
        "terms_per_filing": term_stats["terms_per_filing"],
        "first_filing_date": per_filing[1],
        "last_filing_date": per_filing[2],
        "distinct_terms": term_stats["distinct_terms"],
        "class_frequency": {str(c): classes.get(c, 0) for c in range(1, 46)},
    }


def _connect(work: Path, memory_limit: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = {_lit(work / 'spill')}")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    install_macros(con)
    return con


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

    Raises:
        InputError: an input is missing or wholly unreadable (the message names the file).
        ValueError: an invalid argument.
    """
    started = time.monotonic()
    if source not in SOURCES:
        raise ValueError(f"Unknown source {source!r}; expected one of {', '.join(SOURCES)}.")
    if min_filings < 1:
        raise ValueError(f"min_filings must be >= 1, got {min_filings}.")
    paths = [Path(p) for p in inputs or []]
    if source != "synthetic" and not paths:
        raise ValueError(f"Source {source!r} needs at least one input path (--input).")
    mapping = mapping or ColumnMapping()
    out = Path(out_dir)
    work = out / ".work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(out / REPO_DIR / "data", ignore_errors=True)
    work.mkdir(parents=True)
    con = _connect(work, memory_limit)
    report = BuildReport(str(out), source, seed, min_filings, inputs=[str(p) for p in paths])
    try:
        oracle = None
        if source == "synthetic":
            cfg = synthetic or SyntheticConfig(n_firms=n_firms, seed=seed)
            data = generate(cfg)
            report.synthetic = asdict(cfg)
            con.register("synthetic_raw", data.raw)
            oracle = dict(
                zip(
                    data.oracle["application_number"].to_pylist(),
                    data.oracle["oracle_last_filing_class_probs"].to_pylist(),
                    strict=True,
                )
            )
            _synthetic_raw(con, "synthetic_raw")
        elif source in ("csv", "parquet"):
            suffixes = (".parquet",) if source == "parquet" else (".csv", ".tsv")
            _tabular_raw(con, source, _tabular_files(paths, suffixes), mapping)
        elif source == "uspto-csv":
            _uspto_csv_raw(con, paths)
        else:
            staging = work / "raw.parquet"
            _stage_records(_python_records(source, paths, mapping), staging)
            con.execute(f"CREATE TABLE raw_t AS SELECT * FROM read_parquet({_lit(staging)})")
            _records_view(con, generic=False)
        logger.info("Validating and normalising records")
        _pipeline(con, source, min_filings, seed)
        repo = out / REPO_DIR
        report.firms, report.filings, term_stats = _write_outputs(con, source, repo, oracle)
        _fill_counts(con, report, term_stats)
        con.execute(
            f"""COPY (SELECT r.source_file, r.locator, j.reason,
                        CASE WHEN j.reason = 'duplicate_filing'
                             THEN 'application ' || trim(r.application_number) || ' first seen at '
                                  || f.source_file || ' ' || f.locator
                             ELSE coalesce(j.detail, r.detail) END AS detail
                  FROM rejects j JOIN raw r USING (rec_id) LEFT JOIN raw f ON f.rec_id = j.first_rec
                  ORDER BY j.rec_id, j.reason)
                TO {_lit(out / REJECTS_NAME)} (FORMAT JSON)"""
        )
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


def _synthetic_raw(con: duckdb.DuckDBPyConnection, view: str) -> None:
    """Create `raw_t` from a registered Arrow table with the generic columns (the synthetic source)."""
    rows = f"""SELECT application_number AS a, filing_date AS d, nice_classes AS c, owner AS o, NULL::VARCHAR AS oid,
               goods_services AS g, NULL::VARCHAR AS loc, 'synthetic' AS _file, NULL::VARCHAR AS error,
               NULL::VARCHAR AS detail FROM {view}"""
    con.execute(f"CREATE TABLE raw_t AS {rows}")
    _records_view(con, generic=True)


def _fill_counts(con: duckdb.DuckDBPyConnection, report: BuildReport, term_stats: dict) -> None:
    report.records_read = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    report.records_kept = con.execute("SELECT count(DISTINCT rec_id) FROM kept").fetchall()[0][0]
    report.records_rejected = con.execute("SELECT count(*) FROM rejects").fetchall()[0][0]
    report.rejected_by_reason = dict(
        con.execute("SELECT reason, count(*) FROM rejects GROUP BY 1 ORDER BY 1").fetchall()
    )
    report.dropped_class_codes = dict(
        con.execute(
            """SELECT code, count(*) FROM (SELECT unnest(bad_codes) AS code FROM parsed
               SEMI JOIN kept USING (rec_id) WHERE len(bad_codes) > 0) GROUP BY 1 ORDER BY 1"""
        ).fetchall()
    )
    report.firms_below_min_filings = con.execute(
        "SELECT count(*) FROM firms WHERE n_filings < ?", [report.min_filings]
    ).fetchall()[0][0]
    report.stats = _stats(con, term_stats)
    if report.records_read != report.records_kept + report.records_rejected:
        raise RuntimeError(
            f"Internal accounting error: read {report.records_read} != kept {report.records_kept} + rejected "
            f"{report.records_rejected}; please report this bug."
        )
