"""Apply the classifiers to the trademark dataset: per-filing green/digital probabilities, and firm-level
twin-transition trajectories (share of green/digital filings per year) as extra dataset configs.

Input is the `filings` config of `dataset_builder.schema` (one row per firm and filing, with `goods_services`). The
classifiers read English: a filing whose `goods_services_lang` names another language is not scored (null
probabilities); filings without a firm (null `firm_id`) are scored but are in no firm trajectory.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
from datasets import Dataset, DatasetDict, Features, Value
from tqdm.auto import tqdm

from twin_transition.decision import DecisionRule
from twin_transition.inputs import filing_text
from twin_transition.items import description_language, split_items
from twin_transition.labels import LABELS

logger = logging.getLogger(__name__)

SCORES_CONFIG = "twin_scores"
TRAJECTORIES_CONFIG = "twin_trajectories"
REQUIRED_COLUMNS = ("firm_id", "application_number", "filing_date", "goods_services")
ITEM_SCORE = [{"item": Value("string"), "prob": Value("float32")}]
_LABELLED = "\x00lang:"  # prefix of the key of a text labelled as another language (see `score_filings`)

# Config `twin_scores`: one row per row of `filings`. `<label>_prob` is the description's score (>= 0.5: the
# calibrated rule says green/digital); `<label>_items` the items that counted for it (item probability >= the
# threshold), highest first. Null when a filing has no text or no English text (`unscored` says which).
SCORE_FEATURES = Features(
    {
        "firm_id": Value("string"),
        "application_number": Value("string"),
        "filing_date": Value("date32"),
        **{f"{label}_prob": Value("float32") for label in LABELS},
        **{f"{label}_items": ITEM_SCORE for label in LABELS},
        "n_items": Value("int32"),
        "unscored": Value("string"),  # null, "no goods/services text" or "not English: <reason>"
    }
)
# Config `twin_trajectories`: one row per firm and filing year.
TRAJECTORY_FEATURES = Features(
    {
        "firm_id": Value("string"),
        "year": Value("int16"),
        "n_filings": Value("int32"),  # filings that year (with or without text)
        "n_scored": Value("int32"),  # of which had English goods/services text to score
        **{f"n_{label}": Value("int32") for label in LABELS},  # scored filings with score >= threshold
        **{f"{label}_share": Value("float32") for label in LABELS},  # n_<label> / n_scored (null when none scored)
        **{f"mean_{label}_prob": Value("float32") for label in LABELS},
        "n_twin": Value("int32"),  # green and digital at once
        "twin_share": Value("float32"),
    }
)


class ItemModel(Protocol):
    """What scoring needs of a classifier (`head.TwinClassifier`): item probabilities and the decision rule."""

    decision: DecisionRule

    def item_proba(self, items: list[str], batch_size: int = 64) -> np.ndarray: ...


def score_filings(
    filings: Dataset,
    classifiers: Mapping[str, ItemModel],
    *,
    batch_size: int = 256,
    num_proc: int | None = None,
) -> Dataset:
    """Green/digital scores and the items behind them for every filing (`twin_scores` rows, in `filings` order).

    Every distinct item of the whole dataset is encoded once per classifier (items repeat across filings far more
    than whole descriptions do), in batches of `batch_size`.

    Args:
        filings: rows of the `filings` config (needs `firm_id`, `application_number`, `filing_date`,
            `goods_services`).
        classifiers: `{"green": clf, "digital": clf}` (e.g. `load_twin_classifier`).
        batch_size: items per `item_proba` call.
        num_proc: worker processes (`datasets.map(num_proc=...)`, each with its share of the CPU threads); None or
            1: in this process, with torch's threads on every core (faster on 2 cores, see `bench/twin_scoring.py`).
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in filings.column_names]
    if missing:
        raise ValueError(f"filings dataset lacks column(s) {missing}; expected the `filings` config of the dataset.")
    unknown = sorted(set(classifiers) - set(LABELS))
    if unknown or not classifiers:
        raise ValueError(f"classifiers must be keyed by {sorted(LABELS)}, got {sorted(classifiers)}")
    texts = [filing_text(text) for text in filings["goods_services"]]
    unscored: dict[str, str | None] = {}
    items_of: dict[str, list[str]] = {}
    if "goods_services_lang" in filings.column_names:  # text the registry labels as another language: not scored
        for i, codes in enumerate(filings["goods_services_lang"]):
            other = sorted({c for c in codes or [] if c not in (None, "en")})
            if texts[i] and other:
                texts[i] = _LABELLED + ",".join(other)  # a key no real text has; its row gets null scores
                unscored[texts[i]], items_of[texts[i]] = f"not English: labelled {texts[i][len(_LABELLED) :]}", []
    distinct = list(dict.fromkeys(texts))
    for text in distinct:
        if text.startswith(_LABELLED):
            continue
        reason = description_language(text) if text else None
        items = split_items(text) if text and not reason else []
        unscored[text] = (
            "no goods/services text" if not text or (not reason and not items) else reason and f"not English: {reason}"
        )
        items_of[text] = items
    n_unscored = sum(1 for text in texts if unscored[text])
    if n_unscored:
        logger.warning("%d of %d filings have no (English) goods/services text: null scores", n_unscored, len(texts))
    all_items = list(dict.fromkeys(item for text in distinct for item in items_of[text]))
    item_probs = score_texts(all_items, classifiers, batch_size=batch_size, num_proc=num_proc)
    position = {item: k for k, item in enumerate(all_items)}
    per_text: dict[str, dict] = {}
    for text in distinct:
        row: dict = {"n_items": len(items_of[text]) if not unscored[text] else None, "unscored": unscored[text]}
        for label in LABELS:
            row[f"{label}_prob"], row[f"{label}_items"] = None, None
            if label in classifiers and not unscored[text]:
                probs = item_probs[label][[position[item] for item in items_of[text]]]
                rule = classifiers[label].decision
                row[f"{label}_prob"] = float(rule.score(probs))
                counted = sorted(
                    (
                        (item, float(p))
                        for item, p in zip(items_of[text], probs, strict=True)
                        if p >= rule.item_threshold
                    ),
                    key=lambda pair: -pair[1],
                )
                row[f"{label}_items"] = [{"item": item, "prob": p} for item, p in counted]
        per_text[text] = row
    columns = {name: [per_text[text][name] for text in texts] for name in per_text[distinct[0]]} if distinct else {}
    return Dataset.from_dict(
        {
            "firm_id": list(filings["firm_id"]),
            "application_number": list(filings["application_number"]),
            "filing_date": list(filings["filing_date"]),
            **{name: columns.get(name, []) for name in list(SCORE_FEATURES)[3:]},
        },
        features=SCORE_FEATURES,
    )


def score_texts(
    texts: Sequence[str],
    classifiers: Mapping[str, ItemModel],
    *,
    batch_size: int = 256,
    num_proc: int | None = None,
) -> dict[str, np.ndarray]:
    """Each classifier's item probability for every text (item), `{label: float32 array}`, in `texts` order.

    With more than one process the texts are split into contiguous shards by `datasets.map(num_proc=...)` (its
    progress bar counts texts); the classifiers must then be on the CPU (a forked process cannot use a GPU its parent
    initialised): on GPUs, score in one process per GPU.
    """
    on_cpu = all(_device_type(clf) == "cpu" for clf in classifiers.values())
    # One process with torch's threads on every core by default: see README "Scaling out" for the measured 1 vs 2.
    workers = min(num_proc or 1, -(-len(texts) // batch_size))
    if workers > 1 and not on_cpu:
        logger.warning("Scoring in one process: the classifiers are on a GPU (num_proc=%d asked).", workers)
        workers = 1
    order = _length_order([len(text) for text in texts], workers)  # batches of like lengths pad less
    ordered = [texts[i] for i in order]
    if workers <= 1:
        probs = {
            label: np.concatenate(
                [
                    np.asarray(clf.item_proba(ordered[start : start + batch_size]), dtype=np.float32)
                    for start in tqdm(range(0, len(ordered), batch_size), desc=f"scoring {label}", unit="batch")
                ]
                or [np.empty(0, dtype=np.float32)]
            )
            for label, clf in classifiers.items()
        }
    else:
        probs = _score_in_processes(ordered, classifiers, batch_size, workers)
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.arange(len(order))
    return {label: values[inverse] for label, values in probs.items()}


def _length_order(lengths: Sequence[int], workers: int) -> list[int]:
    """Indices sorted by length, then dealt round-robin into `workers` contiguous shards (`datasets.map` splits
    contiguously), so every worker gets a like share of short and long texts and each batch texts of like length."""
    by_length = sorted(range(len(lengths)), key=lengths.__getitem__)
    return [i for worker in range(workers) for i in by_length[worker::workers]]


_INHERITED: dict[str, dict[str, ItemModel]] = {}  # classifiers for forked workers, by call (`_score_in_processes`)


def _score_in_processes(
    texts: list[str], classifiers: Mapping[str, ItemModel], batch_size: int, workers: int
) -> dict[str, np.ndarray]:
    """`datasets.map(num_proc=workers)` over `texts`. Forked workers inherit the classifiers (registered in
    `_INHERITED` for the call's duration) instead of unpickling ~90 MB per model from the parent."""
    import multiprocess

    inherit = multiprocess.get_start_method(allow_none=False) == "fork"
    key = f"{os.getpid()}-{id(classifiers)}"
    if inherit:
        _INHERITED[key] = dict(classifiers)
    try:
        scored = Dataset.from_dict({"text": texts}).map(
            _score_batch,
            batched=True,
            batch_size=batch_size,
            num_proc=workers,
            input_columns="text",
            remove_columns="text",
            fn_kwargs={
                "classifiers": key if inherit else dict(classifiers),
                "threads": max(1, (os.cpu_count() or 1) // workers),
                "parent": os.getpid(),
            },
            new_fingerprint=f"twin-scores-{key}-{len(texts)}",  # the models are not hashed: nothing is reused
            desc=f"scoring ({workers} processes)",
        )
    finally:
        _INHERITED.pop(key, None)
    return {label: np.asarray(scored[f"{label}_prob"], dtype=np.float32) for label in classifiers}


def _score_batch(texts: list[str], classifiers: Mapping[str, ItemModel] | str, threads: int, parent: int) -> dict:
    if os.getpid() != parent:  # a worker: its share of the cores
        import torch

        torch.set_num_threads(threads)
    models = _INHERITED[classifiers] if isinstance(classifiers, str) else classifiers
    return {f"{label}_prob": np.asarray(clf.item_proba(texts), dtype=np.float32) for label, clf in models.items()}


def _device_type(classifier: ItemModel) -> str:
    body = getattr(classifier, "body", None)
    return getattr(getattr(body, "device", None), "type", "cpu")


def firm_trajectories(scores: Dataset, *, threshold: float = 0.5) -> Dataset:
    """Per firm and filing year: filings, how many are green/digital/both (score >= `threshold`; 0.5 is the
    calibrated rule), shares."""
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    frame = scores.to_pandas()
    frame = frame[frame["firm_id"].notna()]  # filings without a firm are in no firm's trajectory
    if frame.empty:
        return Dataset.from_dict({name: [] for name in TRAJECTORY_FEATURES}, features=TRAJECTORY_FEATURES)
    frame["year"] = [date.year for date in frame["filing_date"]]
    scored = frame[[f"{label}_prob" for label in LABELS]].notna().all(axis=1)
    frame["scored"] = scored
    for label in LABELS:
        frame[f"is_{label}"] = scored & (frame[f"{label}_prob"] >= threshold)
    frame["is_twin"] = frame[[f"is_{label}" for label in LABELS]].all(axis=1)
    groups = frame.groupby(["firm_id", "year"], sort=True)
    out = groups.agg(
        n_filings=("scored", "size"),
        n_scored=("scored", "sum"),
        **{f"n_{label}": (f"is_{label}", "sum") for label in LABELS},
        **{f"mean_{label}_prob": (f"{label}_prob", "mean") for label in LABELS},
        n_twin=("is_twin", "sum"),
    ).reset_index()
    for name in [*(f"n_{label}" for label in LABELS), "n_twin"]:
        share = name[2:] + "_share"
        out[share] = (out[name] / out["n_scored"]).where(out["n_scored"] > 0)
    out = out[list(TRAJECTORY_FEATURES)]
    records = out.astype(object).where(out.notna(), None).to_dict(orient="list")
    return Dataset.from_dict(records, features=TRAJECTORY_FEATURES)


def publish_twin_configs(
    filings: DatasetDict,
    classifiers: Mapping[str, ItemModel],
    repo_id: str,
    *,
    threshold: float = 0.5,
    num_proc: int | None = None,
    commit_message: str = "Add TwinTransition scores and firm trajectories",
) -> dict[str, DatasetDict]:
    """Score every split of `filings` and push the `twin_scores` and `twin_trajectories` configs to `repo_id`.

    Uses `datasets.DatasetDict.push_to_hub(config_name=...)`, which adds each config to the dataset card's
    `configs` without touching the other configs. Returns the two pushed `DatasetDict`s. `num_proc`: as in
    `score_filings`.
    """
    scores = DatasetDict({split: score_filings(ds, classifiers, num_proc=num_proc) for split, ds in filings.items()})
    trajectories = DatasetDict({split: firm_trajectories(ds, threshold=threshold) for split, ds in scores.items()})
    scores.push_to_hub(repo_id, config_name=SCORES_CONFIG, commit_message=commit_message)
    trajectories.push_to_hub(repo_id, config_name=TRAJECTORIES_CONFIG, commit_message=commit_message)
    return {SCORES_CONFIG: scores, TRAJECTORIES_CONFIG: trajectories}
