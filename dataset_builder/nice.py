"""The synthetic generator's Nice vocabulary: the official indications it files under, class popularity, sectors.

Goods/services terms are the official indications of the Nice Classification (WIPO NCL 12-2024, from
`nice_classification.official`): the wording real EUIPO and USPTO goods/services lists use. Class headings live in
`nice_classification` too (the one Nice reference module); nothing here names a class.

Only indications without `,` or `;` are used, so that the builder's term splitting gives each one back exactly, and
the NCL's editorial `*` (an indication that also appears in another class) is dropped. Popularity is the
approximate share of each class in EU trade mark filings, by rank.
"""

from __future__ import annotations

from functools import cache

from nice_classification.official import indications_by_class


def filing_term(label: str) -> str:
    """An official indication as a filing would write it: without the NCL's editorial `*`."""
    return label.rstrip("*").strip()


@cache
def class_terms() -> dict[int, tuple[str, ...]]:
    """`{class: its official indications usable as single terms}` (no `,`/`;` inside), in NCL order."""
    terms = {}
    for nice_class, items in indications_by_class().items():
        labels = (filing_term(i.label) for i in items)
        terms[nice_class] = tuple(dict.fromkeys(t for t in labels if t and "," not in t and ";" not in t))
    return terms


# Approximate popularity ranking of classes in EU trade mark applications (most frequent first).
POPULARITY_RANK: list[int] = [
    35, 9, 42, 41, 25, 16, 3, 5, 30, 43, 44, 28, 29, 36, 33, 32, 21, 18, 11, 37,
    14, 7, 39, 20, 12, 45, 38, 31, 10, 1, 6, 24, 19, 8, 4, 2, 26, 17, 34, 27,
    40, 22, 15, 23, 13,
]  # fmt: skip

# Sectors: groups of related classes (a class can be in several). They shape the latent relatedness structure.
SECTORS: dict[str, tuple[float, list[int]]] = {  # name: (share of firms, classes)
    "digital": (0.17, [9, 42, 38, 35, 41]),
    "fashion": (0.12, [25, 18, 14, 3, 26, 24, 35]),
    "food": (0.12, [29, 30, 31, 32, 43, 35]),
    "drinks": (0.04, [32, 33, 30, 43]),
    "health": (0.08, [5, 10, 44, 3, 1]),
    "chemicals": (0.05, [1, 2, 4, 17, 40, 19]),
    "machinery": (0.07, [7, 8, 11, 12, 37, 6]),
    "mobility": (0.04, [12, 39, 37, 9, 36]),
    "building": (0.06, [19, 6, 20, 27, 37, 11, 21]),
    "media": (0.07, [41, 16, 9, 28, 38, 35]),
    "finance": (0.07, [36, 35, 45, 42]),
    "home": (0.05, [21, 20, 24, 11, 8, 3]),
    "textiles": (0.02, [22, 23, 24, 26, 25]),
    "leisure": (0.02, [28, 13, 15, 41, 34]),
    "tobacco": (0.02, [34, 33, 35]),
}
