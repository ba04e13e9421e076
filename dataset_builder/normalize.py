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
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

LEGAL_FORMS = (
    "inc", "incorporated", "corp", "corporation", "co", "company", "cie", "ltd", "limited", "llc", "l l c", "lp",
    "l p", "llp", "l l p", "plc", "gmbh", "mbh", "ag", "kg", "kgaa", "ohg", "ug", "se", "sa", "s a", "sas",
    "s a s", "sarl", "s a r l", "srl", "s r l", "spa", "s p a", "bv", "b v", "nv", "n v", "as", "a s", "asa",
    "ab", "oy", "oyj", "aps", "kk", "k k", "pty", "pte", "bhd", "sdn", "the",
)  # fmt: skip

_SUFFIX_RE = r"(\s(and\s)?(" + "|".join(sorted(LEGAL_FORMS, key=len, reverse=True)) + r"))+$"

_CLASS_NUMBERS = ", ".join(f"'{i}'" for i in range(1, 46))  # "9" as SQL literals, for a fast path

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
    # The usual spelling ("9", "42") first: a cheap IN test before the regex.
    r"""CREATE OR REPLACE MACRO nice_class(code) AS CASE
        WHEN code IN (CLASS_NUMBERS) THEN code::TINYINT
        WHEN regexp_full_match(trim(code), '0*[0-9]{1,2}') AND trim(code)::INTEGER BETWEEN 1 AND 45
        THEN trim(code)::INTEGER::TINYINT END""".replace("CLASS_NUMBERS", _CLASS_NUMBERS),
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
    # rtrim(trim(x), '.'); `rtrim` decodes the whole string, so skip it where the end of `x` is plain ASCII.
    r"""CREATE OR REPLACE MACRO strip_text(x) AS CASE
        WHEN strlen(x) = length(x) AND NOT ends_with(x, ' ') AND NOT ends_with(x, '.') THEN ltrim(x)
        ELSE rtrim(trim(x), '.') END""",
    r"""CREATE OR REPLACE MACRO split_terms(t) AS list_filter(list_transform(list_transform(
        string_split_regex(lower(coalesce(t, '')), '[;,]'), lambda p: drop_class_label(p)),
        lambda p: trim(collapse_ws(p), ' .:-')), lambda x: x <> '')""",
    # One raw part of a text (split on ';' and ','), as `split_terms` normalises it: for `split_many`, which
    # normalises each distinct part once (lower-casing before or after the split is the same).
    r"""CREATE OR REPLACE MACRO normalise_part(p) AS
        list_transform([drop_class_label(lower(p))], lambda q: trim(collapse_ws(q), ' .:-'))[1]""",
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


def split_many(texts: pa.Array, con: duckdb.DuckDBPyConnection) -> pa.ListArray:
    """The terms of many filings at once: row i is `dedupe(flatten(list_transform(texts[i], split_terms)))`.

    Vectorised (the per-element SQL lambdas cost seconds per million filings): texts are split on `;` and `,`
    with Arrow, each distinct part is normalised once by the `normalise_part` macro on `con`, and duplicates within
    a row are dropped with numpy (first occurrence kept).

    Args:
        texts: `list<string>`, one row per filing (its goods/services texts; nulls count as empty).
        con: a connection with the macros installed (`install_macros`).
    """
    n_rows = len(texts)
    flat = pc.list_flatten(texts)
    row = pc.list_parent_indices(texts).to_numpy().astype(np.int64)
    by_semicolon = pc.split_pattern(flat, ";")
    row = row[pc.list_parent_indices(by_semicolon).to_numpy()]
    by_comma = pc.split_pattern(pc.list_flatten(by_semicolon), ",")
    row = row[pc.list_parent_indices(by_comma).to_numpy()]
    parts = pc.dictionary_encode(pc.list_flatten(by_comma))
    if len(parts.dictionary):
        con.register("distinct_parts", pa.table({"i": np.arange(len(parts.dictionary)), "p": parts.dictionary}))
        try:
            normalised = con.sql("SELECT normalise_part(p) AS t FROM distinct_parts ORDER BY i").to_arrow_table()
        finally:
            con.unregister("distinct_parts")
        terms = pc.dictionary_encode(normalised.column("t").combine_chunks())
        vocabulary = terms.dictionary
        term = terms.indices.to_numpy()[parts.indices.to_numpy()]
        keep = np.flatnonzero(pc.not_equal(vocabulary, "").to_numpy(zero_copy_only=False)[term])
        # First occurrence of each (row, term). Rows are in order, so the keys are nearly sorted: a stable
        # (tim)sort is fast, and keeps equal keys in their original order.
        key = row[keep] * len(vocabulary) + term[keep]
        order = np.argsort(key, kind="stable")
        starts = np.ones(len(key), bool)
        starts[1:] = key[order[1:]] != key[order[:-1]]
        first = np.zeros(len(key), bool)
        first[order[starts]] = True
        keep = keep[first]
    else:
        vocabulary, term, keep = pa.array([], pa.string()), np.zeros(0, np.int64), np.zeros(0, np.int64)
    offsets = np.zeros(n_rows + 1, np.int32)
    offsets[1:] = np.cumsum(np.bincount(row[keep], minlength=n_rows))
    values = vocabulary.take(pa.array(term[keep]))
    return pa.ListArray.from_arrays(pa.array(offsets), values, mask=texts.is_null() if texts.null_count else None)
