"""Baselines computed in the same run as SetFit: TF-IDF + logistic regression, logistic regression on frozen
(not fine-tuned) sentence embeddings, and a keyword rule written from the labelling guide (not tuned on data)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from twin_transition.labels import check_label

# Stems from data/LABELLING_GUIDE.md; a text is positive when any pattern matches (case-insensitive).
KEYWORDS: dict[str, list[str]] = {
    "green": [
        r"solar",
        r"photovolta",
        r"wind",
        r"renewable",
        r"hydroelectric",
        r"geothermal",
        r"biofuel",
        r"biogas",
        r"hydrogen",
        r"heat pump",
        r"insulat",
        r"energy[- ](saving|efficien)",
        r"electric (vehicle|car|bus|bicycle)",
        r"charging",
        r"recycl",
        r"compost",
        r"biodegradable",
        r"reusable",
        r"refurbish",
        r"emission",
        r"pollution",
        r"wastewater",
        r"water (treatment|purification)",
        r"environment",
        r"carbon",
        r"sustainab",
    ],
    "digital": [
        r"software",
        r"computer",
        r"\bdata\b",
        r"digital",
        r"online",
        r"internet",
        r"telecommunication",
        r"\bapps?\b",
        r"cloud",
        r"network",
        r"artificial intelligence",
        r"\bIT\b",
        r"cyber",
        r"platform",
        r"website",
        r"electronic",
        r"smart",
        r"semiconductor",
        r"\bIoT\b",
        r"wireless",
    ],
}


def keyword_rule(texts: Sequence[str], label: str) -> list[int]:
    """1 when a text matches any keyword of `label`, else 0."""
    pattern = re.compile("|".join(KEYWORDS[check_label(label)]), re.IGNORECASE)
    return [int(bool(pattern.search(text))) for text in texts]


def tfidf_logreg(train_texts: Sequence[str], train_labels: Sequence[int], test_texts: Sequence[str]) -> list[int]:
    """Word 1-2-gram TF-IDF features + logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    pipeline = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        LogisticRegression(max_iter=1000, class_weight="balanced"),
    )
    pipeline.fit(list(train_texts), list(train_labels))
    return [int(p) for p in pipeline.predict(list(test_texts))]


def embedding_logreg(
    train_embeddings: np.ndarray, train_labels: Sequence[int], test_embeddings: np.ndarray
) -> list[int]:
    """Logistic regression (SetFit's head, without contrastive fine-tuning) on frozen embeddings."""
    from sklearn.linear_model import LogisticRegression

    head = LogisticRegression(max_iter=1000)
    head.fit(train_embeddings, list(train_labels))
    return [int(p) for p in head.predict(test_embeddings)]
