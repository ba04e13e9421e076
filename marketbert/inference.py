"""Forecast a firm's last filing with a trained model: mask every token of that filing, read the predictions."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import PreTrainedModel

from marketbert.data import FirmEncoder, mask_last_filing
from marketbert.tokenizer import ITEM_PREFIX, NICE_TOKENS

R = TypeVar("R")


def forecast_last_filing(
    model: PreTrainedModel,
    encoder: FirmEncoder,
    sequences: Sequence[Sequence[dict]],
    reduce: Callable[[torch.Tensor, torch.Tensor], R],
    *,
    batch_size: int = 64,
    desc: str = "Forecasting",
    progress: bool = True,
) -> list[R]:
    """For each filing list, mask its last filing and call `reduce(log_probs, true_ids)` on the masked positions.

    `log_probs` is `(n_masked, vocab)` (log-softmax over the vocabulary) and `true_ids` `(n_masked,)`, the tokens
    that were masked. Results come back in input order. Batches are formed by length to limit padding.
    """
    encoded = []
    for filings in sequences:
        firm = encoder.encode(filings)
        encoded.append((*mask_last_filing(firm, encoder.tokenizer), firm.input_ids))
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
    results: list[R | None] = [None] * len(encoded)
    model.eval()
    pad_id = encoder.tokenizer.pad_token_id
    for start in tqdm(range(0, len(order), batch_size), desc=desc, disable=not progress or len(order) <= batch_size):
        rows = order[start : start + batch_size]
        width = max(len(encoded[i][0]) for i in rows)
        ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        attention = torch.zeros_like(ids)
        for r, i in enumerate(rows):
            ids[r, : len(encoded[i][0])] = torch.as_tensor(encoded[i][0])
            attention[r, : len(encoded[i][0])] = 1
        with torch.inference_mode():
            logits = model(input_ids=ids.to(model.device), attention_mask=attention.to(model.device)).logits
        for r, i in enumerate(rows):
            _, positions, original = encoded[i]
            log_probs = torch.log_softmax(logits[r, positions].float(), dim=-1).cpu()
            results[i] = reduce(log_probs, torch.as_tensor([original[p] for p in positions]))
    return results  # type: ignore[return-value]


def next_filing_placeholder(history: Sequence[dict], encoder: FirmEncoder) -> dict:
    """A next filing of the firm's typical size (median classes and known items per filing), to be masked whole.

    Its tokens only reserve positions: every one is masked, so which classes and items fill them does not matter.
    """
    n_classes = max(1, round(statistics.median(len(f["nice_classes"]) for f in history)))
    known = [sum(t in encoder.item_ids for t in encoder.events([f])[0]) for f in history]
    n_items = min(round(statistics.median(known)), encoder.vocab.max_items_per_filing, len(encoder.vocab.items))
    return {
        "filing_date": history[-1]["filing_date"],
        "nice_classes": list(range(1, n_classes + 1)),
        "terms": [item_term(t) for t in encoder.vocab.items[:n_items]],
    }


def forecast_next_filings(
    model: PreTrainedModel,
    encoder: FirmEncoder,
    histories: Sequence[Sequence[dict]],
    *,
    batch_size: int = 64,
    desc: str = "Forecasting",
    progress: bool = True,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`(class_probs (45,), item_probs (n_items,))` for the filing after each history (chronological filings)."""
    for i, history in enumerate(histories):
        if not history:
            raise ValueError(f"History #{i} is empty: give at least one filing.")
    classes, items = nice_ids(encoder), item_ids(encoder)
    return forecast_last_filing(
        model,
        encoder,
        [list(h) + [next_filing_placeholder(h, encoder)] for h in histories],
        lambda log_probs, _: (label_scores(log_probs, classes), label_scores(log_probs, items)),
        batch_size=batch_size,
        desc=desc,
        progress=progress,
    )


def item_term(token: str) -> str:
    """The goods/services term of an `ITEM_*` token (`ITEM_computer_software` -> "computer software")."""
    return token[len(ITEM_PREFIX) :].replace("_", " ")


def label_scores(log_probs: torch.Tensor, label_ids: torch.Tensor) -> np.ndarray:
    """P(label appears at least once in the masked filing) = 1 - prod over positions of (1 - p), per label."""
    probs = log_probs[:, label_ids].exp().clamp(max=1 - 1e-7)
    return (-torch.expm1(torch.log1p(-probs).sum(dim=0))).numpy()


def nice_ids(encoder: FirmEncoder) -> torch.Tensor:
    return torch.as_tensor([encoder.token_ids[t] for t in NICE_TOKENS])


def item_ids(encoder: FirmEncoder) -> torch.Tensor:
    return torch.as_tensor([encoder.token_ids[t] for t in encoder.vocab.items], dtype=torch.long)


def load_marketbert(name_or_path: str, *, revision: str | None = None, cache_dir: str | None = None):
    """Load a trained MarketBERT (folder or Hub repo) with stock Auto classes; return `(model, FirmEncoder)`."""
    import json
    from pathlib import Path

    from transformers import AutoModelForMaskedLM, AutoTokenizer

    from marketbert.tokenizer import vocabulary_from_tokenizer

    kwargs = {"revision": revision, "cache_dir": cache_dir}
    tokenizer = AutoTokenizer.from_pretrained(name_or_path, **kwargs)
    model = AutoModelForMaskedLM.from_pretrained(name_or_path, **kwargs)
    config_path = Path(name_or_path) / "training_config.json"
    if not config_path.exists():
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import EntryNotFoundError

        try:
            config_path = Path(hf_hub_download(name_or_path, "training_config.json", **kwargs))
        except EntryNotFoundError:
            config_path = None
    settings = json.loads(config_path.read_text(encoding="utf-8")) if config_path else {}
    vocab = vocabulary_from_tokenizer(tokenizer, settings.get("max_items_per_filing", 8))
    max_length = settings.get("max_length") or tokenizer.model_max_length
    return model, FirmEncoder(tokenizer, vocab, min(max_length, model.config.max_position_embeddings))
