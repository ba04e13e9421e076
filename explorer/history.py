"""The Space's text format for a firm's filing history: one filing per line, `DATE | CLASSES | GOODS/SERVICES`.

::

    2015-04-01 | 9, 42 | computer software; cloud computing services
    2017-11-20 | 35     | advertising

- DATE: `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD` or `YYYY-MM` (the 1st of the month).
- CLASSES: Nice class numbers 1..45, separated by commas or spaces.
- GOODS/SERVICES (optional): English text; its `;`/`,`-separated phrases become the filing's terms, normalised
  as in the dataset (lower case, single spaces, `Class 9:` markers dropped).

Lines are sorted by date (stable). Empty lines and lines starting with `#` are skipped. Every problem raises
`ValueError` naming the line and what is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

NUM_NICE_CLASSES = 45
MAX_HISTORY_CHARS = 20_000
MAX_FILINGS = 500
MAX_LINE_CHARS = 2_000

_CLASS_MARKER = re.compile(r"(^|[;,])\s*class\s+[0-9]+\s*:")
_SPACES = re.compile(r"\s+")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m")


def split_terms(goods_services: str | None) -> list[str]:
    """The normalised terms of a goods/services text, as the dataset builder makes them: lower case, `Class N:`
    labels removed, whitespace collapsed, split on `;`/`,`, edge punctuation (` .:-`) trimmed, duplicates dropped."""
    text = _SPACES.sub(" ", _CLASS_MARKER.sub(r"\1", (goods_services or "").lower()))
    terms: list[str] = []
    for phrase in re.split(r"[;,]", text):
        term = phrase.strip(" .:-")
        if term and term not in terms:
            terms.append(term)
    return terms


def parse_date(text: str, where: str) -> dt.date:
    """Read a filing date; `where` (e.g. "line 2") prefixes the error message."""
    value = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{where}: cannot read the date {value!r}; write it as YYYY-MM-DD (e.g. 2019-03-01).")


def parse_classes(text: str, where: str) -> list[int]:
    """Read Nice class numbers (1..45); return them sorted and unique."""
    classes = set()
    for token in re.split(r"[,\s]+", text.strip()):
        if not token:
            continue
        if not token.isdigit():
            raise ValueError(f"{where}: {token!r} is not a Nice class number (expected numbers 1 to 45, e.g. 9, 42).")
        number = int(token)
        if not 1 <= number <= NUM_NICE_CLASSES:
            raise ValueError(f"{where}: unknown Nice class {number}; Nice classes are numbered 1 to 45.")
        classes.add(number)
    if not classes:
        raise ValueError(f"{where}: no Nice class given; write e.g. `2019-03-01 | 9, 42 | software`.")
    return sorted(classes)


def parse_filing(line: str, where: str = "filing") -> dict:
    """One `DATE | CLASSES | GOODS/SERVICES` line to a filing dict (the dataset's filing fields)."""
    if len(line) > MAX_LINE_CHARS:
        raise ValueError(f"{where} is too long ({len(line)} characters; at most {MAX_LINE_CHARS}).")
    parts = [p.strip() for p in line.split("|", 2)]
    if len(parts) < 2:
        raise ValueError(f"{where}: expected `DATE | CLASSES | GOODS/SERVICES` (separated by '|'), got {line!r}.")
    goods_services = parts[2] if len(parts) == 3 else ""
    return {
        "filing_date": parse_date(parts[0], where),
        "nice_classes": parse_classes(parts[1], where),
        "terms": split_terms(goods_services),
        "goods_services": goods_services,
    }


def parse_history(text: str | None) -> list[dict]:
    """Parse a filing history (one filing per line), sorted by date.

    Raises:
        ValueError: empty history, a history longer than `MAX_HISTORY_CHARS` characters or `MAX_FILINGS` filings,
            or a bad line (the message names the line).
    """
    text = text or ""
    if len(text) > MAX_HISTORY_CHARS:
        raise ValueError(
            f"The history is too long ({len(text)} characters; at most {MAX_HISTORY_CHARS}). "
            "Keep the most recent filings: the model only reads the last few hundred tokens anyway."
        )
    filings = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            filings.append(parse_filing(line, f"Line {number}"))
    if not filings:
        raise ValueError(
            "The history is empty: enter at least one filing as `DATE | CLASSES | GOODS/SERVICES`, "
            "e.g. `2019-03-01 | 9, 42 | computer software`, or pick an example firm."
        )
    if len(filings) > MAX_FILINGS:
        raise ValueError(f"The history has {len(filings)} filings; at most {MAX_FILINGS} are accepted.")
    return sorted(filings, key=lambda f: f["filing_date"])


def format_filing(filing: dict) -> str:
    """A filing dict (as in the dataset) as one history line; terms are joined with `; `."""
    date = filing["filing_date"]
    date = date.isoformat() if isinstance(date, dt.date) else str(date)[:10]
    classes = ", ".join(str(int(c)) for c in filing["nice_classes"] or ())
    terms = "; ".join(filing.get("terms") or split_terms(filing.get("goods_services")))
    return f"{date} | {classes} | {terms}".rstrip(" |")


def format_history(filings: Sequence[dict]) -> str:
    """Filings as the Space's history text, one line each."""
    return "\n".join(format_filing(f) for f in filings)
