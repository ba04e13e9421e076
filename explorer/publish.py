"""Publish the Explorer Space: assemble a self-contained Space repo folder and push it in one commit (and tag it).

The Space repo holds what a Gradio Space needs and nothing it must install from this project::

    app.py                 the shim (spaces/marketbert-explorer/app.py)
    requirements.txt       pinned to the project's versions (spaces/marketbert-explorer/requirements.txt)
    README.md              SpaceCard front matter: sdk, sdk_version, app_file, models, datasets, hardware, license
    explorer_config.json   the model, dataset and classifier repos the app loads at start-up
    explorer/ marketbert/ twin_transition/   the app's modules: the import closure of `explorer.ui`, copied
"""

from __future__ import annotations

import ast
import logging
import shutil
import tempfile
from pathlib import Path

from hub_client.hub_io import PublishResult, publish_folder, validate_card, validate_repo_id

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SPACE_SOURCE = PROJECT_ROOT / "spaces" / "marketbert-explorer"
SPACE_FILES = ("app.py", "requirements.txt")
APP_ROOT_MODULE = "explorer.ui"
# Project packages the app may use; anything else it imports must come from requirements.txt.
VENDORED_PACKAGES = (
    "explorer",
    "marketbert",
    "twin_transition",
    "dataset_builder",
    "model_cards",
    "nice_classification",
    "hub_client",
)


def _module_file(name: str) -> Path | None:
    path = PROJECT_ROOT.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _imported_names(tree: ast.AST) -> set[str]:
    """Absolute module names a module imports at run time, anywhere in its body (lazy imports in functions
    included, `if TYPE_CHECKING:` blocks excluded)."""
    names: set[str] = set()
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        if _is_type_checking(node):
            todo.extend(node.orelse)
        else:
            todo.extend(ast.iter_child_nodes(node))
    return names


def app_module_files(root_module: str = APP_ROOT_MODULE) -> list[Path]:
    """The project files the app imports: the import closure of `root_module` within `VENDORED_PACKAGES`,
    plus the `__init__.py` of every package on the way."""
    seen: dict[str, Path] = {}
    todo = [root_module]
    while todo:
        name = todo.pop()
        if name in seen or name.split(".")[0] not in VENDORED_PACKAGES:
            continue
        path = _module_file(name)
        if path is None:
            continue  # `from package import function`: the name is not a module
        seen[name] = path
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(_imported_names(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))))
    return sorted(set(seen.values()))


def build_space_folder(folder: str | Path, space_repo: str, config, *, endpoint: str | None = None) -> Path:
    """Write the Space repo's files for `space_repo` serving `config` (an `ExplorerConfig`) into `folder`."""
    from huggingface_hub import constants

    from explorer.inference import CONFIG_FILE
    from explorer.space_card import space_card

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in SPACE_FILES:
        shutil.copy(SPACE_SOURCE / name, folder / name)
    for path in app_module_files():
        target = folder / path.relative_to(PROJECT_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    config.save(folder / CONFIG_FILE)
    card = space_card(config, space_repo, endpoint=endpoint or constants.ENDPOINT)
    validate_card(card, repo_type="space")
    card.save(folder / "README.md")
    return folder


def push_space(
    repo_id: str,
    *,
    model_repo: str,
    twin_green_repo: str | None,
    twin_digital_repo: str | None,
    dataset_repo: str,
    tag: str | None = None,
    revision: str | None = None,
    private: bool = False,
    commit_message: str = "Publish the MarketBERT Explorer Space",
) -> PublishResult:
    """Publish the Explorer Space to `repo_id` (a Gradio Space repo, created if needed) in one commit.

    Files of an earlier version that the new one does not have are deleted in the same commit; re-publishing the
    same content creates no commit. `tag` (e.g. `v1.0`) is created or moved to the published commit.

    Args:
        repo_id: the Space, e.g. `ORG/marketbert-explorer`.
        model_repo: the MarketBERT model repo the app loads.
        twin_green_repo: the green TwinTransition classifier repo (None: no green probability).
        twin_digital_repo: the digital TwinTransition classifier repo (None: no digital probability).
        dataset_repo: the `firm-trademark-sequences` dataset repo (example firms, class relatedness).
        tag: release tag to create or move.
        revision: the branch, tag or commit of the model, dataset and classifier repos the app loads (a release
            tag); None: their `main`.
        private: make the Space private (an existing one is switched to this visibility).
    """
    from explorer.inference import ExplorerConfig

    validate_repo_id(repo_id)
    for repo in (model_repo, dataset_repo, twin_green_repo, twin_digital_repo):
        if repo is not None:
            validate_repo_id(repo)
    config = ExplorerConfig(
        model_repo=model_repo,
        dataset_repo=dataset_repo,
        twin_green_repo=twin_green_repo,
        twin_digital_repo=twin_digital_repo,
        revision=revision,
    )
    with tempfile.TemporaryDirectory(prefix="space-") as tmp:
        build_space_folder(tmp, repo_id, config)
        result = publish_folder(
            tmp,
            repo_id,
            repo_type="space",
            space_sdk="gradio",
            commit_message=commit_message,
            tag=tag,
            private=private,
            delete_patterns=["*"],  # the Space is exactly this folder: drop files a previous version had
        )
    logger.info("Space %s published at %s", repo_id, result.commit[:8])
    return result
