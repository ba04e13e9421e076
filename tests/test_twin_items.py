"""Items of a description, the "substantially" rule, its calibration and `twin_decision.json` (pure functions)."""

from __future__ import annotations

import numpy as np
import pytest

from twin_transition.decision import DECISION_FILE, DecisionRule, calibrate, folded, logit
from twin_transition.items import description_language, split_items


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("Class 9: Solar panels; wind turbines.", ["Solar panels", "wind turbines"]),
        ("Class 9: Solar panels; Class 42: software design", ["Solar panels", "software design"]),
        ("ovens, other than for laboratory use, kettles, non-electric",
         ["ovens, other than for laboratory use", "kettles, non-electric"]),
        ("leather care, cleaning and repair, computer software",
         ["leather care, cleaning and repair", "computer software"]),
        ("clothing; clothing; CLOTHING.", ["clothing"]),
        ("software as a service [SaaS]; (Class 42: cloud computing; hosting.)",
         ["software as a service [SaaS]", "cloud computing", "hosting"]),
        ("[solar panels, wind turbines]", ["solar panels", "wind turbines"]),
        ("   ;  ; 42 ;", []),
    ],
)  # fmt: skip
def test_split_items(text, items):
    assert split_items(text) == items


def test_description_language():
    assert description_language("solar panels; wind turbines") is None
    assert "non-English" in description_language("Sonnenkollektoren für die Erzeugung von Strom und Wärme")


def test_rule_score_agrees_with_decision():
    rule = DecisionRule(min_share=1 / 3)
    assert [rule.needed(n) for n in (1, 2, 3, 4, 6, 7)] == [1, 1, 1, 2, 2, 3]
    rng = np.random.default_rng(0)
    for n in range(1, 30):
        probs = rng.random(n)
        assert (rule.score(probs) >= 0.5) == rule.decide(probs)
    assert rule.decide([0.9, 0.1, 0.1, 0.1, 0.1, 0.1]) is False  # one item in six
    assert rule.decide([0.9, 0.6, 0.1, 0.1, 0.1, 0.1]) is True  # a third
    off_centre = DecisionRule(item_threshold=0.8, min_share=0.5)
    assert off_centre.score([0.8, 0.1]) == pytest.approx(0.5) and off_centre.decide([0.8, 0.1])
    with pytest.raises(ValueError, match=r"DecisionRule.min_share must be in \(0, 1\], got 0"):
        DecisionRule(min_share=0)


def test_calibrate_finds_the_separating_rule_and_folds_it(tmp_path):
    # Positives: two of three items high; negatives: one of five (a green item among others).
    descriptions = [np.array([0.7, 0.75, 0.1])] * 5 + [np.array([0.72, 0.1, 0.1, 0.1, 0.1])] * 5
    gold = [1] * 5 + [0] * 5
    rule = calibrate(descriptions, gold)
    assert rule.calibration == {"split": "validation", "descriptions": 10, "f1": 1.0}
    assert all(rule.decide(p) == bool(g) for p, g in zip(descriptions, gold, strict=True))
    final = folded(rule)
    assert final.item_threshold == 0.5 and final.calibrated_item_threshold == rule.item_threshold
    shifted = [1 / (1 + np.exp(-(logit(min(max(p, 1e-6), 1 - 1e-6)) - logit(rule.item_threshold)))) for p in (0.7,)]
    assert (shifted[0] >= 0.5) == (0.7 >= rule.item_threshold)
    final.save(tmp_path)
    assert (tmp_path / DECISION_FILE).is_file() and DecisionRule.load(tmp_path) == final
    assert DecisionRule.load(tmp_path / "missing") == DecisionRule()
