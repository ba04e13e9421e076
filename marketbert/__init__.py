"""MarketBERT: a BERT masked-LM trained from scratch on firms' trademark timelines.

Public API (imported lazily, so `marketbert.cli` can configure the Hub client environment first)::

    from marketbert import train_marketbert, publish_marketbert, evaluate_marketbert, load_marketbert
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "train_marketbert": "marketbert.train",
    "load_sequences": "marketbert.train",
    "publish_marketbert": "marketbert.publish",
    "publish_next_filing_metric": "marketbert.publish",
    "evaluate_marketbert": "marketbert.evaluation",
    "load_marketbert": "marketbert.inference",
    "filing_surprisal": "marketbert.surprisal",
    "split_surprisal": "marketbert.surprisal",
    "plot_class_embeddings": "marketbert.embedding_map",
    "build_tokenizer": "marketbert.tokenizer",
    "build_vocabulary": "marketbert.tokenizer",
    "MarketBertCollator": "marketbert.data",
    "FirmEncoder": "marketbert.data",
    "ranking_metrics": "marketbert.metrics.next_filing.next_filing",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'marketbert' has no attribute {name!r}")
