"""Normalisation rules, as DuckDB SQL macros so that every source is normalised by the same vectorised code.

* Owner names: accents stripped, lower case, `&` -> `and`, punctuation -> space, legal-form suffixes (Inc, Ltd,
  GmbH, A/S, S.p.A., ...) and a leading/trailing "the" removed. `firm_id` is the result with spaces as `-`
  (`"Rock Creek Ginger Ale Co., Inc."` -> `rock-creek-ginger-ale`). Owners known only by an applicant id get
  `"{source}:{id}"`.
* Nice classes: `"9"`, `"09"`, `"009"` -> 9; anything else (`0`, `46`, `9a`, `A`, `200`) is not a Nice class.
* Dates: `YYYY-MM-DD`, `YYYYMMDD` or an ISO timestamp; impossible dates (2021-02-30) are invalid.
* Goods/services terms: the `;`/`,`-separated phrases, lower case, "Class N:" prefixes and edge punctuation
  removed, duplicates dropped (first occurrence kept).

The Python helpers below run the same macros, for tests and for callers outside a build.
"""

from __future__ import annotations

import duckdb

LEGAL_FORMS = (
    "inc", "incorporated", "corp", "corporation", "co", "company", "cie", "ltd", "limited", "llc", "l l c", "lp",
    "l p", "llp", "l l p", "plc", "gmbh", "mbh", "ag", "kg", "kgaa", "ohg", "ug", "se", "sa", "s a", "sas",
    "s a s", "sarl", "s a r l", "srl", "s r l", "spa", "s p a", "bv", "b v", "nv", "n v", "as", "a s", "asa",
    "ab", "oy", "oyj", "aps", "kk", "k k", "pty", "pte", "bhd", "sdn", "the",
)  # fmt: skip

_SUFFIX_RE = r"(\s(and\s)?(" + "|".join(sorted(LEGAL_FORMS, key=len, reverse=True)) + r"))+$"

MIN_DATE = "1870-01-01"  # the first US trade mark act; earlier filing dates are data errors

MACROS = [
    # Punctuation to space, accents and case folded, '&' spelled out, whitespace collapsed.
    r"""CREATE OR REPLACE MACRO owner_base(n) AS trim(regexp_replace(regexp_replace(regexp_replace(
        lower(strip_accents(nfc_normalize(n))), '[''’`]', '', 'g'), '&', ' and ', 'g'),
        '[^\p{L}\p{N}]+', ' ', 'g'))""",
    rf"""CREATE OR REPLACE MACRO owner_key_of(b) AS CASE
        WHEN b IS NULL OR b = '' THEN NULL
        ELSE coalesce(nullif(trim(regexp_replace(regexp_replace(' ' || b, '{_SUFFIX_RE}', ''), '^ ?the ', '')), ''), b)
        END""",
    "CREATE OR REPLACE MACRO owner_key(n) AS owner_key_of(owner_base(n))",
    "CREATE OR REPLACE MACRO firm_id_of(n) AS replace(owner_key(n), ' ', '-')",
    "CREATE OR REPLACE MACRO display_name(n) AS nullif(trim(regexp_replace(n, '\\s+', ' ', 'g')), '')",
    r"""CREATE OR REPLACE MACRO nice_class(code) AS CASE
        WHEN regexp_full_match(trim(code), '0*[0-9]{1,2}') AND trim(code)::INTEGER BETWEEN 1 AND 45
        THEN trim(code)::INTEGER::TINYINT END""",
    r"""CREATE OR REPLACE MACRO parse_date(s) AS CASE
        WHEN regexp_full_match(trim(s), '[0-9]{8}') THEN try_strptime(trim(s), '%Y%m%d')::DATE
        WHEN regexp_full_match(trim(s), '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?')
        THEN try_strptime(left(trim(s), 10), '%Y-%m-%d')::DATE END""",
    # Terms: split first, then per term (as lambda variables: a macro argument that is an expression is evaluated
    # once per use) drop a "Class N:" label and collapse whitespace only where needed -- regexes are costly.
    r"""CREATE OR REPLACE MACRO drop_class_label(p) AS
        CASE WHEN contains(p, ':') THEN regexp_replace(p, '^\s*class\s+[0-9]+\s*:', '') ELSE p END""",
    r"""CREATE OR REPLACE MACRO collapse_ws(p) AS CASE
        WHEN contains(p, '  ') OR contains(p, chr(9)) OR contains(p, chr(10)) OR contains(p, chr(13))
        THEN regexp_replace(p, '\s+', ' ', 'g') ELSE p END""",
    r"""CREATE OR REPLACE MACRO split_terms(t) AS list_filter(list_transform(list_transform(
        string_split_regex(lower(coalesce(t, '')), '[;,]'), lambda p: drop_class_label(p)),
        lambda p: trim(collapse_ws(p), ' .:-')), lambda x: x <> '')""",
    # Order-preserving distinct; pass a column, not an expression (a macro argument is re-evaluated per element).
    "CREATE OR REPLACE MACRO dedupe(xs) AS list_filter(xs, lambda x, i: list_position(xs, x) = i)",
]


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Define the normalisation macros on a DuckDB connection."""
    for sql in MACROS:
        con.execute(sql)


def _connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    install_macros(con)
    return con


def owner_firm_id(name: str | None) -> str | None:
    """The `firm_id` of an owner name (`None` when nothing is left after normalisation)."""
    return _connection().execute("SELECT firm_id_of(?)", [name]).fetchall()[0][0]


def nice_class(code: str | None) -> int | None:
    """The Nice class of a class code, or `None` when it is not one (1-45)."""
    return _connection().execute("SELECT nice_class(?)", [code]).fetchall()[0][0]


def parse_date(text: str | None):
    """A `datetime.date`, or `None` when missing or impossible."""
    return _connection().execute("SELECT parse_date(?)", [text]).fetchall()[0][0]


def split_terms(text: str | None) -> list[str]:
    """The normalised goods/services terms of a text, in order, without duplicates."""
    return _connection().execute("SELECT dedupe(t) FROM (SELECT split_terms(?) AS t)", [text]).fetchall()[0][0]
