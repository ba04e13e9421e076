"""Spaces hosted by the Hub: each Gradio Space runs its pinned commit in its own child process on a loopback port.

A Space starts on a push to its `main` (restarting it if it runs) or on the first visit. Its files at the commit
are copied into a run folder (`<data-dir>/spaces-run/<ns>--<name>/<commit>/`) and its app file is started there with
this interpreter (nothing is installed: the environment must have the Space's requirements), under
`GRADIO_ROOT_PATH=/spaces/<ns>/<name>` so the app's URLs point through the Hub's proxy, with `HF_ENDPOINT` set to
this Hub. The child gets no token and none of the Hub's secrets (variables named like tokens, keys and passwords
are dropped; its `HF_HOME` is its own), and the log tail shown on pages is redacted.

Stages follow huggingface_hub's `SpaceStage`: BUILDING (copying files, starting, until the app answers), RUNNING,
RUNTIME_ERROR (the process exited or never answered), SLEEPING (stopped when idle, or to make room: at most
`max_running` run at once), NO_APP_FILE / CONFIG_ERROR (nothing to run).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

from local_hub.cards import front_matter
from local_hub.net import free_port
from local_hub.storage import MAIN, HubStorage, Repo

logger = logging.getLogger(__name__)

CHILD_SCRIPT = Path(__file__).with_name("space_child.py")
RUN_DIR = "spaces-run"
STATE_FILE = "space.json"
START_TIMEOUT = 600.0
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSW|API_?KEY|PRIVATE_?KEY|CREDENTIAL", re.IGNORECASE)
_TOKEN_TEXT = re.compile(r"\bhf_[A-Za-z0-9]{8,}")
_STOPPED = ("SLEEPING", "STOPPED")


@dataclass(frozen=True)
class SpaceStatus:
    """What pages and the runtime API show of a hosted Space."""

    repo_id: str
    stage: str
    commit: str | None = None
    port: int | None = None
    message: str = ""  # why it failed or is not running
    error_seen: bool = False  # the error was shown on a page once: the next visit restarts

    @property
    def word(self) -> str:
        """building / running / error / sleeping, as a status badge says it."""
        if self.stage in ("RUNTIME_ERROR", "BUILD_ERROR", "CONFIG_ERROR", "NO_APP_FILE"):
            return "error"
        return self.stage.lower()


@dataclass
class _Run:
    status: SpaceStatus
    folder: Path
    process: subprocess.Popen[bytes] | None = None
    last_access: float = 0.0
    stopping: bool = False


class SpaceHost:
    """Starts, watches, restarts and stops the Hub's Spaces (`SpaceHost(storage, endpoint, max_running=2)`)."""

    def __init__(
        self,
        storage: HubStorage,
        endpoint: str,
        *,
        max_running: int = 2,
        idle_timeout: float = 3600.0,
        python: str = sys.executable,
    ) -> None:
        if max_running < 1:
            raise ValueError(f"max_running must be >= 1, got {max_running}")
        self.storage = storage
        self.endpoint = endpoint.rstrip("/")
        self.max_running = max_running
        self.idle_timeout = idle_timeout
        self.python = python
        self.root = storage.root / RUN_DIR
        self._runs: dict[str, _Run] = {}
        self._lock = threading.RLock()
        self._closed = threading.Event()
        threading.Thread(target=self._reap_idle, name="space-reaper", daemon=True).start()

    # -- what requests call ------------------------------------------------------------------------------------------
    def status(self, repo: Repo) -> SpaceStatus:
        with self._lock:
            run = self._runs.get(repo.repo_id)
            return run.status if run else SpaceStatus(repo.repo_id, "SLEEPING", message="Not started yet")

    def visit(self, repo: Repo, *, page: bool) -> SpaceStatus:
        """A visit (a page view when `page`, else a proxied request): start the Space if it is not running its
        `main` head; an error is shown on one page view and restarted by the next one."""
        head = self.storage.resolve(repo, MAIN).oid
        with self._lock:
            run = self._runs.get(repo.repo_id)
            if run is not None:
                run.last_access = time.monotonic()
            status = run.status if run else None
            if status is not None and status.word == "error":
                if page and not status.error_seen:
                    run.status = replace(status, error_seen=True)
                    return status
                if not status.error_seen:
                    return status
            elif status is not None and status.stage not in _STOPPED and status.commit == head:
                return status
            return self._start(repo, head)

    def on_push(self, repo: Repo, commit: str) -> None:
        """A new commit on the Space's `main`: (re)start it on that commit."""
        with self._lock:
            self._start(repo, commit)

    def log_tail(self, repo_id: str, lines: int = 40) -> str:
        """The last `lines` lines of the Space's log, with anything that looks like a token redacted."""
        with self._lock:
            run = self._runs.get(repo_id)
        path = run.folder / "space.log" if run else None
        if path is None or not path.is_file():
            return ""
        with open(path, "rb") as fh:
            fh.seek(max(path.stat().st_size - 64_000, 0))
            text = fh.read().decode("utf-8", "replace")
        return redact("\n".join(text.splitlines()[-lines:]))

    def stop(self, repo_id: str, *, stage: str = "STOPPED", message: str = "", wait: bool = True) -> None:
        with self._lock:
            run = self._runs.get(repo_id)
            if run is None:
                return
            run.stopping = True
            run.status = replace(run.status, stage=stage, port=None, message=message)
            process = run.process
        _terminate(process, wait=wait)

    def close(self) -> None:
        """Stop every Space (the Hub is shutting down)."""
        self._closed.set()
        for repo_id in list(self._runs):
            self.stop(repo_id)

    # -- starting and watching ---------------------------------------------------------------------------------------
    def _start(self, repo: Repo, commit: str) -> SpaceStatus:
        """(Re)start `repo` at `commit` in the background; the caller holds the lock."""
        old = self._runs.get(repo.repo_id)
        if old is not None:
            old.stopping = True
            _terminate(old.process, wait=False)
        self._make_room(repo.repo_id)
        folder = self.root / repo.repo_id.replace("/", "--") / commit
        run = _Run(SpaceStatus(repo.repo_id, "BUILDING", commit), folder, last_access=time.monotonic())
        self._runs[repo.repo_id] = run
        threading.Thread(target=self._launch, args=(repo, run), name=f"space-{repo.name}", daemon=True).start()
        logger.info("Starting Space %s at %s", repo.repo_id, commit[:8])
        return run.status

    def _make_room(self, starting: str) -> None:
        active = [r for k, r in self._runs.items() if k != starting and r.status.stage in ("BUILDING", "RUNNING")]
        for run in sorted(active, key=lambda r: r.last_access)[: max(len(active) - self.max_running + 1, 0)]:
            logger.info("Stopping Space %s: at most %d run at once", run.status.repo_id, self.max_running)
            message = f"Stopped: at most {self.max_running} run at once"
            self.stop(run.status.repo_id, stage="SLEEPING", message=message, wait=False)

    def _set(self, run: _Run, **changes: object) -> None:
        with self._lock:
            if not run.stopping:
                run.status = replace(run.status, **changes)

    def _launch(self, repo: Repo, run: _Run) -> None:
        try:
            app_file = self._materialize(repo, run)
        except _NotRunnable as err:
            return self._set(run, stage=err.stage, message=str(err))
        except Exception as err:  # a broken repo must not take the Hub down
            logger.exception("Space %s: could not prepare its files", repo.repo_id)
            return self._set(run, stage="BUILD_ERROR", message=f"Could not prepare the files: {err}")
        port = free_port()
        log = open(run.folder / "space.log", "ab")
        with self._lock:
            if run.stopping:
                log.close()
                return
            run.process = subprocess.Popen(
                [self.python, str(CHILD_SCRIPT), app_file],
                cwd=run.folder,
                env=self._child_env(repo, port),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        log.close()
        (run.folder / STATE_FILE).write_text(json.dumps({"pid": run.process.pid, "port": port}))
        self._watch(run, port)

    def _watch(self, run: _Run, port: int) -> None:
        process, deadline = run.process, time.monotonic() + START_TIMEOUT
        assert process is not None
        while process.poll() is None and not _answers(port):
            if time.monotonic() > deadline:
                _terminate(process)
                return self._set(run, stage="RUNTIME_ERROR", message=f"No answer within {START_TIMEOUT:.0f} s")
            time.sleep(0.25)
        if process.poll() is None:
            run.last_access = time.monotonic()  # idle from now on, not from the start
            self._set(run, stage="RUNNING", port=port, message="")
            logger.info("Space %s running on port %d", run.status.repo_id, port)
        code = process.wait()
        self._set(run, stage="RUNTIME_ERROR", port=None, message=f"The app exited with code {code}")
        if not run.stopping:
            logger.warning("Space %s exited with code %d", run.status.repo_id, code)

    def _materialize(self, repo: Repo, run: _Run) -> str:
        """Copy the repo's files at the run's commit into its folder; return the app file to start."""
        commit = self.storage.get_commit(run.status.commit or "")
        files = self.storage.tree(commit)
        readme = files.get("README.md")
        card, _ = (
            front_matter(self.storage.blob_path(readme.sha256).read_text("utf-8", "replace")) if readme else ({}, None)
        )
        card = card if isinstance(card, dict) else {}
        sdk = card.get("sdk") or repo.sdk
        if sdk != "gradio":
            raise _NotRunnable("CONFIG_ERROR", f"This Hub runs Gradio Spaces only; this one has sdk {sdk!r}")
        app_file = str(card.get("app_file") or "app.py")
        if app_file not in files:
            raise _NotRunnable("NO_APP_FILE", f"The Space has no app file {app_file!r}")
        for old in run.folder.parent.glob("*") if run.folder.parent.is_dir() else []:
            if old.name != "hf-home" and old != run.folder:
                shutil.rmtree(old, ignore_errors=True)  # an earlier commit's files
        staging = run.folder.with_name(run.folder.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        for path, entry in files.items():  # paths were validated on commit: no `..`, no absolute paths
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.storage.blob_path(entry.sha256), target)
        shutil.rmtree(run.folder, ignore_errors=True)
        os.replace(staging, run.folder)
        return app_file

    def _child_env(self, repo: Repo, port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not _SECRET_NAME.search(k) and not k.startswith("LOCAL_HUB_")}
        env.update(
            HF_ENDPOINT=self.endpoint,
            HF_HUB_DISABLE_XET="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_IMPLICIT_TOKEN="1",
            HF_HOME=str(self.root / repo.repo_id.replace("/", "--") / "hf-home"),
            GRADIO_SERVER_NAME="127.0.0.1",
            GRADIO_SERVER_PORT=str(port),
            GRADIO_ROOT_PATH=f"/spaces/{repo.repo_id}",
            GRADIO_ANALYTICS_ENABLED="False",
            PYTHONUNBUFFERED="1",
        )
        return env

    def _reap_idle(self) -> None:
        while not self._closed.wait(min(30.0, max(self.idle_timeout / 4, 0.5))):
            now = time.monotonic()
            with self._lock:
                idle = [
                    k
                    for k, r in self._runs.items()
                    if r.status.stage == "RUNNING" and now - r.last_access > self.idle_timeout
                ]
            for repo_id in idle:
                logger.info("Stopping Space %s: idle for %.0f s", repo_id, self.idle_timeout)
                self.stop(repo_id, stage="SLEEPING", message="Stopped after being idle; a visit starts it again")

    def touch(self, repo_id: str) -> None:
        with self._lock:
            if repo_id in self._runs:
                self._runs[repo_id].last_access = time.monotonic()


class _NotRunnable(Exception):
    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage


def redact(text: str) -> str:
    """`text` with anything shaped like a Hugging Face token replaced."""
    return _TOKEN_TEXT.sub("hf_***", text)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _terminate(process: subprocess.Popen[bytes] | None, *, wait: bool = True) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    if not wait:
        threading.Thread(target=_reap, args=(process,), daemon=True).start()
        return
    _reap(process)


def _reap(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
