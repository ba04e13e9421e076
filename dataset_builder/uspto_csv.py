"""The USPTO Trademark Case Files Dataset tables (`case_file`, `owner`, `intl_class`, `statement` CSVs) into `raw_t`.

Built so that DuckDB can spill at register size (millions of case files, GBs of statements): the case files go into
a table (its rowid is the row number); each side table is reduced to one row per `serial_no` by unordered aggregates
whose lists are sorted afterwards (ordered aggregates and windows over the whole input do not spill); then one join,
ordered by row number. Lists come sorted: class codes, owner names, statements by type code.

No row is lost silently:

* side-table rows whose `serial_no` has no case file (or no `serial_no` at all) are found by anti-joining the
  per-`serial_no` aggregates with the case files (table `uspto_orphans(t, file, serial_no, n_rows)`); each such row
  becomes an `orphan_row` reject, `row N (serial_no)` in its table. Only a table that has orphans is scanned a
  second time, for their row numbers (its `serial_no` column into a table: its rowid is the row number);
* lines DuckDB cannot parse, in every table, are `malformed_record` / `bad_encoding` rejects;
* a missing table, one without the needed columns or one DuckDB cannot scan refuses the inputs: file-level rejects
  (`input_checks.FileRejects`; with `strict`, an `InputError`).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import duckdb

from dataset_builder.db import limit_clause, limit_left, lit, run_steps
from dataset_builder.input_checks import FileRejects, uspto_tables
from dataset_builder.readers import RAW_SCHEMA

logger = logging.getLogger(__name__)

# side table -> its aggregate (one row per serial_no, with `n_rows`), in the order of their orphan rejects
_SIDE = {"intl_class": "uspto_cls", "owner": "uspto_own", "statement": "uspto_gs"}


def uspto_csv_raw(con: duckdb.DuckDBPyConnection, inputs: list[Path], limit: int | None, rejects: FileRejects) -> None:
    """Create `raw_t` (`RAW_SCHEMA`) from the USPTO Case Files tables under `inputs`: the case files joined on
    `serial_no`, then the rejected rows, then the inputs' file-level rejects; at most `limit` rows."""
    tables = uspto_tables(inputs, rejects)
    for name, (path, header) in (tables or {}).items():
        types = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in header) + "}"
        con.execute(
            f"CREATE VIEW {name} AS SELECT * FROM read_csv({lit(path)}, columns={types}, header=true, "
            "auto_detect=false, delim=',', quote='\"', escape='\"', store_rejects=true, max_line_size=10000000)"
        )
    try:
        if tables is not None:
            _uspto_join(con, {name: path for name, (path, _) in tables.items()}, limit)
    except duckdb.Error as err:  # a table DuckDB cannot scan (a CSV it cannot parse at all)
        for table in ("raw_t", "uspto_case", *_SIDE.values(), "uspto_orphans", "uspto_rows"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
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


def _uspto_join(con: duckdb.DuckDBPyConnection, tables: dict[str, str], limit: int | None) -> None:
    """`raw_t` from the views of the USPTO tables (`tables`: their files): case files, then rejected rows."""
    sizes = {name: Path(path).stat().st_size for name, path in tables.items()}
    steps = [(f"{name}.csv", functools.partial(con.execute, q), sizes[name]) for name, q in _aggregates(limit).items()]
    join = _JOIN.format(case_file=lit(tables["case_file"]))
    steps.append(("join", functools.partial(con.execute, join), sizes["statement"]))  # moves the texts again
    steps.append(("orphan rows", functools.partial(_orphan_rejects, con, tables, limit), sizes["case_file"] / 4))
    run_steps(con, steps, desc="Reading USPTO tables", rate=(sum(sizes.values()) / 1e6, "MB"))
    for table in ("uspto_case", *_SIDE.values()):
        con.execute(f"DROP TABLE {table}")
    # Rows DuckDB could not parse, in every table: rejected records.
    con.execute(
        f"""INSERT INTO raw_t SELECT file_path, 'line ' || line, NULL, NULL, [], [], [],
               CASE WHEN error_type = 'INVALID ENCODING' THEN 'bad_encoding' ELSE 'malformed_record' END,
               error_type || ': ' || error_message
        FROM (SELECT DISTINCT ON (s.file_path, e.line) s.file_path, e.line, e.error_type, e.error_message
              FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id))
        ORDER BY file_path <> {lit(tables["case_file"])}, file_path, line{limit_left(con, limit)}"""
    )


# The case files with their aggregates, in case-file order.
_JOIN = """CREATE TABLE raw_t AS
    SELECT {case_file} AS source_file,
           'row ' || (c.rn + 1) || ' (' || c.serial_no || ')' AS locator,
           c.serial_no AS application_number, c.filing_dt AS filing_date,
           coalesce(cls.codes, []) AS class_codes, coalesce(gs.gs, []) AS goods_services,
           coalesce(own.owners, []) AS owners, NULL::VARCHAR AS error, NULL::VARCHAR AS detail
    FROM (SELECT rowid AS rn, serial_no, filing_dt FROM uspto_case) c
    LEFT JOIN uspto_cls cls USING (serial_no) LEFT JOIN uspto_own own USING (serial_no)
    LEFT JOIN uspto_gs gs USING (serial_no)
    ORDER BY c.rn"""


def _aggregates(limit: int | None) -> dict[str, str]:
    """The SQL of the table `uspto_case` (the case files, at most `limit`) and of one aggregate per side table, by
    `serial_no`, keyed by the table each reads.

    Each CSV is scanned once (its unparsable lines are collected in `reject_errors`). `n_rows` counts every row of a
    `serial_no`, used or not (owners without a name, statements other than goods/services), for the orphans.
    """
    return {
        "case_file": f"CREATE TABLE uspto_case AS SELECT serial_no, filing_dt FROM case_file{limit_clause(limit)}",
        "intl_class": """CREATE TABLE uspto_cls AS
            SELECT serial_no, count(*) AS n_rows, list_sort(list(intl_class_cd)) AS codes
            FROM intl_class GROUP BY serial_no""",
        # the applicants at filing: the owners of the lowest party-type group (10-19, else 20-29, ...)
        "owner": """CREATE TABLE uspto_own AS
            SELECT serial_no, n_rows, list_transform(list_sort(list_filter(owners, lambda o: o.grp = first_grp)),
                                                     lambda o: {'id': NULL::VARCHAR, 'name': o.name}) AS owners
            FROM (SELECT serial_no, count(*) AS n_rows, min(grp) FILTER (WHERE own_name IS NOT NULL) AS first_grp,
                         list({'grp': grp, 'name': own_name}) FILTER (WHERE own_name IS NOT NULL) AS owners
                  FROM (SELECT serial_no, coalesce(try_cast(own_type_cd AS INTEGER) // 10, 99) AS grp, own_name
                        FROM owner)
                  GROUP BY serial_no)""",
        # goods/services statements (type GSnnnx: class nnn), in English
        "statement": """CREATE TABLE uspto_gs AS
            SELECT serial_no, n_rows,
                   list_transform(list_sort(gs),
                                  lambda s: {'code': substr(s.type, 3, 3), 'text': s.text, 'lang': 'en'}) AS gs
            FROM (SELECT serial_no, count(*) AS n_rows,
                         list({'type': statement_type_cd, 'text': statement_text})
                             FILTER (WHERE regexp_full_match(statement_type_cd, 'GS[0-9]{4}')) AS gs
                  FROM statement GROUP BY serial_no)""",
    }


def _orphan_rejects(con: duckdb.DuckDBPyConnection, tables: dict[str, str], limit: int | None) -> None:
    """An `orphan_row` reject for each side-table row whose `serial_no` has no case file (or which has none).

    The orphans are found on the aggregates (table `uspto_orphans`); the tables holding some are scanned again for
    the row numbers of those rows (a table of their `serial_no` column, whose rowid is the row number).
    """
    case_files = "uspto_case" if limit is None else "(SELECT serial_no FROM case_file)"  # all of them, with a limit
    con.execute(
        "CREATE TABLE uspto_orphans AS "
        + " UNION ALL ".join(
            f"SELECT {t} AS t, {lit(tables[name])} AS file, serial_no, n_rows FROM {agg} "
            f"ANTI JOIN {case_files} USING (serial_no)"
            for t, (name, agg) in enumerate(_SIDE.items())
        )
    )
    found = con.execute(
        "SELECT t, any_value(file), count(*), sum(n_rows) FROM uspto_orphans GROUP BY t ORDER BY t"
    ).fetchall()
    for t, path, serials, rows in found:
        logger.warning("%s: %d row(s) of %d serial number(s) without a case file: rejected (orphan_row)", path, rows,
                       serials)  # fmt: skip
        name = list(_SIDE)[t]
        con.execute(f"CREATE TABLE uspto_rows AS SELECT serial_no FROM {name}")  # rowid: the row number - 1
        con.execute(
            f"""INSERT INTO raw_t SELECT {lit(path)}, 'row ' || (r.rn + 1) || coalesce(' (' || r.serial_no || ')', ''),
                   NULL, NULL, [], [], [], 'orphan_row',
                   coalesce('serial number ' || r.serial_no || ' has no row', 'no serial number, so no row')
                   || ' in case_file.csv; add its case file or drop the row'
            FROM (SELECT rowid AS rn, serial_no FROM uspto_rows) r
            SEMI JOIN (SELECT serial_no FROM uspto_orphans WHERE t = {t}) o
                ON r.serial_no IS NOT DISTINCT FROM o.serial_no
            ORDER BY r.rn{limit_left(con, limit)}"""
        )
        con.execute("DROP TABLE uspto_rows")
