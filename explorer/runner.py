"""Run a published Space "as hosted": download its repo from the Hub and start its `app.py` here.

Like the hosting, it installs nothing: the current environment must already have the Space's requirements. The
app is started with this interpreter in the downloaded folder (so its own copy of the code is imported), listening
on `host:port`; it loads its models from the same Hub (`HF_ENDPOINT` is passed on).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from hub_client.errors import SpaceRunError

logger = logging.getLogger(__name__)


class _Terminated(Exception):
    """SIGTERM arrived: stop the app too, so no orphan keeps its port."""


def _raise_on_sigterm():
    def handler(signum, frame):
        raise _Terminated

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        return None


def download_space(repo_id: str, local_dir: str | Path, *, revision: str | None = None) -> Path:
    """Download the Space repo into `local_dir` (plain files, not cache symlinks) and return its app file."""
    from huggingface_hub import SpaceCard, snapshot_download

    folder = Path(snapshot_download(repo_id, repo_type="space", revision=revision, local_dir=str(local_dir)))
    readme = folder / "README.md"
    data = SpaceCard.load(readme).data if readme.is_file() else None
    sdk = data.sdk if data else None
    if sdk != "gradio":
        raise SpaceRunError(f"Space {repo_id} has sdk {sdk!r} in its README; only Gradio Spaces can be run here.")
    app_file = folder / (data.app_file or "app.py")
    if not app_file.is_file():
        raise SpaceRunError(f"Space {repo_id} has no app file {app_file.name!r}.")
    if (folder / "requirements.txt").is_file():
        for line in unmet_requirements(folder / "requirements.txt"):
            logger.warning("Space requirement not met by this environment (installing nothing): %s", line)
    return app_file


def unmet_requirements(requirements_file: str | Path) -> list[str]:
    """The lines of a requirements file that the current environment does not satisfy (nothing is installed)."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import InvalidRequirement, Requirement

    unmet = []
    for line in Path(requirements_file).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            requirement = Requirement(line)
            installed = version(requirement.name)
        except InvalidRequirement:
            unmet.append(f"{line} (not a requirement this runner can check)")
            continue
        except PackageNotFoundError:
            unmet.append(f"{line} (not installed)")
            continue
        if not requirement.specifier.contains(installed.split("+")[0], prereleases=True):
            unmet.append(f"{line} (installed: {installed})")
    return unmet


def space_env(port: int, host: str = "127.0.0.1") -> dict[str, str]:
    """The environment of the app process: the current one, plus where Gradio listens and no telemetry."""
    return {
        **os.environ,
        "GRADIO_SERVER_NAME": host,
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "PYTHONUNBUFFERED": "1",
    }


def start_space(app_file: str | Path, *, port: int, host: str = "127.0.0.1", **popen_kwargs) -> subprocess.Popen:
    """Start `python app.py` in the app's folder (as the hosting does) and return the process."""
    app_file = Path(app_file)
    return subprocess.Popen(
        [sys.executable, app_file.name], cwd=app_file.parent, env=space_env(port, host), **popen_kwargs
    )


def run_space(
    repo_id: str,
    *,
    port: int = 7860,
    host: str = "127.0.0.1",
    revision: str | None = None,
    local_dir: str | Path | None = None,
) -> int:
    """Download Space `repo_id` and serve its app on `host:port` until it exits or is interrupted.

    Args:
        repo_id: the Space, e.g. `ORG/marketbert-explorer`.
        port: port the app listens on.
        host: interface the app listens on (loopback by default).
        revision: branch, tag or commit of the Space repo.
        local_dir: where to put the Space's files (default: a temporary folder, removed afterwards).

    Returns:
        The app's exit code (0 after Ctrl-C).
    """
    workdir = Path(local_dir) if local_dir else Path(tempfile.mkdtemp(prefix="space-run-"))
    try:
        app_file = download_space(repo_id, workdir, revision=revision)
        logger.info("Starting %s from %s on http://%s:%d", repo_id, app_file.parent, host, port)
        process = start_space(app_file, port=port, host=host)
        previous = _raise_on_sigterm()
        try:
            return process.wait()
        except (KeyboardInterrupt, _Terminated):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            return 0
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    finally:
        if local_dir is None:
            shutil.rmtree(workdir, ignore_errors=True)
