"""Publish the TwinTransition classifiers and their labelled data to a Hub (one commit each, optionally tagged).

Call `hub_client.client_env.configure_client_env()` before importing Hugging Face libraries (the CLI does).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from twin_transition.decision import DECISION_FILE, DecisionRule
from twin_transition.head import HEAD_FILE, read_head
from twin_transition.labelled_data import DATA_DIR, SPLITS, label_counts, load_labelled_data
from twin_transition.labels import LABELS
from twin_transition.training import RESULTS_FILE

if TYPE_CHECKING:
    from huggingface_hub import HfApi

    from hub_client.hub_io import PublishResult

logger = logging.getLogger(__name__)

# Files a trained folder must hold: stock SetFit loading, the pickle-free head, and the results for the card.
REQUIRED_FILES = (
    "config_setfit.json",
    "modules.json",
    "model.safetensors",
    "model_head.pkl",
    HEAD_FILE,
    DECISION_FILE,
    RESULTS_FILE,
)
LEARNING_CURVE_FILES = ("learning_curve.png", "learning_curve.md")


def check_model_dir(output_dir: str | Path) -> dict:
    """Raise `FileNotFoundError` naming what is missing from a trained folder; return its `twin_results.json`."""
    output_dir = Path(output_dir)
    missing = [name for name in REQUIRED_FILES if not (output_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{output_dir} is not a trained TwinTransition model folder: missing {missing}. "
            "Run `hub-release twin train --output-dir ...` first."
        )
    read_head(output_dir / HEAD_FILE)  # readable, right format
    DecisionRule.load(output_dir)
    return json.loads((output_dir / RESULTS_FILE).read_text(encoding="utf-8"))


def publish_twin(
    output_dir: str | Path,
    repo_id: str,
    *,
    tag: str | None = None,
    dataset_repo_id: str | None = None,
    learning_curve_dir: str | Path | None = None,
    private: bool = False,
    api: HfApi | None = None,
) -> PublishResult:
    """Publish a folder written by `train_twin` to the model repo `repo_id`, with the enriched, validated card.

    The card (README.md) is rewritten in `output_dir` first, with the learning curve (`learning_curve.png` and
    `.md` of `learning_curve_dir`, copied into the folder) when given; the push is one commit, tagged with `tag` if
    given.
    """
    from hub_client.hub_io import publish_folder, validate_card, validate_repo_id
    from model_cards.twin_card import build_twin_model_card

    validate_repo_id(repo_id)
    results = check_model_dir(output_dir)
    label = results["label"]
    if learning_curve_dir is not None:
        for name in LEARNING_CURVE_FILES:
            shutil.copyfile(Path(learning_curve_dir) / name, Path(output_dir) / name)
    card = build_twin_model_card(
        output_dir, repo_id=repo_id, dataset_repo_id=dataset_repo_id, label_definition=LABELS[label]
    )
    validate_card(card, repo_type="model")
    card.save(Path(output_dir) / "README.md")
    return publish_folder(
        output_dir,
        repo_id,
        repo_type="model",
        commit_message=f"Publish TwinTransition {label} classifier (SetFit)",
        tag=tag,
        private=private,
        api=api,
    )


def publish_twin_dataset(
    repo_id: str,
    *,
    tag: str | None = None,
    data_dir: str | Path | None = None,
    private: bool = False,
    api: HfApi | None = None,
) -> PublishResult:
    """Publish the labelled data (`data/{train,test}.jsonl`, the labelling guide, a card) as a dataset repo."""
    from hub_client.hub_io import publish_folder, validate_card, validate_repo_id
    from model_cards.twin_card import build_twin_dataset_card

    validate_repo_id(repo_id)
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    data = load_labelled_data(data_dir)  # checks every record before anything is pushed
    categories = {split: dict(Counter(data[split]["category"])) for split in data}
    card = build_twin_dataset_card(label_counts(data), categories, repo_id=repo_id, label_definitions=LABELS)
    validate_card(card, repo_type="dataset")
    with tempfile.TemporaryDirectory(prefix="twin-dataset-") as staging:
        staging = Path(staging)
        (staging / "data").mkdir()
        for split in SPLITS:
            shutil.copyfile(data_dir / f"{split}.jsonl", staging / "data" / f"{split}.jsonl")
        shutil.copyfile(DATA_DIR / "LABELLING_GUIDE.md", staging / "LABELLING_GUIDE.md")
        card.save(staging / "README.md")
        return publish_folder(
            staging,
            repo_id,
            repo_type="dataset",
            commit_message="Publish TwinTransition labelled data",
            tag=tag,
            private=private,
            api=api,
        )
