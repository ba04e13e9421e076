"""MarketBERT's training forward: the stock `BertForMaskedLM` run on the non-padding tokens only, with fast dropout.

The published model is the stock one; only the training step computes it differently:

- **Unpadded**: embeddings, projections, feed-forward blocks and layer norms run on the packed real tokens of the
  batch (padding costs nothing there); only the attention scores are laid out per firm, where padded keys are
  masked as in the stock model.
- **Fast dropout on a CPU**: torch's CPU `bernoulli_` draws one Mersenne-Twister number per element and was the
  largest single cost of a step; the masks here come from numpy's PCG64 bytes (16 bits per element, seeded from
  torch's generator, so `set_seed` and checkpoint resumption keep runs reproducible). Dropping probability is
  `round(p * 65536) / 65536` (0.1 -> 0.10001) and kept values are scaled so the expectation is unchanged. On other
  devices torch's own dropout is used.

Without dropout the loss and every gradient equal the stock forward's (tests/test_marketbert_train.py).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from transformers import BertForMaskedLM

DROPOUT_LEVELS = 1 << 16  # dropout masks are drawn as 16-bit numbers


class FastDropout:
    """Dropout masks for one forward pass (see the module doc)."""

    def __init__(self, training: bool) -> None:
        self.training = training
        self.rng = np.random.default_rng(int(torch.randint(0, 2**62, (1,)))) if training else None

    def __call__(self, x: torch.Tensor, p: float) -> torch.Tensor:
        if not self.training or p == 0.0:
            return x
        if x.device.type != "cpu":
            return F.dropout(x, p, training=True)
        threshold = round(p * DROPOUT_LEVELS)
        draws = np.frombuffer(self.rng.bytes(2 * x.numel()), dtype=np.uint16)
        keep = torch.from_numpy(draws >= threshold).view(x.shape)
        # a float32 mask: a bf16 one would round the scale (1.1111 -> 1.1094); the product feeds a float32 residual sum
        return x * keep.to(torch.float32).mul_(DROPOUT_LEVELS / (DROPOUT_LEVELS - threshold))


def packed_hidden_states(
    model: BertForMaskedLM, input_ids: torch.Tensor, attention_mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The encoder's last hidden states of the real tokens, `(n_tokens, hidden)`, and their flat batch positions."""
    bert, config = model.bert, model.config
    if getattr(config, "position_embedding_type", "absolute") != "absolute" or config.is_decoder:
        raise ValueError("packed_hidden_states computes an encoder BERT with absolute position embeddings only.")
    batch, length = input_ids.shape
    heads, head_size = config.num_attention_heads, config.hidden_size // config.num_attention_heads
    real = attention_mask.reshape(-1).nonzero().squeeze(1)
    dropout = FastDropout(model.training)

    emb = bert.embeddings
    positions = torch.arange(length, device=input_ids.device).repeat(batch)[real]
    hidden = (
        emb.word_embeddings(input_ids.reshape(-1)[real])
        + emb.position_embeddings(positions)
        + emb.token_type_embeddings.weight[0]
    )
    hidden = dropout(emb.LayerNorm(hidden), config.hidden_dropout_prob)

    key_bias = torch.zeros(batch * length, device=input_ids.device)
    key_bias.masked_fill_(attention_mask.reshape(-1) == 0, torch.finfo(torch.float32).min)
    key_bias = key_bias.view(batch, 1, 1, length)

    for layer in bert.encoder.layer:
        attention = layer.attention.self
        projections = (attention.query, attention.key, attention.value)  # one matrix product for the three
        qkv = F.linear(hidden, torch.cat([p.weight for p in projections]), torch.cat([p.bias for p in projections]))
        qkv = qkv.new_zeros(batch * length, qkv.shape[-1]).index_copy(0, real, qkv)  # laid out per firm
        query, key, value = qkv.view(batch, length, 3, heads, head_size).permute(2, 0, 3, 1, 4)
        scores = query @ key.transpose(-1, -2) / math.sqrt(head_size) + key_bias
        probs = dropout(scores.softmax(-1), config.attention_probs_dropout_prob)
        context = (probs @ value).transpose(1, 2).reshape(batch * length, -1)[real]
        out = layer.attention.output
        hidden = out.LayerNorm(dropout(out.dense(context), config.hidden_dropout_prob) + hidden)
        inner = layer.intermediate.intermediate_act_fn(layer.intermediate.dense(hidden))
        out = layer.output
        hidden = out.LayerNorm(dropout(out.dense(inner), config.hidden_dropout_prob) + hidden)
    return hidden, real


def masked_positions_loss(model: BertForMaskedLM, hidden: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The MLM loss, the prediction head applied only where a label is set (`labels` shaped like `hidden[..., 0]`)."""
    selected = labels != -100
    logits = model.cls(hidden[selected])
    return F.cross_entropy(logits.float(), labels[selected])


def packed_masked_lm_loss(model: BertForMaskedLM, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """`model(**inputs).loss`, computed on the real tokens only, the prediction head on the masked ones only."""
    hidden, real = packed_hidden_states(model, inputs["input_ids"], inputs["attention_mask"])
    return masked_positions_loss(model, hidden, inputs["labels"].reshape(-1)[real])
