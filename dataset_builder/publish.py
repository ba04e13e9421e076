"""Publish a built dataset folder to the Hub in one commit (no commit when nothing changed).

Call :func:`hub_client.client_env.configure_client_env` first when the endpoint is not already in the environment.
"""

from __future__ import annotations

import logging
from pathlib import Path

from dataset_builder.report import REPO_DIR, BuildReport

logger = logging.getLogger(__name__)

# Remote files under these patterns that the new build does not have are deleted in the same commit, so that a
# rebuild with fewer shards never leaves stale shards behind.
DELETE_PATTERNS = ["data/**", "images/**"]


def push_dataset(out_dir: str | Path, repo_id: str, tag: str | None = None, *, private: bool = False):
    """Push the build in `out_dir` (its `repo/` folder) to the dataset repo `repo_id`; returns a `PublishResult`.

    The card is rendered again for `repo_id` (its usage snippet names the repo) and validated by the Hub first.

    Raises:
        FileNotFoundError: `out_dir` holds no build.
    """
    from hub_client.client_env import configure_client_env

    configure_client_env()
    from huggingface_hub import DatasetCard

    from dataset_builder.schema import dataset_layout
    from hub_client.hub_io import publish_folder, validate_card, validate_repo_id
    from model_cards.dataset_card import write_dataset_card

    validate_repo_id(repo_id)
    report = BuildReport.load(out_dir)
    readme = write_dataset_card(report, dataset_layout(), repo_id)
    validate_card(DatasetCard.load(readme), repo_type="dataset")
    result = publish_folder(
        Path(out_dir) / REPO_DIR,
        repo_id,
        repo_type="dataset",
        commit_message=(
            f"Dataset build ({report.source}): {sum(report.firms.values())} firms, "
            f"{sum(report.filings.values())} filings"
        ),
        tag=tag,
        private=private,
        delete_patterns=DELETE_PATTERNS,
    )
    logger.info("Dataset %s %s", repo_id, "published" if result.created_commit else "unchanged")
    return result
