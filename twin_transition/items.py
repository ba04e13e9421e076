"""A goods/services description as the list of items (terms) it is made of, the unit the classifiers score.

Registries publish a description as terms separated by `;` (EUIPO, USPTO, WIPO) or, in older and national lists,
by `,`. Nice indications themselves contain commas ("ovens, other than for laboratory use", "leather care, cleaning
and repair"), so commas split a description only when it has no `;` at all, and a comma-separated piece is joined
back to its neighbour when the two form an official indication or when it continues the previous piece ("other
than ...", "namely ...", "for ...").

    >>> split_items("Class 9: Solar panels; wind turbines.")
    ['Solar panels', 'wind turbines']
    >>> split_items("ovens, other than for laboratory use, kettles, non-electric")
    ['ovens, other than for laboratory use', 'kettles, non-electric']
"""

from __future__ import annotations

import re
from functools import cache

from twin_transition.inputs import non_english_reason

_CLASS_MARKER = re.compile(r"\b(?:Class|Cl\.|Klasse|Classe|Clase)\s*\d{1,2}\s*[:.\-]\s*", re.IGNORECASE)
_CONTINUATION = re.compile(
    r"^(?:other than|not |none of|namely|including|included|in particular|particularly|especially|being|except|"
    r"excluding|excluded|such as|for |of |with |without |made |used |sold |all |and |or |as |in |on |to |from |by |"
    r"via |containing|consisting|relating|related|featuring|non-|electric\b|electronic\b|included in|than |"
    r"parts |not$)",
    re.IGNORECASE,
)
_OPEN, _CLOSE = "([{", ")]}"
MAX_ITEM_CHARS = 300


@cache
def _official_items() -> frozenset[str]:
    """The 9,915 official Nice indications, lower-cased (for joining comma-split pieces back together); empty where
    the package data is not shipped (the Space vendors modules, not data): the continuation rule still applies."""
    try:
        from nice_classification.official import indications

        return frozenset(ind.label.lower() for ind in indications())
    except (ImportError, FileNotFoundError):  # the Space has neither the data file nor defusedxml
        return frozenset()


def _top_level_split(text: str, separator: str) -> list[str]:
    """Split `text` on `separator` outside brackets."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(0, depth - 1)
        elif char == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _clean(item: str) -> str:
    item = " ".join(item.split()).strip(" \t.;:,")
    # A stray bracket left by the split (an item list wrapped in brackets), or a whole item in brackets.
    while item and item[0] in _OPEN and not any(c in item for c in _CLOSE):
        item = item[1:].strip()
    while item and item[-1] in _CLOSE and not any(c in item for c in _OPEN):
        item = item[:-1].strip()
    return item.strip(" .;:,")


def _join_commas(pieces: list[str]) -> list[str]:
    """Join comma-split pieces back into items: the longest run that is an official indication, or a piece that
    continues the previous one."""
    official = _official_items()
    items: list[str] = []
    i = 0
    while i < len(pieces):
        end = i + 1
        for j in range(min(len(pieces), i + 4), i + 1, -1):  # longest official run first (at most 4 pieces)
            if ", ".join(p.strip() for p in pieces[i:j]).lower() in official:
                end = j
                break
        item = ", ".join(p.strip() for p in pieces[i:end])
        if items and end == i + 1 and _CONTINUATION.match(item) and item.lower() not in official:
            items[-1] = f"{items[-1]}, {item}"
        else:
            items.append(item)
        i = end
    return items


def split_items(text: str) -> list[str]:
    """The items of a goods/services description, in order, without class markers, empty pieces or duplicates.

    `;` separates items; without any `;`, top-level commas do (see the module docstring). Items longer than
    `MAX_ITEM_CHARS` characters are cut there (the body truncates long inputs anyway).
    """
    text = _CLASS_MARKER.sub("; ", text or "").strip()
    while len(text) > 1 and text[0] in _OPEN and text[-1] == _CLOSE[_OPEN.index(text[0])]:
        text = text[1:-1].strip()  # a whole list in brackets
    if ";" in text:
        pieces = text.split(";")  # no Nice indication contains one
    else:
        pieces = _join_commas(_top_level_split(text, ","))
    seen: set[str] = set()
    items = []
    for piece in pieces:
        item = _clean(piece)[:MAX_ITEM_CHARS]
        key = item.lower()
        if item and any(c.isalpha() for c in item) and key not in seen:
            seen.add(key)
            items.append(item)
    return items


def description_language(text: str) -> str | None:
    """Why the description as a whole is not English (`inputs.non_english_reason`), or None when it is.

    A description with no English text is scored as unknown (null), never as if it were English.
    """
    return non_english_reason(text)
