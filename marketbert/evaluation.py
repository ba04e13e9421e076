"""Evaluate MarketBERT on held-out firms: masked-LM quality and next-filing prediction against baselines.

Next-filing prediction: for every held-out firm with at least two filings, the model sees the firm's history with
every token of the last filing masked (the `forecast` objective) and ranks the 45 Nice classes and the items by
P(label appears in the filing). Baselines computed in the same run from the train split: global popularity, the
firm's own history, relatedness density, and the generator's oracle when the dataset carries it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch
from datasets import Dataset, DatasetDict
from transformers import PreTrainedModel

from marketbert import baselines
from marketbert.data import FirmEncoder, MarketBertCollator, encode_split
from marketbert.inference import forecast_last_filing, item_ids, label_scores, nice_ids
from marketbert.metrics.next_filing.next_filing import DEFAULT_KS, ranking_metrics
from marketbert.tokenizer import NICE_TOKENS

logger = logging.getLogger(__name__)


@dataclass
class LabelCounts:
    """Per firm: how many filings carry each class / item, over a range of its filings."""

    classes: np.ndarray  # firms x 45
    items: np.ndarray  # firms x n_items
    n_filings: np.ndarray  # firms


def count_labels(sequences: list[list[dict]], encoder: FirmEncoder) -> LabelCounts:
    """Count, per firm, the filings containing each class and each item (as tokenized)."""
    class_index = {tok: i for i, tok in enumerate(NICE_TOKENS)}
    item_index = {tok: i for i, tok in enumerate(encoder.vocab.items)}
    classes = np.zeros((len(sequences), len(class_index)), dtype=np.int32)
    items = np.zeros((len(sequences), len(item_index)), dtype=np.int32)
    for row, filings in enumerate(sequences):
        for event in encoder.events(filings) if filings else []:
            tokens = set(event)
            classes[row, [class_index[t] for t in tokens if t in class_index]] += 1
            items[row, [item_index[t] for t in tokens if t in item_index]] += 1
    return LabelCounts(classes, items, np.array([len(f) for f in sequences], dtype=np.int32))


def _scores_by_method(model_scores, past: LabelCounts, train: LabelCounts, kind: str) -> dict[str, np.ndarray]:
    train_counts = getattr(train, kind)
    prior = train_counts.sum(axis=0) / max(int(train.n_filings.sum()), 1)  # popularity over train filings
    phi = baselines.proximity(train_counts > 0)
    past_counts = getattr(past, kind)
    n = len(past_counts)
    return {
        "marketbert": model_scores,
        "popularity": np.broadcast_to(prior, (n, len(prior))),
        "history": baselines.with_tiebreak(baselines.history(past_counts, past.n_filings), prior),
        "density": baselines.with_tiebreak(baselines.density(past_counts > 0, phi), prior),
    }


def evaluate_next_filing(
    model: PreTrainedModel,
    encoder: FirmEncoder,
    train: Dataset,
    test: Dataset,
    *,
    batch_size: int = 64,
    ks: tuple[int, ...] = DEFAULT_KS,
) -> dict:
    """Rank classes and items for each test firm's last filing; metrics for the model and every baseline."""
    firms = [row for row in test.select_columns(["firm_id", "filings"]) if len(row["filings"]) >= 2]
    if not firms:
        raise ValueError("No held-out firm has two or more filings: cannot evaluate next-filing prediction.")
    sequences = [row["filings"] for row in firms]
    train_counts = count_labels(train["filings"], encoder)
    past = count_labels([s[:-1] for s in sequences], encoder)
    last = count_labels([s[-1:] for s in sequences], encoder)
    class_ids, items = nice_ids(encoder), item_ids(encoder)
    scored = forecast_last_filing(
        model,
        encoder,
        sequences,
        lambda lp, _true: (label_scores(lp, class_ids), label_scores(lp, items) if len(items) else np.zeros(0)),
        batch_size=batch_size,
        desc="Next-filing forecast",
    )
    model_scores = {
        "classes": np.stack([s[0] for s in scored]),
        "items": np.stack([s[1] for s in scored]) if len(items) else np.zeros((len(firms), 0)),
    }
    oracle = _oracle(test, firms)
    results: dict = {"n_firms": len(firms)}
    for kind in ("classes", "items"):
        if getattr(last, kind).shape[1] == 0:
            continue
        methods = _scores_by_method(model_scores[kind], past, train_counts, kind)
        if kind == "classes" and oracle is not None:
            methods["oracle"] = oracle
        truth = getattr(last, kind) > 0
        new = getattr(past, kind) == 0
        results[kind] = {
            "all": {name: ranking_metrics(s, truth, None, ks) for name, s in methods.items()},
            "new": {name: ranking_metrics(s, truth, new, ks) for name, s in methods.items()},
        }
    return results


def _oracle(test: Dataset, firms: list[dict]) -> np.ndarray | None:
    if "oracle_last_filing_class_probs" not in test.column_names:
        return None
    by_firm = dict(zip(test["firm_id"], test["oracle_last_filing_class_probs"], strict=True))
    probs = [by_firm[row["firm_id"]] for row in firms]
    if any(p is None for p in probs):
        return None
    if any(len(p) != len(NICE_TOKENS) for p in probs):
        raise ValueError(f"oracle_last_filing_class_probs must have {len(NICE_TOKENS)} values per firm.")
    return np.asarray(probs, dtype=np.float64)


def masked_lm_metrics(model: PreTrainedModel, encoded: Dataset, collator: MarketBertCollator, batch_size: int = 64):
    """Loss, perplexity (exp of the loss, overflow-guarded) and accuracy on the masked tokens of `encoded`."""
    model.eval()
    order = np.argsort(encoded["length"], kind="stable")
    total_loss, total_correct, total = 0.0, 0, 0
    for start in range(0, len(order), batch_size):
        batch = collator([encoded[int(i)] for i in order[start : start + batch_size]])
        batch = {k: v.to(model.device) for k, v in batch.items()}
        with torch.inference_mode():
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        selected = batch["labels"] != -100
        targets = batch["labels"][selected]
        picked = logits[selected].float()
        total_loss += torch.nn.functional.cross_entropy(picked, targets, reduction="sum").item()
        total_correct += (picked.argmax(-1) == targets).sum().item()
        total += int(selected.sum())
    loss = total_loss / max(total, 1)
    return {
        "loss": loss,
        "perplexity": math.exp(loss) if loss < 700 else float("inf"),
        "masked_accuracy": total_correct / max(total, 1),
        "n_masked_tokens": total,
    }


def evaluate_marketbert(
    model: PreTrainedModel,
    encoder: FirmEncoder,
    dataset: DatasetDict,
    *,
    split: str = "test",
    batch_size: int = 64,
    seed: int = 0,
) -> dict:
    """Every evaluation of the card: masked-LM metrics (random 15% masking, fixed seed) and next-filing ranking."""
    for name in ("train", split):
        if name not in dataset:
            raise ValueError(f"The dataset has no {name!r} split (splits: {list(dataset)}).")
    encoded = encode_split(dataset[split], encoder, desc=f"Encoding {split}")
    collator = MarketBertCollator(encoder.tokenizer, objective_weights=(1.0, 0.0, 0.0), seed=seed)
    mlm = masked_lm_metrics(model, encoded, collator, batch_size)
    next_filing = evaluate_next_filing(model, encoder, dataset["train"], dataset[split], batch_size=batch_size)
    logger.info(
        "%s: perplexity %.2f, masked accuracy %.3f, next-filing class recall@5 %.3f (best baseline %.3f)",
        split,
        mlm["perplexity"],
        mlm["masked_accuracy"],
        next_filing["classes"]["all"]["marketbert"]["recall@5"],
        max(v["recall@5"] for k, v in next_filing["classes"]["all"].items() if k not in ("marketbert", "oracle")),
    )
    return {"split": split, "n_firms": len(dataset[split]), "masked_lm": mlm, "next_filing": next_filing}
