"""Compose registry-like goods/services descriptions from the labelled Nice items of one pool per split.

    python -m twin_transition.labelling.compose

Each description is a list of 1-60 official indications of one Nice class (sometimes with some items of the
neighbouring classes, then `nice_class` is null), joined by "; ". Its labels follow one rule, for each label
independently: **1 iff at least one third of its items are 1** (`share_rule`). A list of 1-3 items whose first
item is 1 always meets it, so the rubric's "headline service" case is covered for short lists. The items of the `test`
(`validation`) descriptions come only from the `test` (`validation`) pool of `nice_items.jsonl`, never seen in
training.
The hand-written descriptions are kept (`source: hand_written`): the old train split and 150 old test rows in `train`,
the other 101 old test rows in `validation`. Writes `data/{train,validation,test}.jsonl`.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Callable

from twin_transition.labelling.label_items import ITEMS_PATH, LABELS

DATA_DIR = ITEMS_PATH.parent
SEED = 13
COMPOSED = {"train": 320, "validation": 220, "test": 620}
HAND_WRITTEN_TO_VALIDATION = 101  # the last old test rows; the others go to train
# Design of the composed lists: share of each category (the labels are always computed by `share_rule`).
MIX = {
    "green": 0.14,
    "digital": 0.14,
    "green_and_digital": 0.03,
    "few_green": 0.14,
    "few_digital": 0.14,
    "near_threshold_green": 0.08,
    "near_threshold_digital": 0.08,
    "keyword_trap": 0.14,
    "long_list": 0.07,
    "neither": 0.04,
}


def share_rule(item_labels: list[int]) -> int:
    """The composition rule: 1 iff at least a third of the items are 1."""
    return int(3 * sum(item_labels) >= len(item_labels) > 0)


def _n_items(rng: random.Random) -> int:
    """A registry-like list length: log-normal, median 12 items (about 300 characters), clipped to 1-60."""
    return max(1, min(60, round(math.exp(rng.gauss(math.log(12), 0.9)))))


class Composer:
    """Draws the lists of one split from one pool of items."""

    def __init__(self, items: list[dict], rng: random.Random) -> None:
        self.rng = rng
        self.by_class: dict[int, list[dict]] = {}
        for item in items:
            self.by_class.setdefault(item["nice_class"], []).append(item)

    def _of(self, cls: int, keep: Callable[[dict], bool]) -> list[dict]:
        return [item for item in self.by_class.get(cls, []) if keep(item)]

    def _classes_with(self, keep: Callable[[dict], bool], at_least: int = 1) -> list[int]:
        return [cls for cls in sorted(self.by_class) if len(self._of(cls, keep)) >= at_least]

    def _fillers(self, cls: int, n: int, taken: list[dict], long_items: bool = False) -> tuple[list[dict], bool]:
        """`n` items with both labels 0, mostly of `cls`; sometimes (25%) a fifth from the neighbouring classes."""
        used = {item["id"] for item in taken}
        neutral = [i for i in self._of(cls, lambda i: not i["green"] and not i["digital"]) if i["id"] not in used]
        mixed = self.rng.random() < 0.25 and n >= 5
        picked: list[dict] = []
        if mixed:
            near = [
                i
                for c in (cls - 1, cls + 1)
                for i in self._of(c, lambda i: not i["green"] and not i["digital"])
                if i["id"] not in used
            ]
            picked = self.rng.sample(near, min(len(near), max(1, n // 5)))
        rest = max(0, min(len(neutral), n - len(picked)))
        if long_items:  # long lists in registers are long partly because their terms are long
            weights = [len(i["text"]) ** 6 for i in neutral]
            chosen: dict[str, dict] = {}
            while len(chosen) < rest:
                item = self.rng.choices(neutral, weights)[0]
                chosen[item["id"]] = item
            picked += list(chosen.values())
        else:
            picked += self.rng.sample(neutral, rest)
        return picked, mixed and bool(picked)

    def _positives(self, cls: int, label: str, k: int, exclude: list[dict] = ()) -> tuple[list[dict], bool]:
        """`k` distinct items positive for `label`: those of `cls` first, then (a themed filing that spans classes,
        e.g. solar panels, heat pumps and recycling services) positives of other classes. Also says if it spilled."""
        used = {item["id"] for item in exclude}
        own = [i for i in self._of(cls, lambda i: bool(i[label])) if i["id"] not in used]
        picked = self.rng.sample(own, min(k, len(own)))
        if len(picked) >= k:
            return picked, False
        others = [i for c in self.by_class if c != cls for i in self.by_class[c] if i[label] and i["id"] not in used]
        return picked + self.rng.sample(others, min(k - len(picked), len(others))), True

    def _class_for(self, label: str) -> int:
        """A class that has positives for `label`, weighted by how many (classes 9, 42, 38 for digital)."""
        classes = self._classes_with(lambda i: bool(i[label]))
        weights = [len(self._of(c, lambda i: bool(i[label]))) ** 0.5 for c in classes]
        return self.rng.choices(classes, weights)[0]

    def compose(self, category: str) -> dict | None:
        rng = self.rng
        focus = "digital" if category.endswith("digital") else "green"
        n = _n_items(rng)
        chosen: list[dict] = []
        spilled = False
        if category in ("green", "digital"):
            cls = self._class_for(focus)
            k = rng.randint(math.ceil(n / 3), n)
            chosen, spilled = self._positives(cls, focus, k)
        elif category == "green_and_digital":
            cls = self._class_for(rng.choice(LABELS))
            green, spilled_g = self._positives(cls, "green", rng.randint(math.ceil(n / 3), max(1, n // 2)))
            digital, spilled_d = self._positives(cls, "digital", rng.randint(math.ceil(n / 3), max(1, n // 2)), green)
            chosen, spilled = green + digital, spilled_g or spilled_d
        elif category.startswith("few_"):
            cls = self._class_for(focus)
            k = rng.choice([1, 1, 2])
            n = max(n, 3 * k + 1 + rng.randint(0, 6))
            chosen, spilled = self._positives(cls, focus, k)
        elif category.startswith("near_threshold_"):
            cls = self._class_for(focus)
            share = rng.uniform(0.20, 0.45)
            n = max(n, 4)
            chosen, spilled = self._positives(cls, focus, max(1, round(share * n)))
        elif category == "keyword_trap":
            trap = lambda i: "trap" in i["reason"] and not i["green"] and not i["digital"]  # noqa: E731
            cls = rng.choice(self._classes_with(trap))
            traps = self._of(cls, trap)
            chosen = rng.sample(traps, min(len(traps), max(1, rng.randint(math.ceil(n / 3), n))))
        elif category == "long_list":
            cls = rng.choice(sorted(self.by_class))
            n = rng.randint(30, 60)
            share = rng.choice([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
            chosen, spilled = self._positives(cls, rng.choice(LABELS), round(share * n))
        elif category == "neither":
            cls = rng.choice(sorted(self.by_class))
        else:
            raise ValueError(f"unknown category {category!r}")
        fillers, mixed = self._fillers(cls, n - len(chosen), chosen, long_items=category == "long_list")
        mixed = mixed or spilled
        items = chosen + fillers
        if not items:
            return None
        rng.shuffle(items)
        if category in ("green", "digital", "green_and_digital") and rng.random() < 0.5:
            head = next(i for i in items if i in chosen)  # headline: half of the themed lists start with a positive
            items.remove(head)
            items.insert(0, head)
        texts = [i["text"] for i in items]
        text = "; ".join(texts)
        row = {
            "text": text[0].upper() + text[1:] if rng.random() < 0.7 else text,
            "nice_class": None if mixed else cls,
            "items": texts,
            "item_green": [i["green"] for i in items],
            "item_digital": [i["digital"] for i in items],
            "category": category,
            "source": "composed_nice",
        }
        for label in LABELS:
            row[label] = share_rule(row[f"item_{label}"])
        if category in ("green", "digital", "green_and_digital"):  # name the theme by the computed labels
            both = row["green"] and row["digital"]
            row["category"] = "green_and_digital" if both else ("green" if row["green"] else "digital")
        return row


def _meets_design(row: dict) -> bool:
    """Redraw lists whose computed labels contradict their design (a pool ran short of neutral items)."""
    category = row["category"]
    if category.startswith("few_"):
        return row[category[4:]] == 0
    if category == "keyword_trap":
        return row["green"] == row["digital"] == 0 and len(row["items"]) > 1
    return True


def compose_split(items: list[dict], size: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    composer = Composer(items, rng)
    rows, texts = [], set()
    plan = [cat for cat, share in MIX.items() for _ in range(round(share * size))]
    for category in plan:
        for _ in range(20):  # redraw exact duplicates
            row = composer.compose(category)
            if row is not None and row["text"].lower() not in texts and _meets_design(row):
                texts.add(row["text"].lower())
                rows.append(row)
                break
    rng.shuffle(rows)
    return rows


def _hand_written() -> dict[str, list[dict]]:
    def read(name: str) -> list[dict]:
        with (DATA_DIR / name).open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    old_train, old_test = read("hand_written_train.jsonl"), read("hand_written_test.jsonl")
    extra = {"source": "hand_written", "nice_class": None, "items": [], "item_green": None, "item_digital": None}
    cut = len(old_test) - HAND_WRITTEN_TO_VALIDATION
    return {
        "train": [row | extra for row in old_train + old_test[:cut]],
        "validation": [row | extra for row in old_test[cut:]],
    }


def build() -> dict[str, list[dict]]:
    with ITEMS_PATH.open(encoding="utf-8") as f:
        items = [json.loads(line) for line in f]
    hand = _hand_written()
    splits = {}
    for offset, (split, size) in enumerate(COMPOSED.items()):
        pool = [item for item in items if item["pool"] == split]
        composed = compose_split(pool, size, SEED + offset)
        for number, row in enumerate(composed):
            row["id"] = f"nc-{split}-{number:04d}"
        splits[split] = hand.get(split, []) + composed
    return splits


FIELDS = ("id", "text", "green", "digital", "category", "source", "nice_class", "items", "item_green", "item_digital")


def main(argv: list[str]) -> int:
    for split, rows in build().items():
        with (DATA_DIR / f"{split}.jsonl").open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps({key: row[key] for key in FIELDS}, ensure_ascii=False) + "\n")
        positives = {label: sum(row[label] for row in rows) for label in LABELS}
        print(f"{split}: {len(rows)} rows, positives {positives}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
