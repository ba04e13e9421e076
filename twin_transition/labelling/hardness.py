"""The hardness check of the composed splits: the keyword rule, TF-IDF + LR, and the oracle item rule on `test`.

python -m twin_transition.labelling.hardness [--split test]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter

from twin_transition.baselines import keyword_rule, tfidf_logreg
from twin_transition.labelling.compose import DATA_DIR, share_rule
from twin_transition.labelling.label_items import LABELS


def _read(split: str) -> list[dict]:
    with (DATA_DIR / f"{split}.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def prf(true: list[int], pred: list[int]) -> dict[str, float]:
    """F1, precision and recall of the positive class."""
    tp = sum(t and p for t, p in zip(true, pred, strict=True))
    precision = tp / max(1, sum(pred))
    recall = tp / max(1, sum(true))
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {"f1": round(f1, 3), "precision": round(precision, 3), "recall": round(recall, 3)}


def report(split: str = "test") -> dict[str, dict[str, dict[str, float]]]:
    train, rows = _read("train"), _read(split)
    texts = [row["text"] for row in rows]
    results: dict[str, dict[str, dict[str, float]]] = {}
    for label in LABELS:
        true = [row[label] for row in rows]
        oracle = [share_rule(row[f"item_{label}"]) if row[f"item_{label}"] else row[label] for row in rows]
        tfidf = tfidf_logreg([row["text"] for row in train], [row[label] for row in train], texts)
        results[label] = {
            "keyword_rule": prf(true, keyword_rule(texts, label)),
            "tfidf_logreg": prf(true, tfidf),
            "oracle_item_rule": prf(true, oracle),
        }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test")
    split = parser.parse_args().split
    rows = _read(split)
    lengths = [len(row["text"]) for row in rows]
    print(f"{split}: {len(rows)} rows; chars median {statistics.median(lengths)}, max {max(lengths)}")
    print("categories:", dict(Counter(row["category"] for row in rows)))
    for label, scores in report(split).items():
        for method, score in scores.items():
            print(f"{label:8s} {method:17s} {score}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
