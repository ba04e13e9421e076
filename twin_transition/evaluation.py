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
    repo_id_or_dir: str, *, data_dir: str | None = None, revision: str | None = None, threshold: float = 0.5
) -> dict[str, float]:
    """Test-split metrics of a trained or published classifier, loaded the pickle-free way."""
    from twin_transition.head import load_twin_classifier
    from twin_transition.labelled_data import label_view, load_labelled_data

    classifier = load_twin_classifier(repo_id_or_dir, revision=revision)
    test = label_view(load_labelled_data(data_dir)["test"], classifier.label)
    predictions = (classifier.predict_proba(list(test["text"]))[:, 1] >= threshold).astype(int)
    return compute_metrics(predictions.tolist(), list(test["label"]))
