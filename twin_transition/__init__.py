"""TwinTransition: SetFit few-shot classifiers telling whether goods/services belong to the green and the digital
transition, trained on labelled data shipped with this package and published to a Hugging Face Hub.

Library entry points (importing this package loads no Hugging Face library until a function needs one):

- `train_twin(label, config, output_dir)`: train and evaluate one classifier; `TwinConfig` is the shared config.
- `run_learning_curve(output_dir, ...)`: SetFit vs. baselines at 8/16/32/64 examples per class.
- `publish_twin(output_dir, repo_id, tag=...)`, `publish_twin_dataset(repo_id, tag=...)`: push to the Hub.
- `load_twin_classifier(repo_id_or_dir)`: the pickle-free loading path (what the Space uses): `predict`,
  `predict_proba` and `explain` on descriptions, by items and the calibrated share rule (`DecisionRule`).
- `split_items(text)`: a goods/services description as its list of items.
- `score_filings(filings, classifiers)`, `firm_trajectories(scores)`, `publish_twin_configs(...)`: apply them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from twin_transition.config import TwinConfig
from twin_transition.labels import LABELS, class_names

_LAZY = {
    "train_twin": "twin_transition.training",
    "train_all": "twin_transition.training",
    "TwinTrainResult": "twin_transition.training",
    "run_learning_curve": "twin_transition.learning_curve",
    "publish_twin": "twin_transition.publishing",
    "publish_twin_dataset": "twin_transition.publishing",
    "load_twin_classifier": "twin_transition.head",
    "TwinClassifier": "twin_transition.head",
    "load_labelled_data": "twin_transition.labelled_data",
    "compute_metrics": "twin_transition.evaluation",
    "score_filings": "twin_transition.scoring",
    "split_items": "twin_transition.items",
    "DecisionRule": "twin_transition.decision",
    "firm_trajectories": "twin_transition.scoring",
    "publish_twin_configs": "twin_transition.scoring",
}

if TYPE_CHECKING:
    from twin_transition.decision import DecisionRule
    from twin_transition.evaluation import compute_metrics
    from twin_transition.head import TwinClassifier, load_twin_classifier
    from twin_transition.items import split_items
    from twin_transition.labelled_data import load_labelled_data
    from twin_transition.learning_curve import run_learning_curve
    from twin_transition.publishing import publish_twin, publish_twin_dataset
    from twin_transition.scoring import firm_trajectories, publish_twin_configs, score_filings
    from twin_transition.training import TwinTrainResult, train_all, train_twin

__all__ = [  # noqa: F822 - the lazy names resolve through __getattr__
    "LABELS",
    "TwinConfig",
    "class_names",
    "DecisionRule",
    "TwinClassifier",
    "TwinTrainResult",
    "compute_metrics",
    "firm_trajectories",
    "load_labelled_data",
    "load_twin_classifier",
    "publish_twin",
    "publish_twin_configs",
    "publish_twin_dataset",
    "run_learning_curve",
    "score_filings",
    "split_items",
    "train_all",
    "train_twin",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'twin_transition' has no attribute {name!r}")
