"""Next-filing ranking metrics: Recall@k, Acc@k, MRR and AUC-PR (mean average precision) over ranked labels.

Usable three ways: `evaluate.load("path/to/next_filing")`, `evaluate.load("ORG/next_filing")` once published, or
`from marketbert.metrics.next_filing.next_filing import ranking_metrics`.
"""

from __future__ import annotations

import datasets
import evaluate
import numpy as np

_DESCRIPTION = """
Each example is one firm: `predictions` are scores for every label (e.g. the 45 Nice classes), `references` a 0/1
vector of the labels present in the firm's next filing, and optional `candidates` a 0/1 vector of the labels that
may be ranked (e.g. only classes new to the firm). Labels are ranked by score, descending; ties are broken by label
index (stable), so a method cannot gain from ties. Firms with no positive label among their candidates are skipped.

Per firm, with T the true labels among the candidates and top_k the k best-ranked candidates:
- recall@k = |top_k ∩ T| / |T|
- acc@k = 1 if top_k ∩ T is non-empty (Market2Vec's Acc@k, a hit rate)
- mrr = 1 / rank of the best-ranked true label
- auc_pr = average precision = mean over t in T of precision at the rank of t (area under the firm's PR curve)
Every metric is averaged over firms; `n` is the number of firms counted.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (list[list[float]]): scores, one row per firm, one column per label.
    references (list[list[int]]): 0/1 labels of the next filing, same shape.
    candidates (list[list[int]], optional): 0/1 mask of the labels to rank; default all.
    ks (list[int], optional): cut-offs, default [1, 3, 5, 10].
Returns:
    dict: `recall@k`, `acc@k` for each k, `mrr`, `auc_pr`, `n`.
Examples:
    >>> metric = evaluate.load("marketbert/metrics/next_filing")
    >>> metric.compute(predictions=[[0.1, 0.7, 0.2]], references=[[0, 0, 1]], ks=[1, 2])
    {'recall@1': 0.0, 'acc@1': 0.0, 'recall@2': 1.0, 'acc@2': 1.0, 'mrr': 0.5, 'auc_pr': 0.5, 'n': 1}
"""

DEFAULT_KS = (1, 3, 5, 10)


def ranking_metrics(
    scores: np.ndarray,
    targets: np.ndarray,
    candidates: np.ndarray | None = None,
    ks: tuple[int, ...] | list[int] = DEFAULT_KS,
) -> dict[str, float]:
    """Compute the ranking metrics (see the module description) for a `(firms, labels)` score matrix."""
    scores = np.asarray(scores, dtype=np.float64)
    targets = np.asarray(targets) > 0
    if scores.ndim != 2 or scores.shape != targets.shape:
        raise ValueError(
            f"predictions and references must be 2-D with the same shape, got {scores.shape} and {targets.shape}."
        )
    cand = np.ones_like(targets) if candidates is None else np.asarray(candidates) > 0
    if cand.shape != targets.shape:
        raise ValueError(f"candidates must have the shape of references {targets.shape}, got {cand.shape}.")
    if any(int(k) < 1 for k in ks):
        raise ValueError(f"Every k must be >= 1, got {list(ks)}.")
    totals = {f"{name}@{k}": 0.0 for k in ks for name in ("recall", "acc")} | {"mrr": 0.0, "auc_pr": 0.0}
    n = 0
    for row_scores, row_true, row_cand in zip(scores, targets, cand, strict=True):
        true = row_true & row_cand
        if not true.any():
            continue
        n += 1
        labels = np.flatnonzero(row_cand)
        ranked = labels[np.argsort(-row_scores[labels], kind="stable")]
        hits = true[ranked]  # hit at each rank (1-based rank = position + 1)
        n_true = hits.sum()
        for k in ks:
            found = hits[:k].sum()
            totals[f"recall@{k}"] += float(found / n_true)
            totals[f"acc@{k}"] += float(found > 0)
        ranks = np.flatnonzero(hits) + 1
        totals["mrr"] += float(1.0 / ranks[0])
        totals["auc_pr"] += float(np.mean(np.arange(1, len(ranks) + 1) / ranks))
    result = {key: (float(value / n) if n else float("nan")) for key, value in totals.items()}
    ordered = {f"{name}@{k}": result[f"{name}@{k}"] for k in ks for name in ("recall", "acc")}
    return {**ordered, "mrr": result["mrr"], "auc_pr": result["auc_pr"], "n": n}


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class NextFiling(evaluate.Metric):
    """Ranking metrics for next-filing prediction (classes or items)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("float32")),
                    "references": datasets.Sequence(datasets.Value("int32")),
                }
            ),
        )

    def _compute(self, predictions, references, candidates=None, ks=DEFAULT_KS):
        return ranking_metrics(np.asarray(predictions), np.asarray(references), candidates, tuple(ks))
