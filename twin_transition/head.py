"""The pickle-free TwinTransition classifier: Sentence Transformer body + logistic-regression head in safetensors.

SetFit saves its head as `model_head.pkl` (joblib, i.e. pickle). Next to it we publish `twin_head.safetensors`:
the head's coefficients and intercept (in the head's dtype), class names in the metadata. `load_twin_classifier`
loads the body with `SentenceTransformer` and the head from that file, downloading no pickle at all, and reproduces
`SetFitModel.predict_proba` on items (sigmoid of `embeddings @ coef.T + intercept`, as scikit-learn computes it); the
description-level rule comes from `twin_decision.json` (see `decision.py`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twin_transition.decision import DecisionRule
from twin_transition.inputs import validate_texts
from twin_transition.items import description_language, split_items

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from setfit import SetFitModel

logger = logging.getLogger(__name__)

HEAD_FILE = "twin_head.safetensors"
HEAD_FORMAT = "twin-transition-logistic-head/1"
# Everything a SetFit repo may hold that unpickles or is not needed; never downloaded by `load_twin_classifier`.
IGNORE_PATTERNS = ["*.pkl", "*.joblib", "*.pt", "*.pth", "*.bin", "*.ckpt", "checkpoints/*", "runs/*"]


def save_head(model: SetFitModel, directory: str | Path, *, label: str) -> Path:
    """Write the logistic-regression head of a trained SetFit `model` to `directory/twin_head.safetensors`."""
    from safetensors.numpy import save_file
    from sklearn.linear_model import LogisticRegression

    head = model.model_head
    if not isinstance(head, LogisticRegression) or not hasattr(head, "coef_"):
        raise ValueError(f"Expected a fitted LogisticRegression head, got {type(head).__name__}")
    classes = [int(c) for c in head.classes_]
    if classes != [0, 1]:
        raise ValueError(f"Expected a binary head with classes [0, 1], got {classes}")
    metadata = {
        "format": HEAD_FORMAT,
        "label": label,
        "class_names": json.dumps(list(model.labels or ["0", "1"])),
        "normalize_embeddings": json.dumps(bool(model.normalize_embeddings)),
    }
    path = Path(directory) / HEAD_FILE
    # Kept in the head's own dtype (float32 when fitted on float32 embeddings) so the arithmetic is the same.
    tensors = {"coef": np.ascontiguousarray(head.coef_), "intercept": np.ascontiguousarray(head.intercept_)}
    save_file(tensors, str(path), metadata=metadata)
    return path


@dataclass
class TwinClassifier:
    """A binary TwinTransition classifier that needs no pickle.

    The head scores items (`item_proba`); a description is split into its items (`items.split_items`) and labelled
    by the calibrated "substantially" rule of `decision` (`twin_decision.json`): `predict_proba(texts)` -> `(n, 2)`
    (column 1: the description's score, >= 0.5 exactly when the rule says 1), `predict`, and `explain`. A
    description that does not look like English is unknown: NaN probabilities, `None` label.
    """

    body: SentenceTransformer
    coef: np.ndarray  # (1, dim)
    intercept: np.ndarray  # (1,)
    label: str
    class_names: list[str]
    normalize_embeddings: bool = False
    decision: DecisionRule = field(default_factory=DecisionRule)

    def check_inputs(self, texts: str | Sequence[str]) -> list[str | None]:
        """Per text, a warning (non-English: scored as unknown; an item cut to the body's maximum length) or None.
        Empty text raises."""
        texts = validate_texts(texts)
        max_tokens = self.body.get_max_seq_length()
        tokenizer = self.body.tokenizer
        warnings: list[str | None] = []
        for text in texts:
            reason = description_language(text)
            items = split_items(text)
            if reason:
                warnings.append(f"does not look like English ({reason}); scored as unknown")
            elif not items:
                warnings.append("has no goods/services item to score; scored as unknown")
            elif any(len(tokenizer(item, add_special_tokens=True)["input_ids"]) > max_tokens for item in items):
                warnings.append(f"has an item longer than {max_tokens} tokens; only its beginning is scored")
            else:
                warnings.append(None)
        return warnings

    def item_proba(self, items: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """The head's probability of the label for each item (or any text), shape `(n,)`, float32."""
        items = list(items)
        if not items:
            return np.empty(0, dtype=np.float32)
        embeddings = self.body.encode(
            items,
            batch_size=batch_size,
            normalize_embeddings=self.normalize_embeddings,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        from scipy.special import expit

        return expit((embeddings @ self.coef.T + self.intercept).ravel())

    def item_scores(self, texts: Sequence[str], batch_size: int = 64) -> list[np.ndarray | None]:
        """Per description, its items' probabilities (in `split_items` order), or None when it is unknown. Every
        distinct item of `texts` is encoded once."""
        texts = validate_texts(texts)
        unknown = [i for i, text in enumerate(texts) if description_language(text)]
        if unknown:
            logger.warning(
                "%d of %d text(s) do not look like English (e.g. #%d): scored as unknown by the %s classifier.",
                len(unknown),
                len(texts),
                unknown[0],
                self.label,
            )
        skip = set(unknown)
        per_text = [None if i in skip else split_items(text) for i, text in enumerate(texts)]
        distinct = list(dict.fromkeys(item for items in per_text if items for item in items))
        probs = dict(zip(distinct, self.item_proba(distinct, batch_size=batch_size), strict=True))
        return [np.array([probs[item] for item in items]) if items else None for items in per_text]

    def predict_proba(self, texts: str | Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Description scores, shape `(n, 2)`: column 1 is the score of the label (>= 0.5: the rule says 1); rows
        of unknown (non-English) descriptions are NaN."""
        scores = np.array(
            [self.decision.score(p) if p is not None else np.nan for p in self.item_scores(texts, batch_size)],
            dtype=np.float64,
        ).reshape(-1)
        return np.stack([1.0 - scores, scores], axis=1)

    def predict(self, texts: str | Sequence[str], batch_size: int = 64) -> list[str | None]:
        """Class names (`"green"` / `"not_green"`) by the decision rule; None for unknown (non-English) texts."""
        return [
            None if p is None else self.class_names[int(self.decision.decide(p))]
            for p in self.item_scores(texts, batch_size)
        ]

    def explain(self, text: str) -> list[tuple[str, float, bool]]:
        """Which items drove the decision: `[(item, p_item, counted)]` in the description's order (`counted`: the
        item is >= the item threshold); empty when the description is unknown (not English)."""
        [probs] = self.item_scores([text])
        if probs is None:
            return []
        items = split_items(text)
        return [
            (item, float(p), bool(p >= self.decision.item_threshold)) for item, p in zip(items, probs, strict=True)
        ]


def read_head(path: str | Path) -> dict:
    """Read and check a `twin_head.safetensors` file: `coef`, `intercept` and its metadata."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: publish the model with hub-release twin push, which writes it.")
    with safe_open(str(path), framework="numpy") as f:
        metadata = f.metadata() or {}
        if metadata.get("format") != HEAD_FORMAT:
            raise ValueError(f"{path}: unknown head format {metadata.get('format')!r}, expected {HEAD_FORMAT!r}")
        coef, intercept = f.get_tensor("coef"), f.get_tensor("intercept")
    if coef.ndim != 2 or coef.shape[0] != 1 or intercept.shape != (1,):
        raise ValueError(f"{path}: expected coef (1, dim) and intercept (1,), got {coef.shape} and {intercept.shape}")
    return {
        "coef": coef,
        "intercept": intercept,
        "label": metadata["label"],
        "class_names": json.loads(metadata["class_names"]),
        "normalize_embeddings": json.loads(metadata["normalize_embeddings"]),
    }


def load_twin_classifier(
    repo_id_or_dir: str | Path,
    *,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    device: str | None = None,
    token: str | bool | None = None,
) -> TwinClassifier:
    """Load a TwinTransition classifier from a local folder or a Hub repo without unpickling anything.

    Args:
        repo_id_or_dir: a folder written by `train_twin`, or a Hub model repo id such as `ORG/twin-transition-green`.
        revision: branch, tag or commit of the Hub repo.
        cache_dir: Hub cache folder (default: the `HF_HOME` cache).
        device: torch device for the body (default: GPU when available).
        token: Hub token (default: the configured one).
    """
    folder = Path(repo_id_or_dir)
    if not folder.is_dir():
        from huggingface_hub import snapshot_download

        folder = Path(
            snapshot_download(
                str(repo_id_or_dir),
                revision=revision,
                cache_dir=cache_dir,
                token=token,
                ignore_patterns=IGNORE_PATTERNS,
            )
        )
    head = read_head(folder / HEAD_FILE)
    from sentence_transformers import SentenceTransformer

    body = SentenceTransformer(str(folder), device=device, trust_remote_code=False)
    dim = body.get_embedding_dimension()
    if head["coef"].shape[1] != dim:
        raise ValueError(f"{folder}: head expects {head['coef'].shape[1]}-dim embeddings but the body gives {dim}")
    return TwinClassifier(body=body, **head, decision=DecisionRule.load(folder))
