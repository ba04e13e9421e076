"""Forecast the next filing of every firm of a dataset, over all cores or all GPUs (`datasets.map(num_proc=...)`).

    hub-release marketbert forecast --model ORG/marketbert --dataset ORG/firm-trademark-sequences \\
        --output forecasts.parquet --num-proc 2

Each worker process loads the model once (stock `from_pretrained`) and takes every `num_proc`-th batch: on CPU with
its share of the cores' threads, on a machine with GPUs on GPU `rank % n_gpus`. The output has one row per firm, in
the dataset's order: the top-k classes and items with their probabilities, and all 45 class probabilities.
"""

from __future__ import annotations

import logging
import os
from functools import cache

import numpy as np
import torch
from datasets import Dataset, Features, Sequence, Value

from marketbert.inference import forecast_next_filings, item_term, load_marketbert

logger = logging.getLogger(__name__)

FORECAST_FEATURES = Features(
    {
        "firm_id": Value("string"),
        "n_filings": Value("int32"),
        "last_filing_date": Value("date32"),
        "top_classes": Sequence(Value("int8")),
        "top_class_probs": Sequence(Value("float32")),
        "top_items": Sequence(Value("string")),
        "top_item_probs": Sequence(Value("float32")),
        "class_probs": Sequence(Value("float32"), length=45),
    }
)


@cache
def _worker_model(model: str, device: str):
    """The model and encoder of this process, loaded once per (model, device)."""
    mlm, encoder = load_marketbert(model)
    return mlm.to(device).eval(), encoder


def _device_for(rank: int | None) -> str:
    n_gpus = torch.cuda.device_count()
    return f"cuda:{(rank or 0) % n_gpus}" if n_gpus else "cpu"


def _forecast_batch(
    batch: dict, rank: int | None, *, model: str, top_k: int, batch_size: int, threads: int, parent: int
) -> dict:
    if os.getpid() != parent and torch.get_num_threads() != threads:  # a worker: its share of the cores
        torch.set_num_threads(threads)
    mlm, encoder = _worker_model(model, _device_for(rank))
    histories = batch["filings"]
    scores = forecast_next_filings(mlm, encoder, histories, batch_size=batch_size, progress=False)
    terms = [item_term(t) for t in encoder.vocab.items]
    out: dict[str, list] = {name: [] for name in FORECAST_FEATURES if name != "firm_id"}
    for history, (class_probs, item_probs) in zip(histories, scores, strict=True):
        top_c = np.argsort(-class_probs, kind="stable")[:top_k]
        top_i = np.argsort(-item_probs, kind="stable")[:top_k]
        out["n_filings"].append(len(history))
        out["last_filing_date"].append(history[-1]["filing_date"])
        out["top_classes"].append([int(c) + 1 for c in top_c])
        out["top_class_probs"].append([float(class_probs[c]) for c in top_c])
        out["top_items"].append([terms[int(i)] for i in top_i])
        out["top_item_probs"].append([float(item_probs[i]) for i in top_i])
        out["class_probs"].append(class_probs.astype(np.float32).tolist())
    return out


def forecast_dataset(
    model: str,
    firms: Dataset,
    *,
    top_k: int = 10,
    num_proc: int | None = None,
    batch_size: int = 64,
    map_batch_size: int = 256,
) -> Dataset:
    """Next-filing forecasts for every firm of `firms` (a `sequences` split: `firm_id`, `filings`).

    Args:
        model: a MarketBERT folder or Hub repo id (loaded in each worker with stock Auto classes).
        firms: the firms; those with no filing are an error.
        top_k: classes and items listed per firm (1-45).
        num_proc: worker processes; None: one per GPU, else 1 (one process already uses every CPU core's thread).
        batch_size: firms per forward pass; map_batch_size: firms per task handed to a worker.
    """
    if not 1 <= top_k <= 45:
        raise ValueError(f"top_k must be between 1 and 45, got {top_k}.")
    missing = {"firm_id", "filings"} - set(firms.column_names)
    if missing:
        raise ValueError(f"firms lacks column(s) {sorted(missing)}: give a split of the dataset's `sequences` config.")
    empty = [i for i, n in enumerate(len(f) for f in firms["filings"]) if n == 0]
    if empty:
        raise ValueError(f"{len(empty)} firm(s) have no filing (first: row {empty[0]}); nothing to forecast from.")
    if num_proc is None:
        num_proc = max(1, torch.cuda.device_count())
    num_proc = max(1, min(num_proc, -(-len(firms) // map_batch_size)))
    threads = max(1, (os.cpu_count() or 1) // num_proc)
    logger.info("Forecasting %d firms with %d process(es), %d thread(s) each", len(firms), num_proc, threads)
    return firms.select_columns(["firm_id", "filings"]).map(
        _forecast_batch,
        batched=True,
        batch_size=map_batch_size,
        with_rank=True,
        num_proc=num_proc if num_proc > 1 else None,
        remove_columns=["filings"],
        features=FORECAST_FEATURES,
        fn_kwargs={
            "model": model,
            "top_k": top_k,
            "batch_size": batch_size,
            "threads": threads,
            "parent": os.getpid(),
        },
        new_fingerprint=f"forecast-{os.getpid()}-{id(firms)}",  # the model is not hashed: nothing is reused
        desc=f"Forecasting next filings ({num_proc} process{'es' if num_proc > 1 else ''})",
    )
