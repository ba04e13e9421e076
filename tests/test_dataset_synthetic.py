"""The synthetic generator: seeded, realistic shape, learnable structure, exact oracle."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from dataset_builder.nice import class_terms
from dataset_builder.synthetic import RAW_COLUMNS, SyntheticConfig, generate


@pytest.fixture(scope="module")
def data():
    return generate(SyntheticConfig(n_firms=800, seed=1))


def _firms(data) -> dict[str, list[tuple[str, str, list[int], str]]]:
    raw = data.raw.to_pydict()
    firms = defaultdict(list)
    for a, d, c, o, g in zip(*(raw[k] for k in RAW_COLUMNS), strict=True):
        firms[" ".join(o.lower().split()[:2])].append((a, d, [int(x) for x in c.split(";")], g))
    return firms


def test_seeded_and_deterministic(data):
    again = generate(SyntheticConfig(n_firms=800, seed=1))
    assert again.raw.equals(data.raw) and again.oracle.equals(data.oracle)
    other = generate(SyntheticConfig(n_firms=800, seed=2))
    assert not other.raw.equals(data.raw)


def test_shape_is_realistic(data):
    firms = _firms(data)
    assert len(firms) == 800
    sizes = np.array([len(f) for f in firms.values()])
    assert sizes.min() >= 2 and sizes.max() <= 150
    assert 6 <= np.median(sizes) <= 12 and sizes.max() >= 5 * np.median(sizes)  # heavy tail
    years = {int(d[:4]) for f in firms.values() for _, d, _, _ in f}
    assert min(years) < 1985 and max(years) > 2015  # decades
    for filings in firms.values():  # chronological, ties broken by application number
        keys = [(d, a) for a, d, _, _ in filings]
        assert keys == sorted(keys)
    n_classes = [len(c) for f in firms.values() for _, _, c, _ in f]
    assert 1.2 < np.mean(n_classes) < 2.5 and max(n_classes) <= 45
    assert len({c for f in firms.values() for _, _, cs, _ in f for c in cs}) == 45


def test_goods_services_use_each_class_terms(data):
    raw = data.raw.slice(0, 200).to_pylist()
    for row in raw:
        classes = [int(c) for c in row["nice_classes"].split(";")]
        parts = row["goods_services"].split("; Class ")
        assert [int(p.removeprefix("Class ").split(":")[0]) for p in parts] == classes
        for c, part in zip(classes, parts, strict=True):
            terms = [t.lower() for t in part.split(": ", 1)[1].split("; ")]
            assert terms and set(terms) <= {t.lower() for t in class_terms()[c]}
    assert all("," not in t and ";" not in t and ":" not in t for terms in class_terms().values() for t in terms)


def test_oracle_is_a_distribution_over_inclusion(data):
    probs = np.array(data.oracle["oracle_last_filing_class_probs"].to_pylist())
    assert probs.shape == (800, 45)
    assert ((probs > 0) & (probs <= 1)).all()
    assert (probs.sum(axis=1) >= 1 - 1e-5).all()  # expected number of classes in a non-empty filing
    last = {f[-1][0] for f in _firms(data).values()}
    assert set(data.oracle["application_number"].to_pylist()) == last


def _recall_at(scores: np.ndarray, truth: set[int], k: int = 5) -> float:
    top = np.argsort(-scores, kind="stable")[:k] + 1
    return len(set(top.tolist()) & truth) / len(truth)


def test_structure_is_learnable(data):
    """History beats popularity, relatedness predicts new classes, and the oracle leaves room above both."""
    firms = _firms(data)
    keys = sorted(firms)
    train, test = keys[: len(keys) // 2], keys[len(keys) // 2 :]
    used = np.array([np.isin(np.arange(1, 46), [c for _, _, cs, _ in firms[k] for c in cs]) for k in train], float)
    pop = used.sum(0)
    co = used.T @ used
    cond = co / np.maximum(np.diag(co)[None, :], 1)
    phi = np.minimum(cond, cond.T)
    np.fill_diagonal(phi, 0)
    oracle = dict(
        zip(
            data.oracle["application_number"].to_pylist(),
            data.oracle["oracle_last_filing_class_probs"].to_pylist(),
            strict=True,
        )
    )
    res = defaultdict(list)
    for key in test:
        *hist, (app, _, last, _) = firms[key]
        seen, recent = np.zeros(45), np.zeros(45)
        for _, _, cs, _ in hist:
            recent *= 0.6
            seen[np.array(cs) - 1] = 1
            recent[np.array(cs) - 1] += 1
        scores = {
            "popularity": pop,
            "history": recent + 1e-6 * pop,
            "density": (seen @ phi) / phi.sum(0) + 1e-6 * pop,
            "oracle": np.array(oracle[app]),
        }
        truth, new = set(last), set(last) - set((np.flatnonzero(seen) + 1).tolist())
        for name, s in scores.items():
            res[name].append(_recall_at(s, truth))
            if new:
                res[f"{name}_new"].append(_recall_at(np.where(seen > 0, -np.inf, s), new))
    r = {k: float(np.mean(v)) for k, v in res.items()}
    assert r["history"] > r["popularity"] + 0.2
    assert r["oracle"] > r["history"] + 0.15
    assert r["density_new"] > r["popularity_new"] + 0.1
    assert r["oracle_new"] > r["density_new"] + 0.2


def test_bad_config():
    with pytest.raises(ValueError, match="n_firms"):
        SyntheticConfig(n_firms=0)
    with pytest.raises(ValueError, match="first_year"):
        SyntheticConfig(first_year=2030)


def test_history_ceiling_hides_only_the_last_noise_step():
    config = SyntheticConfig(n_firms=300, seed=3)
    plain, with_ceiling = generate(config), generate(config, ceiling_draws=50)
    assert plain.history_ceiling is None
    assert with_ceiling.raw.equals(plain.raw) and with_ceiling.oracle.equals(plain.oracle)  # same filings
    oracle = np.array(plain.oracle["oracle_last_filing_class_probs"].to_pylist())
    ceiling = with_ceiling.history_ceiling
    assert ceiling.shape == oracle.shape and (ceiling > 0).all() and (ceiling <= 1).all()
    assert not np.allclose(ceiling, oracle, atol=1e-3)  # averaging over the unseen noise step changes the odds
    # with no state noise, knowing the state before the last step is knowing the state: the ceiling is the oracle
    noiseless = SyntheticConfig(n_firms=300, seed=3, state_noise=0.0)
    exact = generate(noiseless, ceiling_draws=5)
    np.testing.assert_allclose(
        exact.history_ceiling, np.array(exact.oracle["oracle_last_filing_class_probs"].to_pylist()), rtol=1e-5
    )
