"""Firms to model inputs, and the masking collator.

One firm is one example (never concatenated with another), truncated from the left at event boundaries. Each
example carries `event_index` (0 for `[CLS]`/`[SEP]`, k for the tokens of the k-th kept filing) so the collator
can mask whole filings.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from datasets import Dataset
from transformers import PreTrainedTokenizerFast

from marketbert.tokenizer import APP, APP_END, SPECIAL_TOKENS, MarketVocabulary, firm_events

logger = logging.getLogger(__name__)

OBJECTIVES = ("token", "event", "forecast")


@dataclass
class EncodedFirm:
    input_ids: list[int]
    event_index: list[int]


class FirmEncoder:
    """Turn a firm's filings into token ids with a `max_length` budget, keeping the most recent filings."""

    def __init__(self, tokenizer: PreTrainedTokenizerFast, vocab: MarketVocabulary, max_length: int):
        if max_length < 8:
            raise ValueError(f"max_length must be at least 8 tokens, got {max_length}.")
        self.tokenizer = tokenizer
        self.vocab = vocab
        self.max_length = max_length
        self.token_ids = tokenizer.get_vocab()
        self.item_ids = {tok: self.token_ids[tok] for tok in vocab.items}
        self.cls_id = tokenizer.cls_token_id
        self.sep_id = tokenizer.sep_token_id

    def events(self, filings: Sequence[dict]) -> list[list[str]]:
        return firm_events(filings, self.vocab, self.item_ids)

    def encode(self, filings: Sequence[dict]) -> EncodedFirm:
        """Encode `filings` (chronological); left-truncate whole events to fit `max_length`."""
        if not filings:
            raise ValueError("Cannot encode a firm with no filings.")
        budget = self.max_length - 2
        kept: list[list[str]] = []
        for event in reversed(self.events(filings)):
            if len(event) > budget:
                if not kept:  # the last filing alone is too long: keep its head and the closing delimiter
                    kept.append(event[: budget - 1] + [APP_END])
                break
            kept.append(event)
            budget -= len(event)
        kept.reverse()
        ids, events = [self.cls_id], [0]
        for k, event in enumerate(kept, start=1):
            ids.extend(self.token_ids[tok] for tok in event)
            events.extend([k] * len(event))
        ids.append(self.sep_id)
        events.append(0)
        return EncodedFirm(ids, events)


def encode_split(split: Dataset, encoder: FirmEncoder, *, min_filings: int = 1, desc: str = "Encoding") -> Dataset:
    """Map a `sequences` split to `input_ids`, `event_index` and `length` (firms with fewer filings dropped)."""
    if "filings" not in split.column_names:
        raise ValueError(f"Expected the `sequences` config (a `filings` column); got columns {split.column_names}.")
    kept = split.filter(lambda n: len(n) >= min_filings, input_columns="filings", desc=f"{desc}: filter")

    def _encode(filings):
        enc = encoder.encode(filings)
        return {"input_ids": enc.input_ids, "event_index": enc.event_index, "length": len(enc.input_ids)}

    return kept.map(_encode, input_columns="filings", remove_columns=kept.column_names, desc=desc)


@dataclass
class MarketBertCollator:
    """Pad a batch to its longest firm and mask it with one objective per example.

    Objectives, drawn per example with `objective_weights` (token, event, forecast):

    - `token`: BERT masking -- each non-special token with `mlm_probability`, 80% `[MASK]`, 10% random, 10% kept.
    - `event`: every filing with `event_probability` (at least one) has all its tokens masked (delimiters kept).
    - `forecast`: predict a filing from the ones before it. With `forecast_prefixes` a random filing (second or
      later) is chosen and the filings after it are dropped, so every filing of a firm is a forecasting target;
      otherwise it is always the last. All its tokens are masked (delimiters kept).

    Pass `seed` for deterministic masking (evaluation); otherwise the global torch RNG is used (the Trainer seeds it).
    """

    tokenizer: PreTrainedTokenizerFast
    mlm_probability: float = 0.15
    event_probability: float = 0.15
    objective_weights: tuple[float, float, float] = (0.5, 0.25, 0.25)
    forecast_prefixes: bool = True
    pad_to_multiple_of: int | None = None
    seed: int | None = None
    _generator: torch.Generator | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        if len(self.objective_weights) != 3 or min(self.objective_weights) < 0 or sum(self.objective_weights) <= 0:
            raise ValueError(
                f"objective_weights must be 3 non-negative weights (token, event, forecast) with a positive sum, "
                f"got {self.objective_weights!r}."
            )
        for name in ("mlm_probability", "event_probability"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)!r}.")
        vocab = self.tokenizer.get_vocab()
        self.mask_id = self.tokenizer.mask_token_id
        self.pad_id = self.tokenizer.pad_token_id
        self.delimiter_ids = torch.tensor([vocab[APP], vocab[APP_END]])
        self.first_regular_id = len(SPECIAL_TOKENS)
        self.vocab_size = len(vocab)
        if self.seed is not None:
            self._generator = torch.Generator().manual_seed(self.seed)

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        weights = torch.tensor(self.objective_weights, dtype=torch.float)
        objectives = torch.multinomial(weights, len(features), replacement=True, generator=self._generator)
        if self.forecast_prefixes:
            features = [self._prefix(f) if o == 2 else f for f, o in zip(features, objectives.tolist(), strict=True)]
        length = max(len(f["input_ids"]) for f in features)
        if self.pad_to_multiple_of:
            length = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
        input_ids = torch.full((len(features), length), self.pad_id, dtype=torch.long)
        events = torch.zeros((len(features), length), dtype=torch.long)
        attention = torch.zeros((len(features), length), dtype=torch.long)
        for row, f in enumerate(features):
            n = len(f["input_ids"])
            input_ids[row, :n] = torch.as_tensor(f["input_ids"])
            events[row, :n] = torch.as_tensor(f["event_index"])
            attention[row, :n] = 1
        masked = torch.zeros_like(input_ids, dtype=torch.bool)
        labels = input_ids.clone()
        content = (events > 0) & ~torch.isin(input_ids, self.delimiter_ids)
        whole = torch.zeros_like(masked)  # positions always replaced by [MASK] (event/forecast objectives)
        for row, objective in enumerate(objectives.tolist()):
            if objective == 0:
                masked[row] = self._random_positions(events[row] > 0, self.mlm_probability)
            elif objective == 1:
                n_events = int(events[row].max())
                chosen = torch.rand(n_events, generator=self._generator) < self.event_probability
                if not chosen.any():
                    chosen[torch.randint(n_events, (1,), generator=self._generator)] = True
                chosen_ids = torch.nonzero(chosen).flatten() + 1
                whole[row] = content[row] & torch.isin(events[row], chosen_ids)
            else:
                whole[row] = content[row] & (events[row] == events[row].max())
        # BERT 80/10/10 for token masking; event and forecast masks are always [MASK] (as at inference).
        draw = torch.rand(input_ids.shape, generator=self._generator)
        to_mask = whole | (masked & (draw < 0.8))
        to_random = masked & (draw >= 0.8) & (draw < 0.9)
        random_ids = torch.randint(self.first_regular_id, self.vocab_size, input_ids.shape, generator=self._generator)
        input_ids = torch.where(to_mask, self.mask_id, input_ids)
        input_ids = torch.where(to_random, random_ids, input_ids)
        labels[~(masked | whole)] = -100
        return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}

    def _prefix(self, feature: dict) -> dict:
        """The firm cut after a random filing (the second or later, when it has two), closed by `[SEP]`."""
        event_index = feature["event_index"]
        n_events = max(event_index)
        if n_events < 3:
            return feature
        keep = int(torch.randint(2, n_events + 1, (1,), generator=self._generator))
        end = len(event_index) - event_index[::-1].index(keep)  # one past the chosen filing's last token
        return {
            "input_ids": [*feature["input_ids"][:end], feature["input_ids"][-1]],
            "event_index": [*event_index[:end], 0],
        }

    def _random_positions(self, eligible: torch.Tensor, probability: float) -> torch.Tensor:
        chosen = eligible & (torch.rand(eligible.shape, generator=self._generator) < probability)
        if not chosen.any() and eligible.any():
            candidates = torch.nonzero(eligible).flatten()
            chosen[candidates[torch.randint(len(candidates), (1,), generator=self._generator)]] = True
        return chosen


def mask_last_filing(encoded: EncodedFirm, tokenizer: PreTrainedTokenizerFast) -> tuple[list[int], list[int]]:
    """Input ids with every token of the last filing replaced by `[MASK]` (delimiters kept), and those positions."""
    vocab = tokenizer.get_vocab()
    delimiters = {vocab[APP], vocab[APP_END]}
    last = max(encoded.event_index)
    ids, positions = list(encoded.input_ids), []
    for pos, (tok, event) in enumerate(zip(encoded.input_ids, encoded.event_index, strict=True)):
        if event == last and tok not in delimiters:
            ids[pos] = tokenizer.mask_token_id
            positions.append(pos)
    return ids, positions
