"""A tiny but real release for the Space's tests and benchmark: toy dataset, MarketBERT, TwinTransition heads.

`publish_toy_release(namespace)` trains a tiny MarketBERT (a few steps) on a synthetic `sequences` dataset, fits
two TwinTransition heads on a handful of embeddings from the bundled all-MiniLM-L6-v2 body, publishes all four
repos to the Hub named by `HF_ENDPOINT` and returns the `ExplorerConfig` that points at them.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from explorer.inference import ExplorerConfig

logger = logging.getLogger(__name__)

TWIN_EXAMPLES = {
    "green": (
        ["solar panels", "wind turbines", "recycling services", "electric vehicle charging stations"],
        ["clothing", "beer", "legal services", "chocolate"],
    ),
    "digital": (
        ["computer software", "cloud computing", "mobile apps", "data processing services"],
        ["furniture", "wine", "hand tools", "leather bags"],
    ),
}


def build_toy_marketbert(output_dir: str | Path, dataset, *, max_steps: int = 8) -> Path:
    """Train MarketBERT with the `tiny` preset for `max_steps` steps on `dataset`; return the model folder."""
    from marketbert.train import train_marketbert

    overrides = {"max_steps": max_steps, "save_strategy": "no", "surprisal": False, "logging_steps": max_steps}
    train_marketbert(dataset, "tiny", output_dir, overrides=overrides)
    return Path(output_dir) / "model"


def build_toy_twin(output_dir: str | Path, label: str) -> Path:
    """A SetFit TwinTransition classifier for `label` (body untouched, head fitted on 8 texts), saved with its
    pickle-free head."""
    from setfit import SetFitModel
    from sklearn.linear_model import LogisticRegression

    from twin_transition.decision import DecisionRule
    from twin_transition.head import save_head
    from twin_transition.labels import class_names
    from twin_transition.training import body_path

    positive, negative = TWIN_EXAMPLES[label]
    model = SetFitModel.from_pretrained(str(body_path()), labels=class_names(label))
    embeddings = model.model_body.encode(positive + negative, convert_to_numpy=True, show_progress_bar=False)
    model.model_head = LogisticRegression(C=10.0).fit(embeddings, [1] * len(positive) + [0] * len(negative))
    output_dir = Path(output_dir)
    model.save_pretrained(str(output_dir))
    save_head(model, output_dir, label=label)
    DecisionRule().save(output_dir)  # the default share rule (a third of the items), as a trained folder has one
    return output_dir


def publish_toy_release(namespace: str, *, suffix: str = "", n_firms: int = 60) -> ExplorerConfig:
    """Build and publish the toy dataset, MarketBERT and both TwinTransition classifiers under `namespace`."""
    from hub_client.hub_io import publish_folder
    from marketbert.publish import publish_marketbert
    from tests.helpers.toy_data import make_toy_sequences

    config = ExplorerConfig(
        model_repo=f"{namespace}/marketbert{suffix}",
        dataset_repo=f"{namespace}/firm-trademark-sequences{suffix}",
        twin_green_repo=f"{namespace}/twin-transition-green{suffix}",
        twin_digital_repo=f"{namespace}/twin-transition-digital{suffix}",
        n_examples=5,
    )
    dataset = make_toy_sequences(n_firms=n_firms, seed=0)
    dataset.push_to_hub(config.dataset_repo, config_name="sequences")
    with tempfile.TemporaryDirectory() as tmp:
        build_toy_marketbert(Path(tmp) / "marketbert", dataset)
        # With its real card (front matter, model-index from the evaluation), as the release publishes it.
        publish_marketbert(Path(tmp) / "marketbert", config.model_repo, dataset_id=config.dataset_repo)
        for label, repo in config.twin_repos().items():
            publish_folder(build_toy_twin(Path(tmp) / label, label), repo, commit_message=f"Toy twin {label}")
    logger.info("Toy release published under %s", namespace)
    return config
