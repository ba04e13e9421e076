"""Seeded synthetic trademark filings with a learnable relatedness structure and an exact next-filing oracle.

The generative story (vectorised over firms, one step per filing):

* Nice classes live in a latent space: each class embedding is the sum of the vectors of the sectors it belongs
  to (`nice.SECTORS`) plus noise, so related classes (software and SaaS, clothing and leather goods) are close.
* A firm has a latent state `z` (its sectors) that drifts toward the classes it files in.
* In each filing, class `c` is included independently with probability `sigmoid(logit_c)` (redrawn if empty),
  where `logit_c = bias + popularity_c + beta * <z, e_c> + gamma * recent_use_c + alpha * relatedness_c`:
  firms repeat recent classes, and diversify into classes related to the ones they already use.
* Firm sizes are heavy-tailed (log-normal, capped), dates are spread over decades, and 1-3 goods/services terms
  per class are official Nice indications (`nice.class_terms()`, WIPO NCL 12-2024): each firm prefers a few
  indications per class, drawn from a Zipf law over the class's indications, so terms are both common and
  firm-specific (learnable).
* Each firm has a stable applicant identifier (`owner_id`) besides its name, whose spelling varies between filings;
  `registry_files.py` writes the table as registry files (EUIPO XML, USPTO Case Files CSV).

Because inclusion is independent given the latent state, the probability of class `c` in a filing is exactly
`pi_c / (1 - prod_j (1 - pi_j))`. It is recorded for each firm's last filing (`oracle_last_filing_class_probs`):
an oracle that knows the firm's latent state, i.e. a ceiling for any model that only sees the history.

That ceiling is out of reach: the state takes a noise step after every filing, which no history reveals.
`generate(..., ceiling_draws=N)` also returns a tighter one (`SyntheticData.history_ceiling`): the class
probabilities when the state *before* that last noise step is known, averaged over N draws of the noise.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from dataset_builder.nice import POPULARITY_RANK, SECTORS, class_terms
from dataset_builder.schema import NUM_NICE_CLASSES
from nice_classification.official import class_texts

logger = logging.getLogger(__name__)

RAW_COLUMNS = ("application_number", "filing_date", "nice_classes", "owner", "goods_services")
# Goods/services terms: indications a firm prefers per class, the Zipf exponent of their popularity, the jitter of
# the popularity order (short, general indications first) and the share of terms drawn afresh from the class.
TERMS_PER_FIRM_CLASS = 6
TERM_ZIPF = 1.1
TERM_JITTER = 0.5
FRESH_TERM_RATE = 0.1

_NAME_HEADS = [
    "Nor", "Vel", "Kal", "Bri", "Sol", "Tar", "Mar", "Zen", "Lum", "Ori", "Cor", "Ast", "Ver", "Pol", "Dan", "Hel",
    "Fen", "Gal", "Ist", "Jor", "Kin", "Lor", "Mon", "Nex", "Opt", "Pra", "Qui", "Ros", "Sil", "Tri", "Ult", "Val",
    "Wes", "Xan", "Yor", "Alb", "Ber", "Cas", "Del", "Elm",
]  # fmt: skip
_NAME_TAILS = [
    "vex", "ora", "ium", "tek", "ara", "ino", "ell", "ano", "ix", "us", "en", "ia", "on", "ar", "is", "ley", "mont",
    "field", "stad", "berg", "wood", "haven", "gate", "ford", "wick", "dale", "ridge", "ton", "vik", "holm",
]  # fmt: skip
_NAME_WORDS = [
    "Robotics", "Foods", "Labs", "Fashion", "Systems", "Pharma", "Motors", "Brewing", "Media", "Capital", "Home",
    "Textiles", "Games", "Energy", "Design", "Digital", "Health", "Chemicals", "Tools", "Logistics", "Studios",
    "Cosmetics", "Outdoor", "Kitchen", "Audio", "Mobility", "Materials", "Software", "Dairy", "Wines",
]  # fmt: skip
_LEGAL_FORMS = ["Inc.", "Ltd", "GmbH", "A/S", "S.p.A.", "LLC", "S.A.", "B.V.", "AG", "Corp.", "Co., Ltd.", "plc", "Oy"]

_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class SyntheticConfig:
    """Knobs of the generator. The defaults give 4000 firms, ~60k filings, median 9 filings per firm."""

    n_firms: int = 4000
    seed: int = 0
    # Firm sizes: 2 + log-normal(median, sigma), capped
    median_filings: float = 10.0
    size_sigma: float = 1.1
    max_filings: int = 150
    # Dates
    first_year: int = 1975
    last_year: int = 2025
    # Latent structure
    latent_dim: int = 8
    bias: float = -8.0
    popularity_weight: float = 0.6
    beta: float = 7.0  # affinity to the firm's latent state
    gamma: float = 3.0  # repeat classes used recently
    alpha: float = 3.0  # diversify into related classes
    decay: float = 0.6  # of the recent-use memory per filing
    drift: float = 0.8  # weight of the old state when the firm moves toward its latest classes
    state_noise: float = 0.25

    def __post_init__(self) -> None:
        if self.n_firms < 1:
            raise ValueError(f"n_firms must be >= 1, got {self.n_firms}.")
        if not 2 <= self.max_filings <= 10_000:
            raise ValueError(f"max_filings must be in 2..10000, got {self.max_filings}.")
        if self.first_year >= self.last_year:
            raise ValueError(f"first_year ({self.first_year}) must be before last_year ({self.last_year}).")


@dataclass
class SyntheticData:
    """Raw filings (generic CSV columns, one row per filing) and the oracle of each firm's last filing."""

    raw: pa.Table  # RAW_COLUMNS and `owner_id` (the firm's applicant identifier), all strings, in firm order
    oracle: pa.Table  # application_number (of each firm's last filing), oracle_last_filing_class_probs
    class_embeddings: np.ndarray  # (45, latent_dim), row 0 = class 1
    relatedness: np.ndarray  # (45, 45) non-negative class relatedness used by the generator
    history_ceiling: np.ndarray | None = None  # rows of `oracle`: class probs knowing the state before the last step


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True).clip(1e-9)


def _class_space(rng: np.random.Generator, dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sector vectors (S, d), class embeddings (45, d) and the class relatedness matrix (45, 45)."""
    sectors = _unit(rng.normal(size=(len(SECTORS), dim)))
    emb = 0.35 * rng.normal(size=(NUM_NICE_CLASSES, dim))
    for s, (_, classes) in enumerate(SECTORS.values()):
        for rank, c in enumerate(classes):
            emb[c - 1] += sectors[s] * (1.0 if rank < 3 else 0.7)
    emb = _unit(emb)
    related = np.clip(emb @ emb.T, 0, None)
    np.fill_diagonal(related, 0)
    return sectors, emb, related


def _firm_names(rng: np.random.Generator, n: int) -> list[str]:
    """Distinct invented firm names (distinct after legal-form stripping too), each with a legal form."""
    n_head, n_tail, n_word = len(_NAME_HEADS), len(_NAME_TAILS), len(_NAME_WORDS)
    capacity = n_head * n_tail * n_word
    codes = rng.choice(capacity * max(1, -(-n // capacity)), size=n, replace=False)
    forms = rng.integers(len(_LEGAL_FORMS), size=n)
    names = []
    for code, form in zip(codes.tolist(), forms.tolist(), strict=True):
        rest, extra = code % capacity, code // capacity
        word = _NAME_WORDS[rest % n_word]
        stem = _NAME_HEADS[(rest // n_word) % n_head] + _NAME_TAILS[rest // (n_word * n_head)]
        names.append(f"{stem} {word}{f' {extra + 1}' if extra else ''} {_LEGAL_FORMS[form]}")
    return names


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _inclusion_probs(cfg, base, emb, related, z, recent) -> np.ndarray:
    """P(class c in the filing) for latent states `z` (..., d) and recent-use memory `recent` (..., 45)."""
    logits = base + cfg.beta * (z @ emb.T) + cfg.gamma * recent + cfg.alpha * np.tanh(recent @ related) * (1 - recent)
    return _sigmoid(logits)


def _given_nonempty(pi: np.ndarray) -> np.ndarray:
    return pi / (1.0 - np.prod(1.0 - pi, axis=-1, keepdims=True))


def _simulate(cfg: SyntheticConfig, rng: np.random.Generator, sizes: np.ndarray, ceiling_draws: int = 0):
    """Run the filing process; returns per-filing (firm, step, class indicator), the last-filing oracle and ceiling.

    The ceiling draws come from their own generator, so the filings do not depend on `ceiling_draws`.
    """
    _, emb, related = _class_space(rng, cfg.latent_dim)
    shares = np.array([share for share, _ in SECTORS.values()])
    sector_vecs = np.stack([emb[[c - 1 for c in classes]].mean(0) for _, classes in SECTORS.values()])
    n_firms = len(sizes)
    s1 = rng.choice(len(SECTORS), size=n_firms, p=shares / shares.sum())
    s2 = rng.choice(len(SECTORS), size=n_firms, p=shares / shares.sum())
    second = rng.random(n_firms) < 0.35
    z = _unit(
        sector_vecs[s1] + 0.6 * second[:, None] * sector_vecs[s2] + 0.3 * rng.normal(size=(n_firms, emb.shape[1]))
    )
    pop = np.empty(NUM_NICE_CLASSES)
    pop[np.array(POPULARITY_RANK) - 1] = np.linspace(0.0, -3.0, NUM_NICE_CLASSES)
    base = cfg.bias + cfg.popularity_weight * pop

    memory = np.zeros((n_firms, NUM_NICE_CLASSES))
    oracle = np.zeros((n_firms, NUM_NICE_CLASSES), dtype=np.float32)
    ceiling = np.zeros_like(oracle) if ceiling_draws else None
    pre_step = np.zeros_like(z)  # each firm's state before its latest noise step
    noise_rng = np.random.default_rng([cfg.seed, 1])
    firm_idx, step_idx, indicators = [], [], []
    for k in range(int(sizes.max())):
        active = np.flatnonzero(sizes > k)
        recent = np.minimum(memory[active], 1.0)
        pi = _inclusion_probs(cfg, base, emb, related, z[active], recent)
        x = rng.random(pi.shape) < pi
        for _ in range(100):  # condition on a non-empty filing
            empty = np.flatnonzero(~x.any(axis=1))
            if empty.size == 0:
                break
            x[empty] = rng.random((empty.size, NUM_NICE_CLASSES)) < pi[empty]
        empty = np.flatnonzero(~x.any(axis=1))
        x[empty, pi[empty].argmax(axis=1)] = True
        last = sizes[active] == k + 1
        oracle[active[last]] = _given_nonempty(pi[last])
        if ceiling is not None and k > 0 and last.any():
            noise = noise_rng.normal(size=(ceiling_draws, int(last.sum()), emb.shape[1]))
            z_draws = _unit(pre_step[active[last]] + cfg.state_noise * noise)
            draws = _inclusion_probs(cfg, base, emb, related, z_draws, recent[last])
            ceiling[active[last]] = _given_nonempty(draws).mean(axis=0)
        firm_idx.append(active)
        step_idx.append(np.full(active.size, k))
        indicators.append(x)
        memory[active] = cfg.decay * memory[active] + x
        centroid = (x @ emb) / x.sum(axis=1, keepdims=True)
        pre_step[active] = cfg.drift * z[active] + (1 - cfg.drift) * centroid
        z[active] = _unit(pre_step[active] + cfg.state_noise * rng.normal(size=z[active].shape))
    return (
        np.concatenate(firm_idx),
        np.concatenate(step_idx),
        np.concatenate(indicators),
        oracle,
        ceiling,
        emb,
        related,
    )


def _dates(cfg: SyntheticConfig, rng: np.random.Generator, firm: np.ndarray, step: np.ndarray, sizes: np.ndarray):
    """Filing dates (days since 1970) spread from each firm's start to the end of the period, increasing with step."""
    lo = (dt.date(cfg.first_year, 1, 1) - _EPOCH).days
    hi = (dt.date(cfg.last_year, 12, 31) - _EPOCH).days
    start = rng.integers(lo, hi - 365 * 6, size=len(sizes))
    u = rng.random(len(firm))
    by_u, by_step = np.lexsort((u, firm)), np.lexsort((step, firm))  # both firm-major: same firm at each position
    days = np.empty(len(firm), dtype=np.int64)
    first = start[firm[by_step]]
    days[by_step] = first + (u[by_u] * (hi - first)).astype(np.int64)
    return days


def _term_cdfs(rng: np.random.Generator) -> dict[int, tuple[tuple[str, ...], np.ndarray]]:
    """Per class: its terms in popularity order and the Zipf CDF over that order.

    Popular terms echo the official class heading and are short (general, as "clothing" or "advertising"): the
    score is the term's length over (1 + 2 x its words found in the heading), jittered.
    """
    cdfs = {}
    for c, terms in class_terms().items():
        heading = set(re.findall(r"[a-z]{4,}", class_texts()[c].heading.lower()))
        echo = np.array([len(set(re.findall(r"[a-z]{4,}", t.lower())) & heading) for t in terms], float)
        score = np.array([len(t) for t in terms], float) / (1 + 2 * echo)
        score *= np.exp(TERM_JITTER * rng.normal(size=len(terms)))
        ranked = tuple(terms[i] for i in np.argsort(score, kind="stable"))
        weights = 1.0 / np.arange(1, len(ranked) + 1) ** TERM_ZIPF
        cdfs[c] = (ranked, np.cumsum(weights) / weights.sum())
    return cdfs


def _zipf_draws(cdfs: dict, classes: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Indices (into each class's ranked terms) drawn by inverting the Zipf CDF of `classes` at uniforms `u`."""
    out = np.zeros(u.shape, np.int64)
    for c in np.unique(classes).tolist():
        rows = classes == c
        ranked, cdf = cdfs[c]
        out[rows] = np.minimum(np.searchsorted(cdf, u[rows]), len(ranked) - 1)
    return out


def _goods_services(seed: int, firm: np.ndarray, classes: list[list[int]]) -> list[str]:
    """English goods/services text per filing: 1-3 official Nice indications per class, in the firm's own style.

    Each (firm, class) has a preferred handful of indications, drawn from a Zipf law over the class's indications
    (so a few are common across firms); a filing mostly reuses the firm's first preferences, sometimes a fresh draw.
    Its own random stream: the filings' classes, dates and owners do not depend on it.
    """
    rng = np.random.default_rng([seed, 3])
    cdfs = _term_cdfs(rng)
    n_classes = np.array([len(c) for c in classes])
    pair_firm = np.repeat(firm, n_classes)
    pair_class = np.array([c for cls in classes for c in cls], np.int64)
    keys, pair_key = np.unique(pair_firm * 64 + pair_class, return_inverse=True)
    preferred = _zipf_draws(
        cdfs,
        np.repeat(keys % 64, TERMS_PER_FIRM_CLASS).reshape(-1, TERMS_PER_FIRM_CLASS),
        rng.random((len(keys), TERMS_PER_FIRM_CLASS)),
    )
    n_pairs = len(pair_class)
    picks = preferred[pair_key[:, None], (rng.geometric(0.45, size=(n_pairs, 3)) - 1) % TERMS_PER_FIRM_CLASS]
    fresh = rng.random((n_pairs, 3)) < FRESH_TERM_RATE
    picks[fresh] = _zipf_draws(cdfs, np.repeat(pair_class[:, None], 3, axis=1)[fresh], rng.random(int(fresh.sum())))
    n_terms = (1 + rng.binomial(2, 0.35, size=n_pairs)).tolist()
    texts, pair, picks = [], 0, picks.tolist()
    for cls in classes:
        parts = []
        for c in cls:
            ranked = cdfs[c][0]
            chosen = dict.fromkeys(ranked[i] for i in picks[pair][: n_terms[pair]])
            parts.append(f"Class {c}: " + "; ".join(t[0].upper() + t[1:] for t in chosen))
            pair += 1
        texts.append("; ".join(parts))
    return texts


def _applicant_ids(seed: int, n_firms: int) -> np.ndarray:
    """A distinct, stable numeric applicant identifier per firm (as EUIPO knows its applicants), 7+ digits."""
    space = max(9_000_000, 10 * n_firms)
    return np.random.default_rng([seed, 2]).choice(space, size=n_firms, replace=False) + 1_000_000


def generate(config: SyntheticConfig | None = None, *, ceiling_draws: int = 0) -> SyntheticData:
    """Generate synthetic raw filings (as the generic CSV source would read them) and the oracle.

    With `ceiling_draws` > 0 it also estimates `history_ceiling` (see the module docstring) with that many draws.

    Example:
        >>> data = generate(SyntheticConfig(n_firms=100, seed=1))
        >>> data.raw.column_names
        ['application_number', 'filing_date', 'nice_classes', 'owner', 'goods_services', 'owner_id']
    """
    cfg = config or SyntheticConfig()
    rng = np.random.default_rng(cfg.seed)
    sizes = 2 + np.floor(rng.lognormal(np.log(max(cfg.median_filings - 2, 0.5)), cfg.size_sigma, cfg.n_firms))
    sizes = np.minimum(sizes, cfg.max_filings).astype(np.int64)
    firm, step, x, oracle, ceiling, emb, related = _simulate(cfg, rng, sizes, ceiling_draws)
    days = _dates(cfg, rng, firm, step, sizes)

    # Chronological application numbers: ties on a day broken by firm then step, so per-firm order is kept.
    order = np.lexsort((step, firm, days))
    number = np.empty(len(firm), dtype=np.int64)
    number[order] = np.arange(len(firm))
    names = _firm_names(rng, cfg.n_firms)
    variant = rng.random(len(firm))
    classes = [(np.flatnonzero(row) + 1).tolist() for row in x]
    gs_texts = _goods_services(cfg.seed, firm, classes)
    applicant_ids = _applicant_ids(cfg.seed, cfg.n_firms)

    # Output rows grouped by firm, chronological within a firm.
    rows = np.lexsort((step, firm))
    dates = (np.datetime64("1970-01-01") + days.astype("timedelta64[D]")).astype(str)
    owners = []
    for i in rows.tolist():
        name = names[firm[i]]
        if variant[i] < 0.08:
            name = name.upper()
        elif variant[i] < 0.14:
            name = name.rsplit(" ", 1)[0] if not name.endswith("Co., Ltd.") else name[: -len(" Co., Ltd.")]
        owners.append(name)
    app_numbers = np.char.mod("%09d", 10_000_000 + number)
    raw = pa.table(
        {
            "application_number": pa.array(app_numbers[rows].tolist(), pa.string()),
            "filing_date": pa.array(dates[rows].tolist(), pa.string()),
            "nice_classes": pa.array([";".join(map(str, classes[i])) for i in rows.tolist()], pa.string()),
            "owner": pa.array(owners, pa.string()),
            "goods_services": pa.array([gs_texts[i] for i in rows.tolist()], pa.string()),
            "owner_id": pa.array(np.char.mod("%d", applicant_ids[firm[rows]]).tolist(), pa.string()),
        }
    )
    last = sizes[firm] == step + 1
    last_rows = np.flatnonzero(last)
    oracle_table = pa.table(
        {
            "application_number": pa.array(app_numbers[last_rows].tolist(), pa.string()),
            "oracle_last_filing_class_probs": pa.array(
                [oracle[f].tolist() for f in firm[last_rows].tolist()], pa.list_(pa.float32())
            ),
        }
    )
    logger.info("Generated %d synthetic filings for %d firms (seed %d)", raw.num_rows, cfg.n_firms, cfg.seed)
    history_ceiling = ceiling[firm[last_rows]] if ceiling is not None else None
    return SyntheticData(raw, oracle_table, emb, related, history_ceiling)
