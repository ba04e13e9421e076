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

from twin_transition.inputs import filing_text
from twin_transition.labels import LABELS

logger = logging.getLogger(__name__)

SCORES_CONFIG = "twin_scores"
TRAJECTORIES_CONFIG = "twin_trajectories"
REQUIRED_COLUMNS = ("firm_id", "application_number", "filing_date", "goods_services")

# Config `twin_scores`: one row per row of `filings`; probabilities are null when a filing has no English text (none,
# or text in another language).
SCORE_FEATURES = Features(
    {
        "firm_id": Value("string"),
        "application_number": Value("string"),
        "filing_date": Value("date32"),
        **{f"{label}_prob": Value("float32") for label in LABELS},
    }
)
# Config `twin_trajectories`: one row per firm and filing year.
TRAJECTORY_FEATURES = Features(
    {
        "firm_id": Value("string"),
        "year": Value("int16"),
        "n_filings": Value("int32"),  # filings that year (with or without text)
        "n_scored": Value("int32"),  # of which had goods/services text to score
        **{f"n_{label}": Value("int32") for label in LABELS},  # scored filings with probability >= threshold
        **{f"{label}_share": Value("float32") for label in LABELS},  # n_<label> / n_scored (null when none scored)
        **{f"mean_{label}_prob": Value("float32") for label in LABELS},
        "n_twin": Value("int32"),  # green and digital at once
        "twin_share": Value("float32"),
    }
)


class ProbabilityModel(Protocol):
    def predict_proba(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


def score_filings(
    filings: Dataset,
    classifiers: Mapping[str, ProbabilityModel],
    *,
    batch_size: int = 256,
    num_proc: int | None = None,
) -> Dataset:
    """Green/digital probabilities for every filing (`twin_scores` rows, in the order of `filings`).

    Args:
        filings: rows of the `filings` config (needs `firm_id`, `application_number`, `filing_date`,
            `goods_services`).
        classifiers: `{"green": clf, "digital": clf}`, each with `predict_proba(texts)` (e.g. `load_twin_classifier`).
        batch_size: texts per `predict_proba` call.
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
    if "goods_services_lang" in filings.column_names:  # the classifiers read English: skip text labelled otherwise
        langs = filings["goods_services_lang"]
        other = [i for i, codes in enumerate(langs) if texts[i] and any(c not in (None, "en") for c in codes or [])]
        for i in other:
            texts[i] = ""
        if other:
            logger.warning(
                "%d of %d filings have goods/services text in another language: not scored", len(other), len(texts)
            )
    scored_idx = [i for i, text in enumerate(texts) if text]
    if len(scored_idx) < len(texts):
        logger.warning(
            "%d of %d filings have no English goods/services text: null probabilities",
            len(texts) - len(scored_idx),
            len(texts),
        )
    # Each distinct text is encoded once (filings with several owners, repeated specifications).
    unique = list(dict.fromkeys(texts[i] for i in scored_idx))
    position = {text: k for k, text in enumerate(unique)}
    unique_probs = score_texts(unique, classifiers, batch_size=batch_size, num_proc=num_proc)
    columns = {}
    for label in LABELS:
        probs = np.full(len(texts), np.nan, dtype=np.float32)
        if label in classifiers:
            probs[scored_idx] = unique_probs[label][[position[texts[i]] for i in scored_idx]]
        columns[f"{label}_prob"] = [None if np.isnan(p) else float(p) for p in probs]
    return Dataset.from_dict(
        {
            "firm_id": list(filings["firm_id"]),
            "application_number": list(filings["application_number"]),
            "filing_date": list(filings["filing_date"]),
            **columns,
        },
        features=SCORE_FEATURES,
    )


def score_texts(
    texts: Sequence[str],
    classifiers: Mapping[str, ProbabilityModel],
    *,
    batch_size: int = 256,
    num_proc: int | None = None,
) -> dict[str, np.ndarray]:
    """Each classifier's probability of its label for every text, `{label: float32 array}`, in `texts` order.

    With more than one process the texts are split into contiguous shards by `datasets.map(num_proc=...)` (its
    progress bar counts texts); the classifiers must then be on the CPU (a forked process cannot use a GPU its parent
    initialised): on GPUs, score in one process per GPU.
    """
    on_cpu = all(_device_type(clf) == "cpu" for clf in classifiers.values())
    # One process with torch's threads on every core by default: on 2 idle cores it scored 1,200 texts in 11.4 s,
    # two single-threaded worker processes in 14.8 s (bench/twin_scoring.py).
    workers = min(num_proc or 1, -(-len(texts) // batch_size))
    if workers > 1 and not on_cpu:
        logger.warning("Scoring in one process: the classifiers are on a GPU (num_proc=%d asked).", workers)
        workers = 1
    if workers <= 1:
        return {
            label: np.concatenate(
                [
                    clf.predict_proba(list(texts[start : start + batch_size]))[:, 1].astype(np.float32)
                    for start in tqdm(range(0, len(texts), batch_size), desc=f"scoring {label}", unit="batch")
                ]
                or [np.empty(0, dtype=np.float32)]
            )
            for label, clf in classifiers.items()
        }
    table = Dataset.from_dict({"text": list(texts)})
    scored = table.map(
        _score_batch,
        batched=True,
        batch_size=batch_size,
        num_proc=workers,
        input_columns="text",
        remove_columns="text",
        fn_kwargs={
            "classifiers": dict(classifiers),
            "threads": max(1, (os.cpu_count() or 1) // workers),
            "parent": os.getpid(),
        },
        new_fingerprint=f"twin-scores-{os.getpid()}-{id(texts)}",  # the models are not hashed: nothing is reused
        desc=f"scoring ({workers} processes)",
    )
    return {label: np.asarray(scored[f"{label}_prob"], dtype=np.float32) for label in classifiers}


def _score_batch(texts: list[str], classifiers: Mapping[str, ProbabilityModel], threads: int, parent: int) -> dict:
    if os.getpid() != parent:  # a worker: its share of the cores
        import torch

        torch.set_num_threads(threads)
    return {f"{label}_prob": clf.predict_proba(texts)[:, 1].astype(np.float32) for label, clf in classifiers.items()}


def _device_type(classifier: ProbabilityModel) -> str:
    body = getattr(classifier, "body", None)
    return getattr(getattr(body, "device", None), "type", "cpu")


def firm_trajectories(scores: Dataset, *, threshold: float = 0.5) -> Dataset:
    """Per firm and filing year: filings, how many are green/digital/both (probability >= `threshold`), shares."""
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
    classifiers: Mapping[str, ProbabilityModel],
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
