"""Next-filing baselines: global popularity, the firm's own history, relatedness density.

All work on 0/1 incidence matrices `M` (firms x labels), labels being Nice classes or items.
"""

from __future__ import annotations

import numpy as np


def popularity(filing_labels: np.ndarray) -> np.ndarray:
    """Share of filings (rows of a filings x labels 0/1 matrix) that contain each label."""
    filing_labels = np.asarray(filing_labels, dtype=np.float64)
    return filing_labels.mean(axis=0) if len(filing_labels) else np.zeros(filing_labels.shape[1])


def history(history_counts: np.ndarray, n_filings: np.ndarray) -> np.ndarray:
    """Share of the firm's past filings that contain each label (firms x labels)."""
    counts = np.asarray(history_counts, dtype=np.float64)
    return counts / np.maximum(np.asarray(n_filings, dtype=np.float64), 1)[:, None]


def proximity(incidence: np.ndarray) -> np.ndarray:
    """Proximity phi_ij = min(P(i|j), P(j|i)) from label co-occurrence across firms (diagonal 0).

    `incidence` is firms x labels, 1 when the firm ever filed the label. P(i|j) = #firms with i and j / #firms with j
    (0 when no firm has j).
    """
    m = (np.asarray(incidence) > 0).astype(np.float64)
    both = m.T @ m
    per_label = np.diag(both).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        p_i_given_j = np.where(per_label[None, :] > 0, both / per_label[None, :], 0.0)
    phi = np.minimum(p_i_given_j, p_i_given_j.T)
    np.fill_diagonal(phi, 0.0)
    return phi


def density(incidence: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Relatedness density w_fj = sum_i M_fi phi_ij / sum_i phi_ij (0 when label j is related to nothing)."""
    m = (np.asarray(incidence) > 0).astype(np.float64)
    total = phi.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total[None, :] > 0, (m @ phi) / total[None, :], 0.0)


def with_tiebreak(scores: np.ndarray, prior: np.ndarray, weight: float = 1e-9) -> np.ndarray:
    """Break ties in `scores` by a prior (e.g. popularity) (changes no order between scores more than 1e-9 apart)."""
    return np.asarray(scores, dtype=np.float64) + weight * np.asarray(prior, dtype=np.float64)[None, :]
