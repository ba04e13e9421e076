"""A small synthetic `sequences` dataset with learnable structure and an exact oracle (tests and benchmarks).

Each firm belongs to a hidden sector; each filing contains class c independently with probability q_s(c) (drawn
again if empty), and 1-2 terms per class from that class's term list. Given a firm's history, the posterior over
sectors is exact, so `oracle_last_filing_class_probs` is the true P(class in last filing | earlier filings). The
release uses `dataset_builder.synthetic`; this one only needs to be small, fast and self-contained.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from datasets import Dataset, DatasetDict

from dataset_builder.schema import NUM_NICE_CLASSES, SEQUENCES_FEATURES


def _sector_probs(rng: np.random.Generator, n_sectors: int) -> np.ndarray:
    q = np.full((n_sectors, NUM_NICE_CLASSES), 0.005)
    for s in range(n_sectors):
        core = rng.choice(NUM_NICE_CLASSES, size=4, replace=False)
        q[s, core] = rng.uniform(0.25, 0.7, size=4)
    return q


def make_toy_sequences(
    n_firms: int = 60, mean_filings: float = 6.0, *, n_sectors: int = 6, seed: int = 0
) -> DatasetDict:
    """A `sequences` DatasetDict (80/10/10 split by firm) of `n_firms` synthetic firms."""
    rng = np.random.default_rng(seed)
    q = _sector_probs(rng, n_sectors)
    p_nonempty = 1 - np.prod(1 - q, axis=1)
    log_q, log_not_q = np.log(q), np.log1p(-q)
    terms = [[f"product {c} variant {j}" for j in range(5)] for c in range(1, NUM_NICE_CLASSES + 1)]
    rows = []
    for f in range(n_firms):
        sector = rng.integers(n_sectors)
        n = max(2, int(rng.poisson(mean_filings)))
        date = dt.date(2000, 1, 1) + dt.timedelta(days=int(rng.integers(0, 6000)))
        filings, log_post = [], np.full(n_sectors, -np.log(n_sectors))
        for k in range(n):
            while not (x := rng.random(NUM_NICE_CLASSES) < q[sector]).any():
                pass
            if k == n - 1:
                post = np.exp(log_post - log_post.max())
                post /= post.sum()
                oracle = (post[:, None] * q / p_nonempty[:, None]).sum(axis=0)
            log_post += (np.where(x, log_q, log_not_q)).sum(axis=1) - np.log(p_nonempty)
            classes = [int(c) + 1 for c in np.flatnonzero(x)]
            chosen = [
                t for c in classes for t in rng.choice(terms[c - 1], size=int(rng.integers(1, 3)), replace=False)
            ]
            filings.append(
                {
                    "application_number": f"T{f:05d}{k:03d}",
                    "filing_date": date,
                    "nice_classes": classes,
                    "terms": [str(t) for t in chosen],
                    "goods_services": "; ".join(f"Class {c}: " + ", ".join(terms[c - 1][:2]) for c in classes),
                    "goods_services_lang": ["en"] * len(classes),
                }
            )
            date += dt.timedelta(days=int(rng.exponential(200)))
        rows.append(
            {
                "firm_id": f"toy-{f:05d}",
                "firm_name": f"Toy Firm {f}",
                "n_filings": n,
                "filings": filings,
                "oracle_last_filing_class_probs": oracle.astype(np.float32).tolist(),
            }
        )
    data = Dataset.from_list(rows, features=SEQUENCES_FEATURES)
    n_val = n_test = max(1, n_firms // 10)
    n_train = n_firms - n_val - n_test
    return DatasetDict(
        train=data.select(range(n_train)),
        validation=data.select(range(n_train, n_train + n_val)),
        test=data.select(range(n_train + n_val, n_firms)),
    )
