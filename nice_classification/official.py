"""The official Nice texts (WIPO NCL 12-2024, English): class headings, explanatory notes and the 9,915 indications.

The package ships them as `data/ncl-12-2024-en.json` (extracted unchanged from WIPO's master files, © WIPO,
reproduced with acknowledgement). Regenerate it from the master files with:

    python -m nice_classification.official ../shared/data/nice

Indications are the goods/services terms real filings use: EUIPO and USPTO lists mostly are, or start from, them.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import defusedxml.ElementTree as DET

DATA_PATH = Path(__file__).resolve().parent / "data" / "ncl-12-2024-en.json"
EDITION = "NCL 12-2024"
SOURCE_CREDIT = (
    "Nice Classification, 12th edition, version 2024 (NCL 12-2024), © WIPO; reproduced with acknowledgement"
)
_NS = {"n": "http://www.wipo.int/classifications/ncl"}
_TEXTS_FILE = "ncl-20240101-en-classification_texts-20230606.xml"
_STRUCTURE_FILE = "ncl-20240101-classification_top_structure-20230606.xml"


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
            "`python -m nice_classification.official <folder with the WIPO NCL master files>`."
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


def _text(elem, class_numbers: dict[str, int] | None = None) -> str:
    """An element's whole text, whitespace collapsed; a `ClassLink` inside an exclude becomes its class number."""
    parts = [elem.text or ""]
    for child in elem:
        if child.tag.endswith("ClassLink") and class_numbers is not None:
            parts.append(f"Cl. {class_numbers[child.get('idRef')]}")
        else:
            parts.append(_text(child, class_numbers))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def extract(master_dir: str | Path) -> dict:
    """Read WIPO's two master files from `master_dir` into the shipped JSON structure."""
    master_dir = Path(master_dir)
    structure = DET.parse(str(master_dir / _STRUCTURE_FILE)).getroot()
    texts = DET.parse(str(master_dir / _TEXTS_FILE)).getroot()
    class_of_id, kind_of_class, number_of_class_id, basic = {}, {}, {}, {}
    for cls in structure.iterfind("n:Class", _NS):
        number = int(cls.get("classNumber"))
        kind_of_class[number] = cls.get("isGoodOrService")
        number_of_class_id[cls.get("id")] = number
        for item in cls.iterfind("n:GoodOrService", _NS):
            class_of_id[item.get("id")] = number
            basic[item.get("id")] = item.get("basicNumber")
    classes = []
    for ct in texts.iterfind("n:ClassesTexts/n:ClassTexts", _NS):
        number = number_of_class_id[ct.get("idRef")]
        classes.append(
            {
                "nice_class": number,
                "kind": kind_of_class[number],
                "heading_items": [_text(h) for h in ct.iterfind("n:Heading/n:HeadingItem", _NS)],
                "includes": [_text(i, number_of_class_id) for i in ct.iterfind(".//n:Include", _NS)],
                "excludes": [_text(e, number_of_class_id) for e in ct.iterfind(".//n:Exclude", _NS)],
            }
        )
    rows = []
    for gs in texts.iterfind("n:GoodsAndServicesTexts/n:GoodOrServiceTexts", _NS):
        ref = gs.get("idRef")
        for ind in gs.iterfind("n:Indication", _NS):
            label = ind.find("n:Label", _NS)
            rows.append(
                {
                    "id": ind.get("id"),
                    "nice_class": class_of_id[ref],
                    "basic_number": basic[ref],
                    "label": _text(label),
                }
            )
    rows.sort(key=lambda r: (r["nice_class"], r["basic_number"], r["id"]))
    classes.sort(key=lambda c: c["nice_class"])
    return {"edition": EDITION, "source": SOURCE_CREDIT, "classes": classes, "indications": rows}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m nice_classification.official <folder with the WIPO NCL master files>", file=sys.stderr)
        return 2
    data = extract(argv[0])
    DATA_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATA_PATH.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {DATA_PATH}: {len(data['classes'])} classes, {len(data['indications'])} indications")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
