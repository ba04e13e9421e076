"""The labelled few-shot data shipped with the package: fixed `train`/`test` splits, one row per specification.

Each row has `id`, `text`, `green` (0/1), `digital` (0/1) and `category`; see `data/LABELLING_GUIDE.md`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from twin_transition.labels import LABELS, check_label, class_names

DATA_DIR = Path(__file__).resolve().parent / "data"
SPLITS = ("train", "test")
CATEGORIES = ("green", "digital", "green_and_digital", "hard_negative_green", "hard_negative_digital", "neither")
LABELLED_FEATURES = Features(
    {
        "id": Value("string"),
        "text": Value("string"),
        "green": Value("int8"),
        "digital": Value("int8"),
        "category": Value("string"),
    }
)


def _read_jsonl(path: Path) -> list[dict]:
    """Read and check one split file; errors name the file and line."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{where}: not valid JSON ({err.msg})") from err
            missing = set(LABELLED_FEATURES) - set(row)
            if missing:
                raise ValueError(f"{where}: missing field(s) {sorted(missing)}")
            if not isinstance(row["text"], str) or not row["text"].strip():
                raise ValueError(f"{where}: 'text' must be a non-empty string")
            for label in LABELS:
                if row[label] not in (0, 1):
                    raise ValueError(f"{where}: {label!r} must be 0 or 1, got {row[label]!r}")
            if row["category"] not in CATEGORIES:
                raise ValueError(f"{where}: unknown category {row['category']!r} (expected one of {CATEGORIES})")
            rows.append({key: row[key] for key in LABELLED_FEATURES})
    return rows


def load_labelled_data(data_dir: str | Path | None = None) -> DatasetDict:
    """Load the labelled `train` and `test` splits from `data_dir` (default: the package's own data)."""
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    splits, seen = {}, {}
    for split in SPLITS:
        path = data_dir / f"{split}.jsonl"
        if not path.is_file():
            raise FileNotFoundError(f"Labelled split {split!r} not found: expected {path}")
        rows = _read_jsonl(path)
        for row in rows:
            if row["id"] in seen:
                raise ValueError(f"{path}: id {row['id']!r} already used in split {seen[row['id']]!r}")
            seen[row["id"]] = split
        splits[split] = Dataset.from_list(rows, features=LABELLED_FEATURES)
    return DatasetDict(splits)


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
