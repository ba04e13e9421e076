"""Next-filing ranking metrics and baselines against values worked out by hand."""

from __future__ import annotations

from pathlib import Path

import evaluate
import numpy as np
import pytest

from marketbert import baselines
from marketbert.metrics.next_filing.next_filing import ranking_metrics

METRIC_DIR = Path(__file__).resolve().parents[1] / "marketbert" / "metrics" / "next_filing"

# Firm 1 ranks labels 0, 2, 3, 1 and its true labels are {1, 2}: hits at ranks 2 and 4.
# Firm 2 ranks labels 1, 3, 2, 0 and its true label is {0}: hit at rank 4.
SCORES = [[0.9, 0.1, 0.5, 0.3], [0.2, 0.8, 0.4, 0.6]]
TRUTH = [[0, 1, 1, 0], [1, 0, 0, 0]]


def test_ranking_metrics_by_hand():
    m = ranking_metrics(np.array(SCORES), np.array(TRUTH), ks=(1, 3, 5))
    # recall@3: firm 1 finds 1 of 2, firm 2 finds 0 of 1 -> (0.5 + 0) / 2
    assert m["recall@1"] == 0.0 and m["acc@1"] == 0.0
    assert m["recall@3"] == pytest.approx(0.25)
    assert m["acc@3"] == pytest.approx(0.5)
    assert m["recall@5"] == pytest.approx(1.0) and m["acc@5"] == pytest.approx(1.0)
    # MRR: (1/2 + 1/4) / 2; AP: firm 1 mean(1/2, 2/4) = 1/2, firm 2 = 1/4 -> 3/8
    assert m["mrr"] == pytest.approx(0.375)
    assert m["auc_pr"] == pytest.approx(0.375)
    assert m["n"] == 2


def test_ranking_metrics_restricted_to_candidates():
    # Firm 1 may only rank labels 0, 1, 3 (label 2 is already known): order 0, 3, 1 -> its new true label at rank 3.
    # Firm 2's only true label (0) is not a candidate: the firm is skipped.
    m = ranking_metrics(np.array(SCORES), np.array(TRUTH), np.array([[1, 1, 0, 1], [0, 1, 1, 1]]), ks=(1, 3))
    assert m["n"] == 1
    assert m["recall@1"] == 0.0 and m["recall@3"] == 1.0
    assert m["mrr"] == pytest.approx(1 / 3) and m["auc_pr"] == pytest.approx(1 / 3)


def test_ties_are_broken_by_label_index():
    m = ranking_metrics(np.array([[0.5, 0.5, 0.5]]), np.array([[0, 0, 1]]), ks=(1,))
    assert m["mrr"] == pytest.approx(1 / 3)


def test_no_firm_in_scope_gives_nan():
    m = ranking_metrics(np.array([[0.1, 0.2]]), np.array([[0, 0]]), ks=(1,))
    assert m["n"] == 0 and np.isnan(m["mrr"])


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match="same shape"):
        ranking_metrics(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="k must be >= 1"):
        ranking_metrics(np.zeros((1, 3)), np.ones((1, 3)), ks=(0,))


def test_evaluate_module_loads_by_path_and_agrees():
    metric = evaluate.load(str(METRIC_DIR))
    result = metric.compute(predictions=SCORES, references=TRUTH, ks=[1, 3, 5])
    assert result == pytest.approx(ranking_metrics(np.array(SCORES), np.array(TRUTH), ks=(1, 3, 5)))


# Three train firms over three classes: A = {0, 1}, B = {0, 1, 2}, C = {0}.
INCIDENCE = np.array([[1, 1, 0], [1, 1, 1], [1, 0, 0]])
# #firms with class: 3, 2, 1; with both: (0,1) 2, (0,2) 1, (1,2) 1.
# phi_01 = min(2/2, 2/3) = 2/3; phi_02 = min(1/1, 1/3) = 1/3; phi_12 = min(1/1, 1/2) = 1/2.
PHI = np.array([[0, 2 / 3, 1 / 3], [2 / 3, 0, 1 / 2], [1 / 3, 1 / 2, 0]])


def test_proximity_by_hand():
    np.testing.assert_allclose(baselines.proximity(INCIDENCE), PHI)


def test_density_by_hand():
    # column sums of phi: 1, 7/6, 5/6
    # firm with {1}: (2/3)/1, 0/(7/6), (1/2)/(5/6); firm with {0, 2}: (1/3)/1, (2/3 + 1/2)/(7/6), (1/3)/(5/6)
    omega = baselines.density(np.array([[0, 1, 0], [1, 0, 1]]), PHI)
    np.testing.assert_allclose(omega, [[2 / 3, 0, 3 / 5], [1 / 3, 1, 2 / 5]])


def test_density_of_an_unrelated_class_is_zero():
    phi = baselines.proximity(np.array([[1, 0], [0, 1]]))  # never together
    np.testing.assert_allclose(baselines.density(np.array([[1, 0]]), phi), [[0, 0]])


def test_popularity_history_and_tiebreak():
    filings = np.array([[1, 0, 1], [1, 1, 0], [0, 0, 1], [1, 0, 0]])
    np.testing.assert_allclose(baselines.popularity(filings), [3 / 4, 1 / 4, 2 / 4])
    np.testing.assert_allclose(baselines.history(np.array([[2, 0, 1]]), np.array([4])), [[0.5, 0, 0.25]])
    broken = baselines.with_tiebreak(np.array([[0.0, 0.0, 1.0]]), np.array([0.1, 0.9, 0.0]))
    assert list(np.argsort(-broken[0])) == [2, 1, 0]
