"""The official Nice texts (WIPO NCL 12-2024, English): class headings, explanatory notes and the 9,915 indications.

The package ships them as `data/ncl-12-2024-en.json` (extracted unchanged from WIPO's master files, © WIPO,
reproduced with acknowledgement). Regenerate it from the master files with:

    python -m nice_classification.extract_official ../shared/data/nice

Indications are the goods/services terms real filings use: EUIPO and USPTO lists mostly are, or start from, them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_PATH = Path(__file__).resolve().parent / "data" / "ncl-12-2024-en.json"
EDITION = "NCL 12-2024"
SOURCE_CREDIT = (
    "Nice Classification, 12th edition, version 2024 (NCL 12-2024), © WIPO; reproduced with acknowledgement"
)


@dataclass(frozen=True)
class Indication:
    """One official goods/services indication: its WIPO id, Nice class, basic number and English label."""

    id: str
    nice_class: int
    basic_number: str
    label: str


@dataclass(frozen=True)
class NiceClassText:
    """One class: goods or services, its official heading items and its explanatory note's includes/excludes."""

    nice_class: int
    kind: str  # "good" or "service"
    heading_items: tuple[str, ...]
    includes: tuple[str, ...]
    excludes: tuple[str, ...]

    @property
    def heading(self) -> str:
        """The official class heading, its items joined as WIPO prints them (`; `)."""
        return "; ".join(self.heading_items)


@cache
def _load() -> dict:
    if not DATA_PATH.is_file():
        raise FileNotFoundError(
            f"{DATA_PATH} is missing: reinstall the package, or regenerate it with "
            "`python -m nice_classification.extract_official <folder with the WIPO NCL master files>`."
        )
    return json.loads(DATA_PATH.read_text(encoding="utf-8"))


@cache
def indications() -> tuple[Indication, ...]:
    """All 9,915 indications of NCL 12-2024, in class then basic-number order."""
    return tuple(Indication(**row) for row in _load()["indications"])


@cache
def class_texts() -> dict[int, NiceClassText]:
    """`{class: NiceClassText}` for the 45 classes."""
    return {
        row["nice_class"]: NiceClassText(
            nice_class=row["nice_class"],
            kind=row["kind"],
            heading_items=tuple(row["heading_items"]),
            includes=tuple(row["includes"]),
            excludes=tuple(row["excludes"]),
        )
        for row in _load()["classes"]
    }


@cache
def indications_by_class() -> dict[int, tuple[Indication, ...]]:
    """`{class: indications of that class}`."""
    grouped: dict[int, list[Indication]] = {}
    for item in indications():
        grouped.setdefault(item.nice_class, []).append(item)
    return {cls: tuple(items) for cls, items in sorted(grouped.items())}
