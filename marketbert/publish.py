"""Publish a trained MarketBERT: card from the evaluation JSON, validated, one commit, a release tag."""

from __future__ import annotations

import logging
from pathlib import Path

from hub_client.hub_io import PublishResult, publish_folder, validate_repo_id
from model_cards.marketbert_card import write_marketbert_card

logger = logging.getLogger(__name__)

REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "eval_results.json")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
METRIC_DIR = Path(__file__).parent / "metrics" / "next_filing"


def model_folder(output_dir: str | Path) -> Path:
    """The release folder of a training run: `<output_dir>/model`, or `output_dir` itself if it is one."""
    output_dir = Path(output_dir)
    folder = output_dir / "model" if (output_dir / "model" / "config.json").exists() else output_dir
    missing = [name for name in REQUIRED_FILES if not (folder / name).exists()]
    if missing:
        raise FileNotFoundError(f"{folder} is not a trained MarketBERT folder: missing {', '.join(missing)}.")
    pickles = sorted(p.name for p in folder.rglob("*") if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise ValueError(f"{folder} holds pickle files {pickles}: MarketBERT is published as safetensors only.")
    return folder


def publish_marketbert(
    output_dir: str | Path,
    repo_id: str,
    tag: str | None = None,
    *,
    dataset_id: str | None = None,
    private: bool = False,
    commit_message: str = "Publish MarketBERT",
) -> PublishResult:
    """Write and validate the model card, then publish the model folder to `repo_id` in one commit (and tag it).

    Args:
        output_dir: a `train_marketbert` output dir (or its `model/` folder).
        repo_id: `namespace/name` of the model repo (created if needed).
        tag: release tag to create or move, e.g. `v1.0`.
        dataset_id: the training dataset's repo id, linked from the card (default: the one recorded at training).
        private: make the repo private (an existing repo is switched to this visibility).
    """
    validate_repo_id(repo_id)
    folder = model_folder(output_dir)
    write_marketbert_card(folder, repo_id, dataset_id=dataset_id)
    result = publish_folder(
        folder, repo_id, repo_type="model", commit_message=commit_message, tag=tag, private=private
    )
    logger.info("MarketBERT published to %s (%s)", result.url, result.commit[:8])
    return result


def publish_next_filing_metric(repo_id: str, tag: str | None = None) -> PublishResult:
    """Publish the next-filing `evaluate` module as a Space, so `evaluate.load(repo_id)` works for users."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        name = repo_id.split("/")[-1].replace("-", "_")
        shutil.copy(METRIC_DIR / "next_filing.py", Path(tmp) / f"{name}.py")
        (Path(tmp) / "README.md").write_text(
            "---\ntitle: Next-filing ranking metrics\nsdk: gradio\napp_file: app.py\ntags:\n- evaluate\n- metric\n"
            "---\n\n# Next-filing ranking metrics\n\nRecall@k, Acc@k, MRR and AUC-PR for ranking labels (Nice "
            f"classes, items) of a firm's next filing.\n\n```python\nimport evaluate\nmetric = evaluate.load("
            f'"{repo_id}")\n```\n',
            encoding="utf-8",
        )
        (Path(tmp) / "app.py").write_text(
            f'"""Placeholder app: the metric is used with evaluate.load("{repo_id}")."""\n', encoding="utf-8"
        )
        (Path(tmp) / "requirements.txt").write_text("evaluate\nnumpy\n", encoding="utf-8")
        return publish_folder(
            tmp,
            repo_id,
            repo_type="space",
            space_sdk="gradio",
            tag=tag,
            commit_message="Publish the next-filing metric",
        )
