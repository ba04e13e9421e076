"""Test support: one embedded Hub per test session, with the client environment pointing at it.

`start_session_hub()` must run before any Hugging Face library is imported (tests/conftest.py calls it at import).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from hub_client.client_env import configure_client_env
from local_hub.server import LocalHubProcess, SpaceOptions

TEST_USER = "marketbert"  # the session Hub's default user: the release's default org

if TYPE_CHECKING:
    from huggingface_hub import HfApi


@dataclass
class HubHandle:
    """What a test needs to talk to the session's Hub."""

    process: LocalHubProcess
    namespace: str = TEST_USER

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
    # Spaces are not hosted by the session Hub (tests push many Spaces): tests/test_local_hub_spaces.py starts a
    # second Hub process on the same data dir that hosts them.
    process = LocalHubProcess(root / "hub", user=TEST_USER, spaces=SpaceOptions(enabled=False))
    configure_client_env(process.endpoint, token=process.token, hf_home=str(root / "hf-home"))
    return HubHandle(process)
