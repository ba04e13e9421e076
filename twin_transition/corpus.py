"""The labelled data as the item-level model uses it: Nice items with their labels and pool, and descriptions.

- `data/nice_items.jsonl`: the official Nice indications, `{"id", "nice_class", "text", "green", "digital", "reason",
  "pool"}`, `pool` in train/validation/test (test descriptions are composed only from test-pool items);
- `data/{train,validation,test}.jsonl`: descriptions `{"id", "text", "green", "digital", "items", ...}`; `test` is
  the hard split;
- `data/real_validation.jsonl` (optional): real registry descriptions, hand-labelled (validation only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from twin_transition.labels import check_label

DESCRIPTION_SPLITS = ("train", "validation", "test")
REAL_SPLIT = "real_validation"
ITEMS_FILE = "nice_items.jsonl"


def data_dir_or_default(data_dir: str | Path | None) -> Path:
    from twin_transition.labelled_data import DATA_DIR

    return Path(data_dir) if data_dir is not None else DATA_DIR


def read_jsonl(path: Path, required: tuple[str, ...]) -> list[dict]:
    """The rows of a JSON-lines file; errors name the file and line."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({err.msg})") from err
            missing = [key for key in required if key not in row]
            if missing:
                raise ValueError(f"{path}:{lineno}: missing field(s) {missing}")
            rows.append(row)
    return rows


@dataclass
class Corpus:
    """Items (`nice_items.jsonl`) and description splits (`train`, `validation`, `test`, maybe `real_validation`)."""

    items: list[dict]
    descriptions: dict[str, list[dict]]

    def pool(self, name: str) -> list[dict]:
        return [row for row in self.items if row["pool"] == name]

    def texts(self, split: str) -> list[str]:
        return [row["text"] for row in self.descriptions[split]]

    def labels(self, split: str, label: str) -> list[int]:
        check_label(label)
        return [int(row[label]) for row in self.descriptions[split]]


def load_corpus(data_dir: str | Path | None = None) -> Corpus:
    """Read the items and every description split present in `data_dir` (default: the package's data)."""
    data_dir = data_dir_or_default(data_dir)
    items_path = data_dir / ITEMS_FILE
    if not items_path.is_file():
        raise FileNotFoundError(f"Item labels not found: expected {items_path} (the labelled Nice indications).")
    items = read_jsonl(items_path, ("id", "text", "green", "digital", "pool"))
    descriptions = {}
    for split in (*DESCRIPTION_SPLITS, REAL_SPLIT):
        path = data_dir / f"{split}.jsonl"
        if path.is_file():
            descriptions[split] = read_jsonl(path, ("id", "text", "green", "digital"))
        elif split != REAL_SPLIT:
            raise FileNotFoundError(f"Labelled split {split!r} not found: expected {path}")
    return Corpus(items=items, descriptions=descriptions)
