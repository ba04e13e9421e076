"""The labelled data shipped with the package: fixed `train`/`validation`/`test` splits of goods/services descriptions,
and the item labels of the 9,915 official Nice indications they are composed from (`load_item_labels`).

Each description row has `id`, `text`, `green` (0/1), `digital` (0/1) and `category`; rows may also carry `source`
(`hand_written` or `composed_nice`), `nice_class` (int or null), `items` (the item texts) and `item_green` /
`item_digital` (0/1 per item, null for hand-written rows). See `data/LABELLING_GUIDE.md`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

from twin_transition.labels import LABELS, check_label, class_names

DATA_DIR = Path(__file__).resolve().parent / "data"
ITEMS_FILE = "nice_items.jsonl"
SPLITS = ("train", "validation", "test")
SOURCES = ("hand_written", "composed_nice")
ITEM_POOLS = SPLITS
CATEGORIES = (
    "green",
    "digital",
    "green_and_digital",
    "hard_negative_green",
    "hard_negative_digital",
    "neither",
    "few_green",
    "few_digital",
    "near_threshold_green",
    "near_threshold_digital",
    "keyword_trap",
    "long_list",
)
REQUIRED_FIELDS = ("id", "text", "green", "digital", "category")
LABELLED_FEATURES = Features(
    {
        "id": Value("string"),
        "text": Value("string"),
        "green": Value("int8"),
        "digital": Value("int8"),
        "category": Value("string"),
        "source": Value("string"),
        "nice_class": Value("int16"),
        "items": Sequence(Value("string")),
        "item_green": Sequence(Value("int8")),
        "item_digital": Sequence(Value("int8")),
    }
)
ITEM_FEATURES = Features(
    {
        "id": Value("string"),
        "nice_class": Value("int16"),
        "text": Value("string"),
        "green": Value("int8"),
        "digital": Value("int8"),
        "reason": Value("string"),
        "pool": Value("string"),
    }
)


def _check_optional(row: dict, where: str) -> dict:
    """Check the optional description fields and fill in their defaults."""
    out = {key: row[key] for key in REQUIRED_FIELDS}
    out["source"] = row.get("source", "hand_written")
    if out["source"] not in SOURCES:
        raise ValueError(f"{where}: unknown source {out['source']!r} (expected one of {SOURCES})")
    nice_class = row.get("nice_class")
    if nice_class is not None and (not isinstance(nice_class, int) or not 1 <= nice_class <= 45):
        raise ValueError(f"{where}: 'nice_class' must be a Nice class 1-45 or null, got {nice_class!r}")
    out["nice_class"] = nice_class
    items = row.get("items") or []
    if not isinstance(items, list) or not all(isinstance(t, str) and t.strip() for t in items):
        raise ValueError(f"{where}: 'items' must be a list of non-empty strings")
    out["items"] = items
    for label in LABELS:
        values = row.get(f"item_{label}")
        if values is not None:
            if len(values) != len(items) or any(v not in (0, 1) for v in values):
                raise ValueError(f"{where}: 'item_{label}' must be one 0/1 per item ({len(items)} items)")
        out[f"item_{label}"] = values
    return out


def _json_lines(path: Path, required) -> Iterator[tuple[str, dict]]:
    """`(where, row)` for each non-blank line of `path` (`where` = "file:line"), each row an object with the
    `required` fields; errors name the file and line."""
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{where}: not valid JSON ({err.msg})") from err
            missing = set(required) - set(row)
            if missing:
                raise ValueError(f"{where}: missing field(s) {sorted(missing)}")
            for label in LABELS:
                if row[label] not in (0, 1):
                    raise ValueError(f"{where}: {label!r} must be 0 or 1, got {row[label]!r}")
            yield where, row


def _read_jsonl(path: Path) -> list[dict]:
    """Read and check one split file; errors name the file and line."""
    rows = []
    for where, row in _json_lines(path, REQUIRED_FIELDS):
        if not isinstance(row["text"], str) or not row["text"].strip():
            raise ValueError(f"{where}: 'text' must be a non-empty string")
        if row["category"] not in CATEGORIES:
            raise ValueError(f"{where}: unknown category {row['category']!r} (expected one of {CATEGORIES})")
        rows.append(_check_optional(row, where))
    return rows


def load_labelled_data(data_dir: str | Path | None = None) -> DatasetDict:
    """Load the labelled `train`, `validation` and `test` splits from `data_dir` (default: the package's own data)."""
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    splits, seen = {}, {}
    for split in SPLITS:
        path = data_dir / f"{split}.jsonl"
        if not path.is_file():
            raise FileNotFoundError(f"Labelled split {split!r} not found: expected {path}")
        rows = _read_jsonl(path)
        if not rows:
            raise ValueError(f"{path}: no rows")
        for row in rows:
            if row["id"] in seen:
                raise ValueError(f"{path}: id {row['id']!r} already used in split {seen[row['id']]!r}")
            seen[row["id"]] = split
        splits[split] = Dataset.from_list(rows, features=LABELLED_FEATURES)
    return DatasetDict(splits)


def load_item_labels(data_dir: str | Path | None = None) -> Dataset:
    """The item labels of the official Nice indications (`nice_items.jsonl`): `id`, `nice_class`, `text`, `green`,
    `digital`, `reason` and `pool` (the split whose descriptions may use the item)."""
    path = (Path(data_dir) if data_dir is not None else DATA_DIR) / ITEMS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"Item labels not found: expected {path}")
    rows, seen = [], set()
    for where, row in _json_lines(path, ITEM_FEATURES):
        if any(row[label] for label in LABELS) and not row["reason"]:
            raise ValueError(f"{where}: a positive item needs a 'reason'")
        if row["pool"] not in ITEM_POOLS:
            raise ValueError(f"{where}: unknown pool {row['pool']!r} (expected one of {ITEM_POOLS})")
        if row["id"] in seen:
            raise ValueError(f"{where}: duplicate id {row['id']!r}")
        seen.add(row["id"])
        rows.append({key: row[key] for key in ITEM_FEATURES})
    return Dataset.from_list(rows, features=ITEM_FEATURES)


def label_view(dataset: Dataset, label: str) -> Dataset:
    """The binary task for `label`: columns `id`, `text` and `label` (a `ClassLabel`: `not_<label>`, `<label>`)."""
    check_label(label)
    view = dataset.select_columns(["id", "text", label]).rename_column(label, "label")
    return view.cast_column("label", ClassLabel(names=class_names(label)))


def sample_per_class(dataset: Dataset, n: int, seed: int) -> Dataset:
    """Draw `n` rows of each class (column `label`) without replacement, shuffled, reproducibly from `seed`."""
    if n < 1:
        raise ValueError(f"examples per class must be >= 1, got {n}")
    rng = random.Random(seed)
    picked: list[int] = []
    labels = dataset["label"]
    for cls in sorted(set(labels)):
        indices = [i for i, value in enumerate(labels) if value == cls]
        if len(indices) < n:
            raise ValueError(f"Asked for {n} examples of class {cls}, but the split has only {len(indices)}.")
        picked += rng.sample(indices, n)
    rng.shuffle(picked)
    return dataset.select(picked)


def label_counts(data: DatasetDict) -> dict[str, dict[str, dict[str, int]]]:
    """`{split: {label: {class_name: count}}}` for the data card and model cards."""
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for split, dataset in data.items():
        counts[split] = {}
        for label in LABELS:
            values = dataset[label]
            names = class_names(label)
            counts[split][label] = {names[cls]: sum(1 for v in values if v == cls) for cls in (1, 0)}
    return counts
