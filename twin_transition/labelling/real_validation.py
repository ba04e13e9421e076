"""Build `data/real_validation.jsonl`: real registry descriptions, hand-labelled by the rubric, for validation and
calibration only (never for training).

    python -m twin_transition.labelling.real_validation [/work/shared/data]

One row per Nice class of one filing: EUIPO open data (`euipo_sample/*.xml`, the English `GoodsServicesDescription`
of each `ClassDescription`; a class with no English text is reported with its languages and left out of scoring) and
USPTO bulk data (`uspto_sample/seed.xml`, each case file's goods/services statement `GS<class>` per classification,
keyed by its international class). Labels were given by reading each text; they live in `LABELS_BY_ID` below.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import defusedxml.ElementTree as DET

from twin_transition.labelling.label_items import DATA_DIR

OUT_PATH = DATA_DIR / "real_validation.jsonl"
DEFAULT_SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
_EUIPO_NS = {"e": "http://euipo.europa.eu/trademark/data"}
_ALL_ZERO = (0, 0, "")
_TU_SIMPLE = {
    "9": (0, 1, "digital: AI, computer vision and autonomous-driving software and computing hardware"),
    "12": (0, 1, "digital: self-driving vehicles defined by their autonomous-driving (AI) systems; not electric"),
    "39": (0, 0, "transport, freight brokerage and vehicle rental; the autonomy is only the means (not substantial)"),
    "42": (0, 1, "digital: software development, SaaS and R&D for vehicle automation"),
}
# (green, digital, reason) per id `registry:application:class`; reasons for every 1 and for the traps.
LABELS_BY_ID: dict[str, tuple[int, int, str]] = {
    "euipo:018222204:25": _ALL_ZERO,
    "euipo:018222204:35": (0, 0, "retail of physical goods (one of them smartwatches) and advertising: not digital"),
    "euipo:018222204:36": _ALL_ZERO,
    "euipo:018224164:7": (0, 0, "lawnmowers, no electric drive or environmental purpose stated"),
    "euipo:018224172:7": (0, 0, "electric cleaning machines: 'electric' is neither green nor digital"),
    "euipo:018224918:7": (0, 0, "lawnmowers, no electric drive or environmental purpose stated"),
    "euipo:018224919:7": (0, 0, "electric cleaning machines: 'electric' is neither green nor digital"),
    "euipo:018225920:9": (
        0,
        1,
        "digital: about 19 of 34 items are software, computers, chips, smartphones, "
        "downloadable content or AI robots; the rest spectacles, cases, garments",
    ),
    "euipo:018225933:18": _ALL_ZERO,
    "euipo:018226142:26": (0, 0, "haberdashery; 'patches for repairing textile articles' is not a circular service"),
    "euipo:018226148:45": (
        0,
        0,
        "one online social networking service among eight fashion and IP services; rental "
        "of clothing is not stated as circular",
    ),
    "euipo:018226259:12": (0, 0, "scooters and push scooters, not stated electric"),
    "euipo:018226259:25": _ALL_ZERO,
    "euipo:018226269:25": (0, 0, "clothing ('wind resistant jackets' is a keyword trap)"),
    "euipo:018226484:42": (
        0,
        1,
        "digital: about 18 of 25 services are software design, SaaS, hosting, web design, "
        "search engines and computer rental",
    ),
    **{f"uspto:{sn}:{cls}": value for sn in ("87310367", "87703889", "87703896") for cls, value in _TU_SIMPLE.items()},
    "uspto:87796079:42": (0, 0, "pulp-quality consulting; 'clean' in the mark, no environmental purpose stated"),
    "uspto:71112081:8": _ALL_ZERO,
    "uspto:71522974:16": _ALL_ZERO,
    "uspto:72029003:6": (0, 0, "valves and fittings for hot-water heating: heating is not green"),
    "uspto:72045204:32": (0, 0, "carbonated beverages ('carbon' keyword trap)"),
    "uspto:72243407:1": (0, 0, "industrial chemicals"),
    "uspto:72244388:7": _ALL_ZERO,
    "uspto:72244547:1": _ALL_ZERO,
    "uspto:72244547:19": _ALL_ZERO,
    "uspto:72244547:2": _ALL_ZERO,
    "uspto:72244547:3": (0, 0, "chemical surface cleaners: cleaning products are not green"),
}


def euipo_descriptions(folder: Path) -> tuple[list[dict], list[dict]]:
    """`(English descriptions, classes without English text)` of the EUIPO XML records in `folder`."""
    rows, excluded = [], []
    for path in sorted(folder.glob("*.xml")):
        root = DET.parse(str(path)).getroot()
        application = root.findtext(".//e:ApplicationNumber", namespaces=_EUIPO_NS)
        for description in root.iterfind(".//e:ClassDescription", _EUIPO_NS):
            nice_class = int(description.findtext("e:ClassNumber", namespaces=_EUIPO_NS))
            texts = {
                d.get("languageCode"): " ".join((d.text or "").split())
                for d in description.iterfind("e:GoodsServicesDescription", _EUIPO_NS)
            }
            row_id = f"euipo:{application}:{nice_class}"
            if texts.get("en"):
                rows.append({"id": row_id, "text": texts["en"], "source": "euipo_open_data", "language": "en"})
            else:
                excluded.append({"id": row_id, "languages": sorted(texts)})
    return rows, excluded


def uspto_descriptions(path: Path) -> list[dict]:
    """The goods/services statements (`GS<class>`) of the USPTO case files, keyed by international class."""
    rows = []
    for case in DET.parse(str(path)).getroot().iter("case-file"):
        serial = case.findtext("serial-number")
        international = {
            c.findtext("primary-code"): c.findtext("international-code") for c in case.iter("classification")
        }
        for statement in case.iter("case-file-statement"):
            code = statement.findtext("type-code") or ""
            if not code.startswith("GS"):
                continue
            nice_class = int(international.get(code[2:5], code[2:5]))
            text = " ".join((statement.findtext("text") or "").split())
            rows.append(
                {"id": f"uspto:{serial}:{nice_class}", "text": text, "source": "uspto_bulk_data", "language": "en"}
            )
    return rows


def build(shared: Path = DEFAULT_SHARED) -> tuple[list[dict], list[dict]]:
    rows, excluded = euipo_descriptions(shared / "euipo_sample")
    rows += uspto_descriptions(shared / "uspto_sample" / "seed.xml")
    unlabelled = [row["id"] for row in rows if row["id"] not in LABELS_BY_ID]
    if unlabelled:
        raise ValueError(f"descriptions without a hand label: {unlabelled}")
    for row in rows:
        row["green"], row["digital"], row["reason"] = LABELS_BY_ID[row["id"]]
    return rows, excluded


def main(argv: list[str]) -> int:
    rows, excluded = build(Path(argv[0]) if argv else DEFAULT_SHARED)
    with OUT_PATH.open("w", encoding="utf-8") as f:
        for row in rows:
            keys = ("id", "text", "green", "digital", "reason", "source", "language")
            f.write(json.dumps({key: row[key] for key in keys}, ensure_ascii=False) + "\n")
    print(
        f"wrote {OUT_PATH}: {len(rows)} rows, green {sum(r['green'] for r in rows)}, digital "
        f"{sum(r['digital'] for r in rows)}; without English (not scored): {excluded or 'none'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
