"""A 2-D map of the learned Nice class embeddings (PCA of the input embedding rows of `NICE_01` ... `NICE_45`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from marketbert.tokenizer import NICE_TOKENS

FIRST_SERVICE_CLASS = 35  # Nice classes 1-34 are goods, 35-45 services


def class_embeddings(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast) -> np.ndarray:
    """The `(45, hidden)` input embeddings of the Nice class tokens."""
    ids = tokenizer.convert_tokens_to_ids(list(NICE_TOKENS))
    return model.get_input_embeddings().weight[ids].detach().float().cpu().numpy()


def project_2d(vectors: np.ndarray, seed: int = 0) -> np.ndarray:
    """PCA to two dimensions (deterministic)."""
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=seed).fit_transform(vectors)


def plot_class_embeddings(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, path: str | Path) -> Path:
    """Save the class map as a PNG at `path` (goods and services coloured apart) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = project_2d(class_embeddings(model, tokenizer))
    classes = np.arange(1, len(NICE_TOKENS) + 1)
    services = classes >= FIRST_SERVICE_CLASS
    fig, ax = plt.subplots(figsize=(7, 6), dpi=120)
    ax.scatter(*points[~services].T, c="tab:blue", label="goods (1-34)", s=30)
    ax.scatter(*points[services].T, c="tab:orange", label="services (35-45)", s=30)
    for (x, y), c in zip(points, classes, strict=True):
        ax.annotate(str(c), (x, y), textcoords="offset points", xytext=(3, 3), fontsize=7)
    ax.set_title("MarketBERT: Nice class embeddings (PCA)")
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
