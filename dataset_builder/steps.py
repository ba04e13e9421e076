"""The pipeline steps, in SQL: `raw_records` (from `sources.py`) in, the tables `kept` and `rejects` out.

Each step is a function that creates its tables from the ones before it; `PIPELINE` runs them in order:

1. `number_records` -> view `raw`: every record read, with a locator (`row N (app)` where the reader gave none);
2. `owners_to_firms` -> `rec_firms`: each record's owner firms (a filing with several owners belongs to each);
3. `validate` -> `parsed`: each record normalised, with its reject reason (`report.REJECT_REASONS`) or none (a
   record that names no owner is valid: it is a filing without a firm);
4. `dedupe` -> `firsts`, `owned`: the first valid record of each application number, with its firms;
5. `count_firms` -> `firms`: each firm's filings and most frequent name;
6. `assign_splits` -> `firm_order`: firms with at least `min_filings` filings, ordered by a seeded hash of
   `firm_id` and cut 80/10/10 into train/validation/test (validation and test get at least one firm each from 3
   firms on), numbered by `ord` in output order (split, then firm_id);
7. `keep_filings` -> `kept`: one narrow row per (kept filing, owner firm); the texts stay in `raw` until written;
8. `keep_unowned` -> `unowned`: the kept filings whose record names no owner, for the `filings` config only (null
   firm), each in the split of a seeded hash of its application number (80/10/10 too);
9. `collect_rejects` -> `rejects`: one row per rejected record, with its reason and detail.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from dataset_builder.db import lit, run_steps
from dataset_builder.normalize import MIN_DATE

logger = logging.getLogger(__name__)

SPLIT_FRACTIONS = {"train": 0.8, "validation": 0.1, "test": 0.1}


@dataclass(frozen=True)
class Params:
    """What the steps depend on besides the data."""

    source: str  # prefixes the firm ids of owners known only by an applicant id
    min_filings: int
    seed: int  # seeds the firm-level split


def number_records(con: duckdb.DuckDBPyConnection, params: Params) -> None:
    # `raw_records` has one row per input record, in input order; its `rec_id` is the rowid in `raw_t`.
    con.execute(
        """CREATE VIEW raw AS
        SELECT rec_id, source_file,
               coalesce(locator, 'row ' || (rec_id + 1) || coalesce(' (' || application_number || ')', '')) AS locator,
               application_number, filing_date, class_codes, goods_services, owners, error, detail, class_key
        FROM raw_records"""
    )


def owners_to_firms(con: duckdb.DuckDBPyConnection, params: Params) -> None:
    """Normalise each distinct owner name once, then map records to firms (a record with several owners -> each)."""
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
            SELECT r.rec_id, r.n_owners, coalesce(m.firm_id, {lit(params.source + ":")} || nullif(trim(r.oid), ''))
                   AS firm_id, coalesce(m.firm_name, nullif(trim(r.oid), '')) AS firm_name
            FROM owner_rows r LEFT JOIN owner_map m USING (oname))
        SELECT rec_id, firm_id, firm_name FROM f WHERE n_owners = 1 AND firm_id IS NOT NULL
        UNION ALL  -- several owners may be one firm
        SELECT rec_id, firm_id, min(firm_name) FROM f WHERE n_owners > 1 AND firm_id IS NOT NULL
        GROUP BY rec_id, firm_id"""
    )


def validate(con: duckdb.DuckDBPyConnection, params: Params) -> None:
    """Parse each record's number, date and classes and give it a reject reason, or none.

    Narrow columns only (the texts stay in `raw` until the kept filings are known); each distinct `class_key` is
    parsed once.
    """
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
                WHEN len(classes) = 0 THEN 'no_valid_class' END AS reason
        FROM (SELECT r.rec_id, r.error, nullif(trim(r.application_number), '') AS app,
                     nullif(trim(r.filing_date), '') AS date_raw, parse_date(r.filing_date) AS fdate,
                     s.classes, s.bad_codes
              FROM raw r LEFT JOIN class_sets s ON r.class_key IS NOT DISTINCT FROM s.class_key)"""
    )


def dedupe(con: duckdb.DuckDBPyConnection, params: Params) -> None:
    """Duplicates: the first valid record of each application number is kept, with its owner firms."""
    con.execute(
        """CREATE TABLE firsts AS
        SELECT app, min(rec_id) AS first_rec FROM parsed WHERE reason IS NULL GROUP BY app"""
    )
    con.execute(
        """CREATE TABLE owned AS
        SELECT f.* FROM rec_firms f SEMI JOIN firsts ON f.rec_id = firsts.first_rec"""
    )


def count_firms(con: duckdb.DuckDBPyConnection, params: Params) -> None:
    """Each firm's number of filings and its name (the most frequent one, then the first in order)."""
    con.execute(
        """CREATE TABLE firms AS
        WITH names AS (SELECT firm_id, firm_name, count(*) AS n FROM owned GROUP BY ALL),
             best AS (SELECT firm_id, firm_name FROM names
                      QUALIFY row_number() OVER (PARTITION BY firm_id ORDER BY n DESC, firm_name) = 1),
             counts AS (SELECT firm_id, count(*) AS n_filings FROM owned GROUP BY firm_id)
        SELECT firm_id, firm_name, n_filings FROM counts JOIN best USING (firm_id)"""
    )


def assign_splits(con: duckdb.DuckDBPyConnection, params: Params) -> None:
    """Firms with at least `min_filings` filings, in a seeded random order cut into the splits; `ord` numbers them
    in output order (split, firm_id): an integer sort key."""
    con.execute(
        f"""CREATE TABLE firm_order AS
        WITH u AS (SELECT firm_id, firm_name,
                          ('0x' || substr(md5('{int(params.seed)}:' || firm_id), 1, 12))::UBIGINT AS u
                   FROM firms WHERE n_filings >= {int(params.min_filings)}),
             ranked AS (SELECT *, row_number() OVER (ORDER BY u, firm_id) - 1 AS r, count(*) OVER () AS n FROM u),
             sized AS (SELECT *, CASE WHEN n >= 3 THEN greatest(1, round(n * {SPLIT_FRACTIONS["validation"]}))
                                      ELSE 0 END AS n_val,
                                 CASE WHEN n >= 3 THEN greatest(1, round(n * {SPLIT_FRACTIONS["test"]}))
                                      ELSE 0 END AS n_test
                       FROM ranked),
             split AS (SELECT firm_id, firm_name, CASE WHEN r < n - n_val - n_test THEN 'train'
                                                       WHEN r < n - n_test THEN 'validation' ELSE 'test' END AS split
                       FROM sized)
        SELECT firm_id, firm_name, split, row_number() OVER (ORDER BY split, firm_id) AS ord
        FROM split ORDER BY ord"""
    )


def keep_filings(con: duckdb.DuckDBPyConnection, params: Params) -> None:
    """Kept filings, one row per (filing, owner firm), narrow: the texts stay in `raw_t` until written."""
    con.execute(
        """CREATE TABLE kept AS
        SELECT o.rec_id, f.ord, f.firm_id, f.split, p.app, p.fdate, p.classes
        FROM owned o JOIN firm_order f USING (firm_id) JOIN parsed p USING (rec_id)"""
    )


def keep_unowned(con: duckdb.DuckDBPyConnection, params: Params) -> None:
    """Kept filings without an owner firm: the first valid record of an application number that names no owner.

    They go to the `filings` config only, with a null firm, in the split of a seeded hash of the application
    number: the first 80% of the hash range is train, the next 10% validation, the rest test.
    """
    val = round(SPLIT_FRACTIONS["train"] + SPLIT_FRACTIONS["validation"], 6)
    con.execute(
        f"""CREATE TABLE unowned AS
        WITH u AS (SELECT f.first_rec AS rec_id, p.app, p.fdate, p.classes,
                          ('0x' || substr(md5('{int(params.seed)}:' || p.app), 1, 12))::UBIGINT / 2 ** 48 AS u
                   FROM firsts f JOIN parsed p ON p.rec_id = f.first_rec
                   ANTI JOIN rec_firms r ON r.rec_id = f.first_rec)
        SELECT rec_id, app, fdate, classes, CASE WHEN u < {SPLIT_FRACTIONS["train"]} THEN 'train'
                                                 WHEN u < {val} THEN 'validation' ELSE 'test' END AS split
        FROM u"""
    )


def collect_rejects(con: duckdb.DuckDBPyConnection, params: Params) -> None:
    """Every record not kept, once per reason: invalid, a later duplicate, or all of its firms too small.

    `first_rec`: the record a duplicate repeats (`report.write_rejects` names it).
    """
    con.execute(
        f"""CREATE TABLE rejects AS
        SELECT rec_id, reason, NULL::BIGINT AS first_rec, CASE reason
                WHEN 'invalid_date' THEN 'filing date ' || date_raw
                WHEN 'date_out_of_range' THEN 'filing date ' || fdate
                WHEN 'no_valid_class' THEN 'class codes [' || array_to_string(bad_codes, ', ') || ']'
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
               || ' have fewer than {int(params.min_filings)} filings'
        FROM owned o ANTI JOIN kept k USING (rec_id)
        GROUP BY o.rec_id"""
    )


Step = Callable[[duckdb.DuckDBPyConnection, Params], None]
PIPELINE: tuple[Step, ...] = (
    number_records,
    owners_to_firms,
    validate,
    dedupe,
    count_firms,
    assign_splits,
    keep_filings,
    keep_unowned,
    collect_rejects,
)


def run_pipeline(con: duckdb.DuckDBPyConnection, params: Params, steps: tuple[Step, ...] = PIPELINE) -> None:
    """Run `steps` in order on `raw_records`, with a progress bar (rate and ETA, moving within each statement)."""
    records = con.execute("SELECT count(*) FROM raw_records").fetchall()[0][0]
    run_steps(
        con,
        [(step.__name__, functools.partial(step, con, params), 1.0) for step in steps],
        desc="Normalising records",
        rate=(records, "rec"),
    )
