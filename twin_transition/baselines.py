"""Baselines computed in the same run as SetFit: TF-IDF + logistic regression, logistic regression on frozen
(not fine-tuned) sentence embeddings, and a keyword rule written from the labelling guide (not tuned on data)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from twin_transition.labels import check_label

# Stems from data/LABELLING_GUIDE.md and the rubric, in Nice wording, avoiding its named keyword traps ("wind" alone
# matches windows, "environment" matches environmental control apparatus, "carbon" carbonated water, "insulat"
# electrical insulators, "charging" phone chargers, "digital" digital thermometers, "electronic" e-cigarettes). A text
# is positive when any pattern matches (case-insensitive); written from the definitions, not tuned on the splits.
KEYWORDS: dict[str, list[str]] = {
    "green": [
        r"solar (panel|cell|batter|thermal|collector|furnace|energy|power|water heater)",
        r"photovolta",
        r"wind (turbine|power|energy|farm)",
        r"wind-powered",
        r"renewable",
        r"hydroelectric",
        r"geothermal",
        r"tidal (power|energy)",
        r"biofuel",
        r"biogas",
        r"biomass",
        r"hydrogen fuel",
        r"fuel cell",
        r"heat pump",
        r"(thermal|heat) insulation|for insulation|insulating glass",
        r"energy[- ](saving|efficien|audit)",
        r"electric (vehicle|car|bus|bicycle|bike|scooter|motorcycle)",
        r"charging (station|point)s? for electric",
        r"recycl",
        r"upcycl",
        r"compost",
        r"biodegradable",
        r"reusable",
        r"refurbish",
        r"emission",
        r"pollution",
        r"catalytic converter",
        r"waste (treatment|management|collection|sorting|water)|wastewater|sewage",
        r"water (treatment|purif)|desalination",
        r"environmental (protection|consult|impact|monitor|conservation)",
        r"carbon (offset|credit|capture|footprint|neutral)",
        r"net zero",
        r"sustainab",
        r"reforest",
    ],
    "digital": [
        r"software",
        r"computer",
        r"\bdata\b",
        r"downloadable",
        r"online|on-line",
        r"internet",
        r"telecommunicat",
        r"\bapps?\b|application software",
        r"cloud computing",
        r"network",
        r"artificial intelligence",
        r"\bIT\b",
        r"cyber",
        r"platform",
        r"web ?site|web page",
        r"smartphone|mobile (tele)?phone",
        r"semiconductor|integrated circuit|microprocessor",
        r"electronic (publication|data|mail|funds|commerce)",
        r"blockchain|crypto",
        r"\bSaaS\b",
        r"\bIoT\b",
        r"digiti[sz]",
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
