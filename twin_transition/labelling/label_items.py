"""Label the 9,915 official Nice indications green/digital and split them into train/validation/test pools.

    python -m twin_transition.labelling.label_items

First pass: the curated patterns of `rules.py` (per label: specific includes, then traps, then includes, some limited
to Nice classes). Then the reviewed manual overrides in `data/item_overrides.json` (`{id: {"green"|"digital": 0/1,
"reason": ...}}`), written after reading every candidate positive and every trap match. Writes `data/nice_items.jsonl`.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

from nice_classification.official import Indication, indications
from twin_transition.labelling import rules

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ITEMS_PATH = DATA_DIR / "nice_items.jsonl"
OVERRIDES_PATH = DATA_DIR / "item_overrides.json"
POOLS = {"train": 0.60, "validation": 0.15, "test": 0.25}
SEED = 13
LABELS = ("green", "digital")

_Compiled = list[tuple[int, re.Pattern[str], str, tuple[int, ...] | None]]


def _compile(first: list[rules.Rule], traps: list[rules.Rule], includes: list[rules.Rule]) -> _Compiled:
    ordered = [(1, r) for r in first] + [(0, r) for r in traps] + [(1, r) for r in includes]
    return [(value, re.compile(rx, re.IGNORECASE), reason, classes) for value, (rx, reason, classes) in ordered]


RULES: dict[str, _Compiled] = {
    "green": _compile(rules.GREEN_FIRST, rules.GREEN_TRAPS, rules.GREEN_RULES),
    "digital": _compile(rules.DIGITAL_FIRST, rules.DIGITAL_TRAPS, rules.DIGITAL_RULES),
}


def pattern_label(text: str, nice_class: int, label: str) -> tuple[int, str]:
    """The first matching rule's `(value, reason)`; `(0, "")` when none matches."""
    for value, pattern, reason, classes in RULES[label]:
        if (classes is None or nice_class in classes) and pattern.search(text):
            return value, reason
    return 0, ""


def load_overrides(path: Path = OVERRIDES_PATH) -> dict[str, dict]:
    """The reviewed overrides, `{indication id: {"green"?: 0/1, "digital"?: 0/1, "reason": str}}`."""
    if not path.is_file():
        return {}
    overrides = json.loads(path.read_text(encoding="utf-8"))
    for item_id, entry in overrides.items():
        if not set(entry) - {"reason"} or not set(entry) - {"reason"} <= set(LABELS) or not entry.get("reason"):
            raise ValueError(f"{path}: override {item_id!r} needs 'green' and/or 'digital' and a 'reason'")
    return overrides


def label_item(item: Indication, overrides: dict[str, dict]) -> dict:
    """One row of `nice_items.jsonl` (without its pool)."""
    row: dict = {"id": item.id, "nice_class": item.nice_class, "text": item.label}
    reasons = []
    for label in LABELS:
        value, reason = pattern_label(item.label, item.nice_class, label)
        override = overrides.get(item.id, {})
        if label in override:
            value, reason = override[label], override["reason"]
        row[label] = value
        if reason:
            reasons.append(f"{label}: {reason}")
    row["reason"] = "; ".join(reasons)
    return row


def assign_pools(rows: list[dict], seed: int = SEED) -> None:
    """Stratified by (class, green, digital): each stratum is shuffled and cut 60/15/25 into pools, in place."""
    strata: dict[tuple, list[dict]] = {}
    for row in rows:
        strata.setdefault((row["nice_class"], row["green"], row["digital"]), []).append(row)
    rng = random.Random(seed)
    carry = dict.fromkeys(POOLS, 0.0)  # fractional remainders, so small strata still fill every pool over classes
    for key in sorted(strata):
        group = strata[key]
        rng.shuffle(group)
        start = 0
        for pool, share in POOLS.items():
            carry[pool] += share * len(group)
            take = min(int(carry[pool]), len(group) - start) if pool != "test" else len(group) - start
            carry[pool] -= take
            for row in group[start : start + take]:
                row["pool"] = pool
            start += take


def build(overrides_path: Path = OVERRIDES_PATH) -> list[dict]:
    overrides = load_overrides(overrides_path)
    unknown = set(overrides) - {item.id for item in indications()}
    if unknown:
        raise ValueError(f"{overrides_path}: unknown indication id(s) {sorted(unknown)[:5]}")
    rows = [label_item(item, overrides) for item in indications()]
    assign_pools(rows)
    return rows


def main(argv: list[str]) -> int:
    rows = build()
    with ITEMS_PATH.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts = Counter((row["pool"], label) for row in rows for label in LABELS if row[label])
    print(
        f"wrote {ITEMS_PATH}: {len(rows)} items; " + ", ".join(f"{k[0]}/{k[1]}={v}" for k, v in sorted(counts.items()))
    )
    print("pools:", dict(Counter(row["pool"] for row in rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
