"""Which Hub a command talks to: `HF_ENDPOINT` when set, else the embedded Hub daemon, started on loopback if needed.

The embedded Hub started here keeps running after the command ends (see `local_hub.daemon`), so repos stay loadable
from any later Python process; `hub-release hub stop` ends it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hub_client.client_env import configure_client_env
from local_hub.daemon import daemon_token, running_endpoint, start_daemon


@dataclass(frozen=True)
class HubTarget:
    """The endpoint in use. `embedded` is True when it is the project's own local Hub."""

    endpoint: str
    embedded: bool
    data_dir: Path | None = None


def connect(data_dir: Path, *, port: int = 8765, user: str = "local", start: bool = True) -> HubTarget | None:
    """Configure the client environment for the Hub to use, starting the embedded one when none is configured.

    With `start=False` an embedded Hub that is not already running is not started (and None is returned), so a
    dry run has no side effects. Must run before any Hugging Face library is imported.
    """
    endpoint = os.environ.get("HF_ENDPOINT")
    if endpoint:
        configure_client_env(endpoint)
        return HubTarget(endpoint.rstrip("/"), embedded=False)
    if start:
        endpoint = start_daemon(data_dir, port=port, user=user)
    else:
        endpoint = running_endpoint(data_dir)
        if endpoint is None:
            return None
    token = os.environ.get("HF_TOKEN") or daemon_token(data_dir, user=user)
    configure_client_env(endpoint, token=token)
    return HubTarget(endpoint, embedded=True, data_dir=data_dir)
