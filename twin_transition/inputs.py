"""Checks on texts before they reach a classifier: empty text is an error; non-English text is flagged.

The classifiers were trained on English Nice-class wording. Long texts are not an error: the body truncates them
to its maximum sequence length (256 word pieces for all-MiniLM-L6-v2), so only their beginning is scored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_CLASS_PREFIX = re.compile(r"\bClass\s+\d{1,2}\s*:\s*", re.IGNORECASE)
_ENGLISH = frozenset(
    "and of for the in on with to not being namely including or other services apparatus goods".split()
)
# Function words of the other big EU/US registry languages (German, French, Spanish, Italian, Dutch, Portuguese).
_FOREIGN = frozenset(
    (
        "und der die das für von mit oder nicht zur zum "
        "et des les du pour avec ou sur dans "
        "y los las del para con por "
        "di per il della dei degli e "
        "het een voor van en "
        "da do dos das em para com"
    ).split()
)


def validate_texts(texts: str | Sequence[str]) -> list[str]:
    """Return `texts` as a list; raise `ValueError` naming the first empty or non-string item."""
    if isinstance(texts, str):
        texts = [texts]
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"Text #{i} is a {type(text).__name__}, expected a string.")
        if not text.strip():
            raise ValueError(f"Text #{i} is empty: give a goods/services description to classify.")
    return texts


def non_english_reason(text: str) -> str | None:
    """Why `text` does not look like English (a cheap heuristic), or None when it does."""
    letters = [c for c in text if c.isalpha()]
    if letters:
        non_latin = sum(1 for c in letters if ord(c) > 0x24F)  # beyond Latin Extended-B
        if non_latin / len(letters) > 0.3:
            return "mostly non-Latin script"
    words = [w.lower() for w in _WORD.findall(text)]
    foreign = sum(w in _FOREIGN for w in words)
    if foreign >= 2 and foreign > sum(w in _ENGLISH for w in words):
        return "more non-English than English function words"
    return None


def filing_text(goods_services: str | None) -> str:
    """The classifier input for a filing: its goods/services text without the "Class 9:" markers."""
    return " ".join(_CLASS_PREFIX.sub("", goods_services or "").split())
