"""The embedded Hub as a background daemon: start (or reuse) it for a data dir, check its health, stop it.

The daemon outlives the command that started it (a detached process with `server.json` in its data dir), so repos
stay loadable from any later Python process.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from local_hub.server import DEFAULT_SPACES, SpaceOptions, dev_token, free_port, server_command
from local_hub.storage import DEFAULT_USER, HubStorage

logger = logging.getLogger(__name__)

STATE_FILE = "server.json"


def answers(endpoint: str, timeout: float = 2) -> bool:
    """True when a Hub answers its health check at `endpoint`."""
    try:
        with urllib.request.urlopen(f"{endpoint}/api/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def running_endpoint(data_dir: Path) -> str | None:
    """The endpoint of the daemon already serving `data_dir`, or None (reads only; starts nothing)."""
    state_path = Path(data_dir) / STATE_FILE
    if not state_path.exists():
        return None
    endpoint = json.loads(state_path.read_text())["endpoint"]
    return endpoint if answers(endpoint) else None


def _port_taken(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


def start_daemon(
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    user: str = DEFAULT_USER,
    timeout: float = 30,
    spaces: SpaceOptions = DEFAULT_SPACES,
) -> str:
    """Start (or reuse) the Hub daemon for `data_dir`, its dev token acting as `user`, hosting Spaces as `spaces`
    says; return its endpoint."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    endpoint = running_endpoint(data_dir)
    if endpoint:
        return endpoint
    dev_token(HubStorage(data_dir), user=user)  # create the dev token before the server starts
    if _port_taken(host, port):
        port = free_port(host)
    endpoint = f"http://{host}:{port}"
    log = open(data_dir / "server.log", "ab")
    process = subprocess.Popen(
        server_command(host, port, data_dir, user=user, spaces=spaces),
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # survives the command that started it
    )
    deadline = time.monotonic() + timeout
    while not answers(endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"The embedded Hub did not start on {endpoint}; see {data_dir / 'server.log'}")
        time.sleep(0.1)
    (data_dir / STATE_FILE).write_text(json.dumps({"endpoint": endpoint, "pid": process.pid}))
    logger.info("Embedded Hub started at %s (data in %s)", endpoint, data_dir)
    return endpoint


def stop_daemon(data_dir: Path) -> bool:
    """Stop the Hub daemon started for `data_dir`; False if none was running."""
    state_path = Path(data_dir) / STATE_FILE
    if not state_path.exists():
        return False
    state = json.loads(state_path.read_text())
    state_path.unlink()
    try:
        os.kill(state["pid"], signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True


def daemon_token(data_dir: Path, *, user: str = DEFAULT_USER) -> str:
    """The daemon's default write token for `data_dir` (created on first use)."""
    return dev_token(HubStorage(data_dir), user=user)[0]
