"""Binary classification metrics for the TwinTransition classifiers: accuracy, F1, precision, recall and MCC.

Load it by path (no Hub access needed)::

    import evaluate
    metric = evaluate.load("twin_transition/metrics/twin_classification")
    metric.compute(predictions=[1, 0, 1], references=[1, 1, 1])
"""

import math

import datasets
import evaluate
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score

_DESCRIPTION = """
Accuracy, F1, precision and recall of the positive class (label 1), and the Matthews correlation coefficient, for
binary labels (0/1). Precision, recall and F1 are 0.0 (not an error) when the positive class is never predicted or
never present; MCC is 0.0 when either side is constant.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `int`): predicted labels, 0 or 1.
    references (`list` of `int`): true labels, 0 or 1.
Returns:
    accuracy, f1, precision, recall, mcc (`float`).
Examples:
    >>> metric = evaluate.load("twin_transition/metrics/twin_classification")
    >>> metric.compute(predictions=[1, 0, 1, 0], references=[1, 0, 0, 0])
    {'accuracy': 0.75, 'f1': 0.6666666666666666, 'precision': 0.5, 'recall': 1.0, 'mcc': 0.5773502691896258}
"""

_CITATION = """
@article{scikit-learn,
  title={Scikit-learn: Machine Learning in {P}ython},
  author={Pedregosa, F. and others},
  journal={Journal of Machine Learning Research},
  volume={12},
  pages={2825--2830},
  year={2011}
}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class TwinClassification(evaluate.Metric):
    """Accuracy, F1, precision, recall and MCC of binary predictions."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}
            ),
            reference_urls=["https://scikit-learn.org/stable/modules/model_evaluation.html"],
        )

    def _compute(self, predictions, references) -> dict[str, float]:
        bad = sorted({int(v) for v in [*predictions, *references]} - {0, 1})
        if bad:
            raise ValueError(f"twin_classification expects binary labels 0/1, got {bad}")
        kwargs = {"y_true": references, "y_pred": predictions}
        return {
            "accuracy": float(accuracy_score(**kwargs)),
            "f1": float(f1_score(**kwargs, zero_division=0.0)),
            "precision": float(precision_score(**kwargs, zero_division=0.0)),
            "recall": float(recall_score(**kwargs, zero_division=0.0)),
            "mcc": _mcc(references, predictions),
        }


def _mcc(references, predictions) -> float:
    """Matthews correlation from the 2x2 confusion matrix (0.0 when a row or column is empty, as sklearn does, but
    without its warning on a split that has one class only)."""
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(references, predictions, labels=[0, 1]).ravel())
    denominator = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return (tp * tn - fp * fn) / denominator if denominator else 0.0
