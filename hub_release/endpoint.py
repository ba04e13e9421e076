"""Which Hub a command talks to: `HF_ENDPOINT` when set, else the embedded Hub, started on loopback if needed.

The embedded Hub started here keeps running after the command ends (a detached process with a pid file in its data
dir), so repos stay loadable from any later Python process; `hub-release hub stop` ends it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from hub_release.client_env import configure_client_env

logger = logging.getLogger(__name__)

STATE_FILE = "server.json"


@dataclass(frozen=True)
class HubTarget:
    """The endpoint in use. `embedded` is True when it is the project's own local Hub."""

    endpoint: str
    embedded: bool
    data_dir: Path | None = None


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/api/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start_embedded_hub(data_dir: Path, *, host: str = "127.0.0.1", port: int = 8765, timeout: float = 30) -> str:
    """Start (or reuse) the embedded Hub for `data_dir` as a detached process; return its endpoint."""
    from hub_release.local_hub.server import dev_token, free_port, server_command
    from hub_release.local_hub.storage import HubStorage

    data_dir.mkdir(parents=True, exist_ok=True)
    state_path = data_dir / STATE_FILE
    if state_path.exists():
        state = json.loads(state_path.read_text())
        if _answers(state["endpoint"]):
            return state["endpoint"]
    dev_token(HubStorage(data_dir))  # create the dev token before the server starts
    if _port_taken(host, port):
        port = free_port(host)
    endpoint = f"http://{host}:{port}"
    log = open(data_dir / "server.log", "ab")
    process = subprocess.Popen(
        server_command(host, port, data_dir),
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # survives the command that started it
    )
    deadline = time.monotonic() + timeout
    while not _answers(endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"The embedded Hub did not start on {endpoint}; see {data_dir / 'server.log'}")
        time.sleep(0.1)
    state_path.write_text(json.dumps({"endpoint": endpoint, "pid": process.pid}))
    logger.info("Embedded Hub started at %s (data in %s)", endpoint, data_dir)
    return endpoint


def stop_embedded_hub(data_dir: Path) -> bool:
    """Stop the embedded Hub started for `data_dir`; False if none was running."""
    state_path = data_dir / STATE_FILE
    if not state_path.exists():
        return False
    state = json.loads(state_path.read_text())
    state_path.unlink()
    try:
        os.kill(state["pid"], signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True


def _port_taken(host: str, port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


def embedded_token(data_dir: Path) -> str:
    """The embedded Hub's default write token (created on first start)."""
    from hub_release.local_hub.server import dev_token
    from hub_release.local_hub.storage import HubStorage

    return dev_token(HubStorage(data_dir))[0]


def connect(data_dir: Path, *, port: int = 8765) -> HubTarget:
    """Configure the client environment for the Hub to use, starting the embedded one when none is configured.

    Must run before any Hugging Face library is imported.
    """
    endpoint = os.environ.get("HF_ENDPOINT")
    if endpoint:
        configure_client_env(endpoint)
        return HubTarget(endpoint.rstrip("/"), embedded=False)
    endpoint = start_embedded_hub(data_dir, port=port)
    token = os.environ.get("HF_TOKEN") or embedded_token(data_dir)
    configure_client_env(endpoint, token=token)
    return HubTarget(endpoint, embedded=True, data_dir=data_dir)
