"""Test support: one embedded Hub per test session, with the client environment pointing at it.

`start_session_hub()` must run before any Hugging Face library is imported (tests/conftest.py calls it at import).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from hub_release.client_env import configure_client_env
from hub_release.local_hub.server import LocalHubProcess
from hub_release.local_hub.storage import DEFAULT_USER

if TYPE_CHECKING:
    from huggingface_hub import HfApi


@dataclass
class HubHandle:
    """What a test needs to talk to the session's Hub."""

    process: LocalHubProcess
    namespace: str = DEFAULT_USER

    @property
    def endpoint(self) -> str:
        return self.process.endpoint

    @property
    def token(self) -> str:
        return self.process.token

    @property
    def data_dir(self) -> Path:
        return self.process.data_dir

    @cached_property
    def api(self) -> HfApi:
        from huggingface_hub import HfApi

        return HfApi(endpoint=self.endpoint, token=self.token)


def prepare_session_hub() -> HubHandle:
    """Pick a port and a temp data dir, create the dev token, configure the client env (the server starts later)."""
    root = Path(tempfile.mkdtemp(prefix="hub-release-tests-"))
    process = LocalHubProcess(root / "hub")
    configure_client_env(process.endpoint, token=process.token, hf_home=str(root / "hf-home"))
    return HubHandle(process)
