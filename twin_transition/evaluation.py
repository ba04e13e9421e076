"""Classification metrics through the project's own `evaluate` module (no Hub-hosted metric is needed)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

METRIC_PATH = Path(__file__).resolve().parent / "metrics" / "twin_classification"
METRIC_NAMES = ("accuracy", "f1", "precision", "recall", "mcc")


@lru_cache(maxsize=1)
def load_metric():
    """The `twin_classification` metric module (accuracy, F1, precision, recall, MCC), loaded by path."""
    import evaluate

    return evaluate.load(str(METRIC_PATH))


def compute_metrics(predictions: Sequence[int], references: Sequence[int]) -> dict[str, float]:
    """Accuracy, F1, precision and recall of the positive class, and MCC."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    return load_metric().compute(predictions=[int(p) for p in predictions], references=[int(r) for r in references])


def evaluate_twin(
    repo_id_or_dir: str, *, data_dir: str | None = None, revision: str | None = None, split: str = "test"
) -> dict[str, float]:
    """Metrics of a trained or published classifier (loaded the pickle-free way, its saved decision rule) on a
    description split (`test`: the hard one, or `real_validation`); unknown (non-English) descriptions count as 0."""
    from twin_transition.corpus import load_corpus
    from twin_transition.head import load_twin_classifier

    classifier = load_twin_classifier(repo_id_or_dir, revision=revision)
    corpus = load_corpus(data_dir)
    if split not in corpus.descriptions:
        raise ValueError(f"No {split!r} split in the labelled data; available: {sorted(corpus.descriptions)}")
    predictions = [int(p == classifier.label) for p in classifier.predict(corpus.texts(split))]
    return compute_metrics(predictions, corpus.labels(split, classifier.label))
