"""The methods the item-level SetFit model is compared with, trained on the same data and scored on the same
description splits (the hard `test` split, and `real_validation` when present):

- `keyword_rule`: the rubric's keywords, no training;
- `tfidf_logreg`: word 1-2-gram TF-IDF + logistic regression on every train description;
- `embedding_logreg`: logistic regression on frozen all-MiniLM-L6-v2 embeddings of every train description;
- `item_embedding_logreg`: the item-level pipeline without the contrastive phase (frozen embeddings of every
  train-pool item, the same calibrated share rule): what fine-tuning the body adds;
- `whole_text_setfit`: SetFit on whole descriptions (contrastive phase on `examples_per_class` train descriptions
  per class cut to 64 word pieces, head on every train description, threshold calibrated on validation).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from twin_transition.baselines import keyword_rule, tfidf_logreg
from twin_transition.config import TwinConfig
from twin_transition.corpus import Corpus
from twin_transition.decision import calibrate
from twin_transition.evaluation import compute_metrics

logger = logging.getLogger(__name__)

METHODS = (
    "item_setfit",
    "whole_text_setfit",
    "item_embedding_logreg",
    "embedding_logreg",
    "tfidf_logreg",
    "keyword_rule",
)
WHOLE_TEXT_MAX_TOKENS = 64  # contrastive phase of whole-text SetFit (the head sees the body's full 256)
_FROZEN: dict[str, np.ndarray] = {}  # text -> frozen embedding, shared by both labels in one process


def frozen_embeddings(texts: Sequence[str], config: TwinConfig) -> np.ndarray:
    """Embeddings of `texts` by the untouched body, each distinct text encoded once per process."""
    from sentence_transformers import SentenceTransformer

    from twin_transition.training import body_path

    missing = [t for t in dict.fromkeys(texts) if t not in _FROZEN]
    if missing:
        body = SentenceTransformer(config.body or str(body_path()), device="cpu")
        vectors = body.encode(missing, batch_size=64, convert_to_numpy=True, show_progress_bar=False)
        _FROZEN.update(zip(missing, vectors, strict=True))
    return np.stack([_FROZEN[t] for t in texts]) if texts else np.empty((0, 384), dtype=np.float32)


def _metrics(predicted: Sequence[int], gold: Sequence[int]) -> dict[str, float]:
    return {**compute_metrics(list(predicted), list(gold)), "n": len(gold), "positives": sum(gold)}


def best_threshold(scores: np.ndarray, gold: Sequence[int]) -> float:
    """The description-score threshold with the best validation F1 (ties: nearest 0.5)."""
    rule = calibrate([np.array([s]) for s in scores], list(gold), shares=(1.0,))
    return rule.item_threshold


def item_frozen_logreg(label: str, corpus: Corpus, config: TwinConfig, splits: Sequence[str]) -> dict:
    """Frozen item embeddings + balanced logistic regression on every train-pool item + the calibrated share rule."""
    from sklearn.linear_model import LogisticRegression

    from twin_transition.items import split_items
    from twin_transition.training import labelled_examples

    texts, labels = labelled_examples(corpus, label, config)
    head = LogisticRegression(C=config.head_c, max_iter=config.head_max_iter, class_weight="balanced")
    head.fit(frozen_embeddings(texts, config), labels)

    def item_probs(split: str) -> list[np.ndarray]:
        per_text = [split_items(text) or [text] for text in corpus.texts(split)]
        flat = [item for items in per_text for item in items]
        probs = dict(zip(flat, head.predict_proba(frozen_embeddings(flat, config))[:, 1], strict=True))
        return [np.array([probs[item] for item in items]) for items in per_text]

    rule = calibrate(item_probs("validation"), corpus.labels("validation", label))
    return {s: _metrics([int(rule.decide(p)) for p in item_probs(s)], corpus.labels(s, label)) for s in splits}


def whole_text_setfit(label: str, corpus: Corpus, config: TwinConfig, splits: Sequence[str]) -> dict:
    """SetFit on whole descriptions, with the same contrastive budget and a validation-calibrated threshold."""
    from twin_transition.training import fit_body, fit_head, new_model

    texts, gold = corpus.texts("train"), corpus.labels("train", label)
    rng = np.random.default_rng(config.seed)
    picked: list[int] = []
    for cls in (0, 1):
        indices = [i for i, y in enumerate(gold) if y == cls]
        picked += rng.choice(indices, min(len(indices), config.examples_per_class), replace=False).tolist()
    rng.shuffle(picked)
    model = new_model(label, config)
    fit_body(model, [texts[i] for i in picked], [gold[i] for i in picked], config, max_tokens=WHOLE_TEXT_MAX_TOKENS)
    fit_head(model, texts, gold, config)

    def scores(split: str) -> np.ndarray:
        return model.predict_proba(corpus.texts(split), as_numpy=True, show_progress_bar=False)[:, 1]

    threshold = best_threshold(scores("validation"), corpus.labels("validation", label))
    return {s: _metrics((scores(s) >= threshold).astype(int).tolist(), corpus.labels(s, label)) for s in splits}


def compare_methods(
    label: str, corpus: Corpus, config: TwinConfig, splits: Sequence[str]
) -> dict[str, dict[str, dict[str, float]]]:
    """`{method: {split: metrics}}` for every method of the module docstring but the item-level SetFit model."""
    from sklearn.linear_model import LogisticRegression

    results: dict[str, dict[str, dict[str, float]]] = {}
    gold = {s: corpus.labels(s, label) for s in splits}
    if config.compare_whole_text:
        results["whole_text_setfit"] = whole_text_setfit(label, corpus, config, splits)
    results["item_embedding_logreg"] = item_frozen_logreg(label, corpus, config, splits)
    train_texts, train_gold = corpus.texts("train"), corpus.labels("train", label)
    head = LogisticRegression(max_iter=config.head_max_iter, class_weight="balanced")
    head.fit(frozen_embeddings(train_texts, config), train_gold)
    results["embedding_logreg"] = {
        s: _metrics(head.predict(frozen_embeddings(corpus.texts(s), config)).tolist(), gold[s]) for s in splits
    }
    results["tfidf_logreg"] = {
        s: _metrics(tfidf_logreg(train_texts, train_gold, corpus.texts(s)), gold[s]) for s in splits
    }
    results["keyword_rule"] = {s: _metrics(keyword_rule(corpus.texts(s), label), gold[s]) for s in splits}
    for method, by_split in results.items():
        logger.info("%s %s: test F1 %.3f", label, method, by_split["test"]["f1"])
    return results
