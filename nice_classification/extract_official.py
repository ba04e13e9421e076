"""Extract the official Nice texts from WIPO's NCL master files into `official.py`'s package data (a maintainer's
tool: the package ships the result, and nothing imports this module at run time).

    python -m nice_classification.extract_official ../shared/data/nice
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import defusedxml.ElementTree as DET

from nice_classification.official import DATA_PATH, EDITION, SOURCE_CREDIT

_NS = {"n": "http://www.wipo.int/classifications/ncl"}
_TEXTS_FILE = "ncl-20240101-en-classification_texts-20230606.xml"
_STRUCTURE_FILE = "ncl-20240101-classification_top_structure-20230606.xml"


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
        print(
            "usage: python -m nice_classification.extract_official <folder with the WIPO NCL master files>",
            file=sys.stderr,
        )
        return 2
    data = extract(argv[0])
    DATA_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATA_PATH.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {DATA_PATH}: {len(data['classes'])} classes, {len(data['indications'])} indications")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
