"""One masked batch of toy firms and a freshly initialised tiny MarketBERT (loss and gradient tests)."""

from __future__ import annotations

import torch
from transformers import BertForMaskedLM

from marketbert.config import MarketBertArguments
from marketbert.data import FirmEncoder, MarketBertCollator, encode_split
from marketbert.tokenizer import build_tokenizer, build_vocabulary
from marketbert.train import build_model
from tests.helpers.toy_data import make_toy_sequences


def toy_batch_and_model() -> tuple[dict[str, torch.Tensor], BertForMaskedLM]:
    """The batch (12 toy firms, seeded masks, some padding) and the model (seeded, in train mode)."""
    data = make_toy_sequences(12, 4, seed=5)["train"]
    vocab = build_vocabulary(data)
    tokenizer = build_tokenizer(vocab, model_max_length=64)
    encoded = encode_split(data, FirmEncoder(tokenizer, vocab, 64))
    batch = MarketBertCollator(tokenizer, seed=0)([encoded[i] for i in range(len(encoded))])
    torch.manual_seed(0)
    return batch, build_model(MarketBertArguments(model_size="tiny", max_length=64), len(tokenizer), 0)
