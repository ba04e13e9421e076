"""From item scores to a description's label: the "substantially" rule, its calibration, and `twin_decision.json`.

The classifiers score each item of a description (see `items.split_items`). A description is green (digital) when
at least a share `min_share` of its items score >= `item_threshold`: the rubric's "roughly a third or more of the
listed items". Both numbers are calibrated on the validation split (`calibrate`), and the item threshold is then
folded into the head's intercept (`logit_shift`), so that in the published model an item counts when its
probability is >= 0.5, for stock `SetFitModel.predict` as for `predict_proba(...) >= 0.5`.

The description's score is the `ceil(min_share * n)`-th largest item probability: it is >= 0.5 exactly when the
rule says 1, so `score >= 0.5` and `argmax` agree with the rule (it ranks descriptions, it is not a calibrated
probability).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

DECISION_FILE = "twin_decision.json"
DECISION_FORMAT = "twin-transition-decision/1"
ITEM_THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 0.96, 0.025))
MIN_SHARES = (0.1, 0.15, 0.2, 0.25, 0.3, 1 / 3, 0.4, 0.5, 0.6)


@dataclass
class DecisionRule:
    """A description is positive when `share(items with p >= item_threshold) >= min_share`."""

    item_threshold: float = 0.5  # on the saved head's item probabilities (0.5 once the calibration is folded in)
    min_share: float = 1 / 3
    # How the head was calibrated: the raw item threshold found on validation, folded into the intercept as
    # `intercept -= logit(calibrated_item_threshold)`; None when nothing was folded.
    calibrated_item_threshold: float | None = None
    calibration: dict = field(default_factory=dict)  # split, size, F1 reached, grid

    def __post_init__(self) -> None:
        if not 0 < self.item_threshold < 1:
            raise ValueError(f"DecisionRule.item_threshold must be in (0, 1), got {self.item_threshold!r}")
        if not 0 < self.min_share <= 1:
            raise ValueError(f"DecisionRule.min_share must be in (0, 1], got {self.min_share!r}")

    def needed(self, n_items: int) -> int:
        """Items that must count for a description of `n_items` items to be positive."""
        return min(n_items, max(1, math.ceil(self.min_share * n_items - 1e-9)))

    def score(self, item_probs: Sequence[float] | np.ndarray) -> float:
        """The description's score: its `needed(n)`-th largest item probability, rescaled so that the rule's
        boundary is 0.5 (identity when `item_threshold` is 0.5)."""
        probs = np.sort(np.asarray(item_probs, dtype=np.float64))[::-1]
        if probs.size == 0:
            return float("nan")
        q = float(probs[self.needed(probs.size) - 1])
        t = self.item_threshold
        return 0.5 * q / t if q < t else 0.5 + 0.5 * (q - t) / (1 - t)

    def decide(self, item_probs: Sequence[float] | np.ndarray) -> bool:
        """The rule itself: `share of items with p >= item_threshold >= min_share`."""
        probs = np.asarray(item_probs, dtype=np.float64)
        return bool(probs.size) and int((probs >= self.item_threshold).sum()) >= self.needed(probs.size)

    def counted(self, item_probs: Sequence[float] | np.ndarray) -> list[bool]:
        return [bool(p >= self.item_threshold) for p in item_probs]

    def to_dict(self) -> dict:
        return {"format": DECISION_FORMAT, **asdict(self)}

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / DECISION_FILE
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: str | Path) -> DecisionRule:
        """The rule saved in `directory/twin_decision.json`; the default rule when the folder has none."""
        path = Path(directory) / DECISION_FILE
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.pop("format", None) != DECISION_FORMAT:
            raise ValueError(f"{path}: unknown format, expected {DECISION_FORMAT!r}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def f1_score(predicted: Sequence[int], gold: Sequence[int]) -> float:
    tp = sum(1 for p, g in zip(predicted, gold, strict=True) if p and g)
    fp = sum(1 for p, g in zip(predicted, gold, strict=True) if p and not g)
    fn = sum(1 for p, g in zip(predicted, gold, strict=True) if g and not p)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def calibrate(
    item_probs: Sequence[np.ndarray],
    gold: Sequence[int],
    *,
    thresholds: Sequence[float] = ITEM_THRESHOLDS,
    shares: Sequence[float] = MIN_SHARES,
    split: str = "validation",
) -> DecisionRule:
    """The (item threshold, min share) of the grid with the best F1 on descriptions `item_probs` (one array of raw
    item probabilities per description) with labels `gold`; ties go to the share nearest the rubric's 1/3, then to
    the threshold nearest 0.5. The returned rule works on raw probabilities (`item_threshold` = the calibrated one).
    """
    if len(item_probs) != len(gold) or not gold:
        raise ValueError(f"calibrate needs one label per description, got {len(gold)} for {len(item_probs)}")
    sorted_desc = [np.sort(np.asarray(p, dtype=np.float64))[::-1] for p in item_probs]
    best: tuple | None = None
    for share in shares:
        kth = np.array([p[min(p.size, max(1, math.ceil(share * p.size - 1e-9))) - 1] for p in sorted_desc])
        for t in thresholds:
            f1 = f1_score((kth >= t).astype(int).tolist(), gold)
            key = (round(f1, 6), -abs(share - 1 / 3), -abs(t - 0.5))
            if best is None or key > best[0]:
                best = (key, t, share, f1)
    _, t, share, f1 = best
    return DecisionRule(
        item_threshold=float(t),
        min_share=float(share),
        calibrated_item_threshold=float(t),
        calibration={"split": split, "descriptions": len(gold), "f1": round(f1, 4)},
    )


def folded(rule: DecisionRule) -> DecisionRule:
    """The same rule once `logit(rule.item_threshold)` is subtracted from the head's intercept: threshold 0.5."""
    return DecisionRule(
        item_threshold=0.5,
        min_share=rule.min_share,
        calibrated_item_threshold=rule.item_threshold,
        calibration=rule.calibration,
    )
