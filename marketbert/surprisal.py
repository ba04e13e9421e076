"""Per-filing surprisal: how unexpected a filing's classes and items are given the firm's earlier filings.

surprisal = mean over the filing's `NICE_*` and `ITEM_*` tokens of -log p(token) in nats, with every token of the
filing masked and only the past visible (later filings are cut off). High surprisal marks a filing the firm's
history did not predict -- read as a sign of novelty (diversification) rather than noise.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from datasets import Dataset
from transformers import PreTrainedModel

from marketbert.data import FirmEncoder
from marketbert.inference import forecast_last_filing
from marketbert.tokenizer import ITEM_PREFIX, NICE_TOKENS


def _product_token_ids(encoder: FirmEncoder) -> torch.Tensor:
    return torch.as_tensor(
        [i for t, i in encoder.token_ids.items() if t in NICE_TOKENS or t.startswith(ITEM_PREFIX)], dtype=torch.long
    )


def _mean_nll(product_ids: torch.Tensor):
    def reduce(log_probs: torch.Tensor, true_ids: torch.Tensor) -> tuple[float, int]:
        keep = torch.isin(true_ids, product_ids)
        if not keep.any():
            return float("nan"), 0
        nll = -log_probs[keep].gather(1, true_ids[keep, None]).squeeze(1)
        return float(nll.mean()), int(keep.sum())

    return reduce


def filing_surprisal(model: PreTrainedModel, encoder: FirmEncoder, filings: Sequence[dict], index: int = -1) -> float:
    """Surprisal (nats per class/item token) of `filings[index]` given the filings before it."""
    index = index % len(filings)
    ((value, _),) = forecast_last_filing(
        model, encoder, [filings[: index + 1]], _mean_nll(_product_token_ids(encoder))
    )
    return value


def split_surprisal(
    model: PreTrainedModel, encoder: FirmEncoder, split: Dataset, *, batch_size: int = 64, min_history: int = 1
) -> list[dict]:
    """Surprisal of every filing with at least `min_history` earlier filings, for every firm of `split`."""
    keys, prefixes = [], []
    for firm in split.select_columns(["firm_id", "filings"]):
        for k in range(min_history, len(firm["filings"])):
            filing = firm["filings"][k]
            keys.append((firm["firm_id"], k, filing["application_number"], filing["filing_date"]))
            prefixes.append(firm["filings"][: k + 1])
    values = forecast_last_filing(
        model, encoder, prefixes, _mean_nll(_product_token_ids(encoder)), batch_size=batch_size, desc="Surprisal"
    )
    return [
        {
            "firm_id": firm_id,
            "filing_index": k,
            "application_number": number,
            "filing_date": str(date),
            "surprisal": value,
            "n_tokens": n,
        }
        for (firm_id, k, number, date), (value, n) in zip(keys, values, strict=True)
    ]
