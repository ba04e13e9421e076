"""The pickle-free TwinTransition classifier: Sentence Transformer body + logistic-regression head in safetensors.

SetFit saves its head as `model_head.pkl` (joblib, i.e. pickle). Next to it we publish `twin_head.safetensors`:
the head's coefficients and intercept (in the head's dtype), class names in the metadata. `load_twin_classifier`
loads the body with `SentenceTransformer` and the head from that file, downloading no pickle at all, and reproduces
`SetFitModel.predict_proba` (sigmoid of `embeddings @ coef.T + intercept`, as scikit-learn computes it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twin_transition.inputs import non_english_reason, validate_texts

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
    """A binary TwinTransition classifier that needs no pickle: `predict_proba(texts)` -> `(n, 2)` array."""

    body: SentenceTransformer
    coef: np.ndarray  # (1, dim)
    intercept: np.ndarray  # (1,)
    label: str
    class_names: list[str]
    normalize_embeddings: bool = False

    def check_inputs(self, texts: str | Sequence[str]) -> list[str | None]:
        """Per text, a warning (non-English, or truncated to the body's maximum length) or None. Empty text raises."""
        texts = validate_texts(texts)
        max_tokens = self.body.get_max_seq_length()
        tokenizer = self.body.tokenizer
        warnings: list[str | None] = []
        for text in texts:
            reason = non_english_reason(text)
            if reason:
                warnings.append(f"does not look like English ({reason}); the classifier was trained on English")
            elif len(tokenizer(text, add_special_tokens=True)["input_ids"]) > max_tokens:
                warnings.append(f"longer than {max_tokens} tokens; only the beginning is scored")
            else:
                warnings.append(None)
        return warnings

    def predict_proba(self, texts: str | Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Class probabilities, shape `(n, 2)`: column 1 is the probability of the label (e.g. green)."""
        texts = validate_texts(texts)
        flagged = [i for i, text in enumerate(texts) if non_english_reason(text)]
        if flagged:
            logger.warning(
                "%d of %d text(s) do not look like English (e.g. #%d); the %s classifier was trained on English.",
                len(flagged),
                len(texts),
                flagged[0],
                self.label,
            )
        embeddings = self.body.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=self.normalize_embeddings,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        from scipy.special import expit

        positive = expit((embeddings @ self.coef.T + self.intercept).ravel())
        return np.stack([1.0 - positive, positive], axis=1)

    def predict(self, texts: str | Sequence[str], batch_size: int = 32) -> list[str]:
        """Class names (`"green"` / `"not_green"`), by the larger probability."""
        probs = self.predict_proba(texts, batch_size=batch_size)
        return [self.class_names[int(i)] for i in probs.argmax(axis=1)]


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
    return TwinClassifier(body=body, **head)
