"""Session fixtures: the real embedded Hub in a subprocess, and the client env pointing at it.

The client environment (HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_DISABLE_XET, ...) is set here at import time, before
any test module imports huggingface_hub / transformers / datasets.
"""

from __future__ import annotations

import uuid

import pytest

from tests.helpers.hub import HubHandle, prepare_session_hub

_SESSION_HUB = prepare_session_hub()


@pytest.fixture(scope="session")
def hub() -> HubHandle:
    """The running local Hub (started once per session, stopped at the end)."""
    if _SESSION_HUB.process.process is None:
        _SESSION_HUB.process.start()
    yield _SESSION_HUB
    _SESSION_HUB.process.stop()


@pytest.fixture
def repo_name() -> str:
    """A repo name unique within the session."""
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def toy_release(hub):
    """A tiny real release (toy dataset, MarketBERT with its card, two TwinTransition heads), published once."""
    from tests.helpers.toy_release import publish_toy_release

    return publish_toy_release(hub.namespace, suffix=f"-{uuid.uuid4().hex[:8]}")
