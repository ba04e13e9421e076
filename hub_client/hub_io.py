"""Hub I/O shared by every stage: create a repo, publish a folder in one commit, tag it.

Works against any Hub endpoint (the embedded local Hub or huggingface.co): everything goes through `HfApi`.
Call :func:`hub_client.client_env.configure_client_env` before importing this module.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from hub_client.errors import PermanentHubError
from hub_client.retry import with_retries

logger = logging.getLogger(__name__)

RepoType = Literal["model", "dataset", "space"]
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


def validate_repo_id(repo_id: str) -> str:
    """Return `repo_id` if it is `namespace/name` with Hub-legal characters, else raise `ValueError`."""
    if not _REPO_ID.match(repo_id) or ".." in repo_id or "--" in repo_id or repo_id.endswith((".git", ".")):
        raise ValueError(
            f"Invalid repo id {repo_id!r}: expected 'namespace/name' using letters, digits, '-', '_' and '.' "
            "(no '--' or '..', at most 96 characters each)."
        )
    return repo_id


@dataclass(frozen=True)
class PublishResult:
    """Where a publish landed. `created_commit` is False when the content was already there (no new commit)."""

    repo_id: str
    repo_type: RepoType
    url: str
    commit: str
    created_commit: bool
    tag: str | None = None


def publish_folder(
    folder: str | Path,
    repo_id: str,
    *,
    repo_type: RepoType = "model",
    commit_message: str = "Upload with hub-release",
    tag: str | None = None,
    private: bool = False,
    space_sdk: str | None = None,
    delete_patterns: list[str] | None = None,
    api: HfApi | None = None,
) -> PublishResult:
    """Publish `folder` to `repo_id` in one commit (creating the repo if needed) and optionally tag it.

    Re-publishing identical content creates no commit; an existing tag pointing elsewhere is moved; an existing
    repo gets the requested visibility. Every Hub call here retries transient errors (connection, 429, 5xx, commit
    conflicts) with backoff, so callers must not retry a publish again; permanent errors raise `PermanentHubError`
    with a one-line explanation.
    """
    validate_repo_id(repo_id)
    api = api or HfApi()
    where = f"{repo_type} {repo_id}"
    repo_url = with_retries(
        lambda: api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True, space_sdk=space_sdk),
        what=f"Creating {where}",
    )
    repo = with_retries(lambda: api.repo_info(repo_id, repo_type=repo_type), what=f"Reading {where}")
    before = repo.sha
    if bool(repo.private) != private:  # an existing repo keeps its visibility through create_repo(exist_ok=True)
        with_retries(lambda: set_visibility(repo_id, private=private, repo_type=repo_type, api=api), what=where)
    info = with_retries(
        lambda: api.upload_folder(
            folder_path=str(folder),
            repo_id=repo_id,
            repo_type=repo_type,
            commit_message=commit_message,
            delete_patterns=delete_patterns,
        ),
        what=f"Uploading to {where}",
    )
    commit = info.oid or before
    created = commit != before
    if tag:
        with_retries(lambda: tag_revision(repo_id, tag, commit, repo_type=repo_type, api=api), what=f"Tagging {where}")
    logger.info(
        "%s %s at %s%s", "published" if created else "unchanged", repo_id, commit[:8], f" ({tag})" if tag else ""
    )
    return PublishResult(repo_id, repo_type, str(repo_url), commit, created, tag)


def tag_revision(
    repo_id: str, tag: str, revision: str, *, repo_type: RepoType = "model", api: HfApi | None = None
) -> None:
    """Point `tag` at `revision`, creating it, or moving it when it points elsewhere."""
    api = api or HfApi()
    refs = api.list_repo_refs(repo_id, repo_type=repo_type)
    current = next((t.target_commit for t in refs.tags if t.name == tag), None)
    if current == revision:
        return
    if current is not None:
        api.delete_tag(repo_id, tag=tag, repo_type=repo_type)
    try:
        api.create_tag(repo_id, tag=tag, revision=revision, repo_type=repo_type)
    except HfHubHTTPError as err:  # pragma: no cover - a concurrent writer created it in between
        raise RuntimeError(f"Could not tag {repo_type} {repo_id} with {tag!r}: {err}") from err


def set_visibility(repo_id: str, *, private: bool, repo_type: RepoType = "model", api: HfApi | None = None) -> None:
    """Make a repo private or public (its settings; no commit)."""
    api = api or HfApi()
    api.update_repo_settings(repo_id, private=private, repo_type=repo_type)
    logger.info("%s %s is now %s", repo_type, repo_id, "private" if private else "public")


def validate_card(card, *, repo_type: RepoType) -> None:
    """Check a card's metadata with the Hub's validate-yaml endpoint (retried like every Hub call here).

    Raises:
        ValueError: the Hub refused the metadata (as `card.validate` does).
    """
    try:
        with_retries(lambda: card.validate(repo_type=repo_type), what=f"Validating the {repo_type} card")
    except PermanentHubError as err:
        if isinstance(err.__cause__, ValueError):  # invalid metadata, not a Hub failure
            raise err.__cause__ from None
        raise
