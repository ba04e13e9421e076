"""Run the embedded Hub: in this process (`serve`) or as a managed child process (`LocalHubProcess`)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from local_hub.app import HubApp
from local_hub.net import free_port
from local_hub.space_host import SpaceHost
from local_hub.storage import DEFAULT_USER, HubStorage

logger = logging.getLogger(__name__)

DEV_TOKEN_FILE = "dev-token"


def dev_token(storage: HubStorage, *, user: str = DEFAULT_USER) -> tuple[str, bool]:
    """The default write token of a data dir, acting as `user` (created on first start). Returns `(token, created)`.

    The token is kept in `<data-dir>/dev-token` (mode 600) so local tools can reuse it.
    """
    path = storage.root / DEV_TOKEN_FILE
    if path.exists():
        return path.read_text().strip(), False
    token = storage.create_token("dev", user=user, role="write")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token, True


@dataclass(frozen=True)
class SpaceOptions:
    """Space hosting: on or off (`hub serve --no-spaces`), how many run at once, when an idle one stops."""

    enabled: bool = True
    max_running: int = 2
    idle_timeout: float = 3600.0

    def __post_init__(self) -> None:
        if self.max_running < 1:
            raise ValueError(f"SpaceOptions.max_running must be >= 1, got {self.max_running}")
        if self.idle_timeout <= 0:
            raise ValueError(f"SpaceOptions.idle_timeout must be > 0 seconds, got {self.idle_timeout}")

    def args(self) -> list[str]:
        """These options as `python -m local_hub` arguments."""
        if not self.enabled:
            return ["--no-spaces"]
        return ["--max-spaces", str(self.max_running), "--space-idle-timeout", str(self.idle_timeout)]


DEFAULT_SPACES = SpaceOptions()


def serve(
    host: str,
    port: int,
    data_dir: str | Path,
    *,
    user: str = DEFAULT_USER,
    announce_token: bool = True,
    spaces: SpaceOptions = DEFAULT_SPACES,
) -> None:
    """Serve the Hub API (and host its Spaces unless `spaces.enabled` is False) on `host:port` until interrupted;
    the default token acts as `user`."""
    storage = HubStorage(data_dir)
    token, created = dev_token(storage, user=user)
    if created and announce_token:
        # The one place a token is shown: its creation, for the operator who started the server.
        print(f"Created the default write token (also in {storage.root / DEV_TOKEN_FILE}): {token}", flush=True)
    hosting = "Spaces hosted" if spaces.enabled else "Spaces not hosted"
    print(f"Local Hub serving {storage.root} at http://{host}:{port} (user {user}; {hosting})", flush=True)
    loopback = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    host_ = (
        SpaceHost(
            storage, f"http://{loopback}:{port}", max_running=spaces.max_running, idle_timeout=spaces.idle_timeout
        )
        if spaces.enabled
        else None
    )
    app = HubApp(storage, fail_commits=int(os.environ.get("LOCAL_HUB_FAIL_COMMITS", "0")), spaces=host_)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="off", access_log=False)
    finally:
        if host_ is not None:
            host_.close()


def server_command(
    host: str, port: int, data_dir: str | Path, *, user: str = DEFAULT_USER, spaces: SpaceOptions = DEFAULT_SPACES
) -> list[str]:
    """The command line that runs the server in a child process."""
    args = ["--host", host, "--port", str(port), "--data-dir", str(data_dir), "--user", user, *spaces.args()]
    return [sys.executable, "-m", "local_hub", *args]


class LocalHubProcess:
    """The embedded Hub in a child process, for the CLI and the tests.

    >>> with LocalHubProcess(data_dir) as hub:
    ...     print(hub.endpoint, hub.token)
    """

    def __init__(
        self,
        data_dir: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        user: str = DEFAULT_USER,
        fail_commits: int = 0,
        spaces: SpaceOptions = DEFAULT_SPACES,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port or free_port(host)
        self.endpoint = f"http://{host}:{self.port}"
        self.user = user
        self.token, _ = dev_token(HubStorage(self.data_dir), user=user)
        self.fail_commits = fail_commits
        self.spaces = spaces
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / "server.log"

    def start(self, timeout: float = 30.0) -> LocalHubProcess:
        """Start the server and wait until it answers."""
        log = open(self.log_path, "ab")
        env = {**os.environ, "LOCAL_HUB_FAIL_COMMITS": str(self.fail_commits)}
        command = server_command(self.host, self.port, self.data_dir, user=self.user, spaces=self.spaces)
        self.process = subprocess.Popen(command, stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Local Hub exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/api/health", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Local Hub did not answer on {self.endpoint} within {timeout:.0f}s; see {self.log_path}")

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> LocalHubProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
