"""Environment for the unmodified Hugging Face clients.

`huggingface_hub`, `transformers` and `datasets` read `HF_ENDPOINT` (and a few switches) once, at import time, so
:func:`configure_client_env` must run before any of them is imported. The same code talks to huggingface.co when
the endpoint is `https://huggingface.co` and a real token is given.
"""

from __future__ import annotations

import os
import sys

from hub_client.errors import ClientEnvError

# Switches every client process of this project gets, whatever the endpoint.
CLIENT_DEFAULTS: dict[str, str] = {
    # Uploads go through preupload -> LFS batch -> PUT -> commit; Xet cannot be served by a plain HTTP hub.
    "HF_HUB_DISABLE_XET": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    # No download counter pings to third-party hosts, no automatic pickle->safetensors conversion Space calls.
    "HF_UPDATE_DOWNLOAD_COUNTS": "0",
    "DISABLE_SAFETENSORS_CONVERSION": "1",
    "TOKENIZERS_PARALLELISM": "false",
}

HF_LIBRARIES = ("huggingface_hub", "transformers", "datasets", "setfit", "sentence_transformers", "evaluate")


def imported_hf_libraries() -> list[str]:
    """Names of Hugging Face client libraries already imported in this process."""
    return [name for name in HF_LIBRARIES if name in sys.modules]


def configure_client_env(
    endpoint: str | None = None,
    *,
    token: str | None = None,
    hf_home: str | None = None,
) -> dict[str, str]:
    """Set the client environment variables and return the ones that were set.

    Args:
        endpoint: Hub URL, e.g. `http://127.0.0.1:8765` or `https://huggingface.co`. `None` keeps `HF_ENDPOINT`.
        token: access token to use (sets `HF_TOKEN`). `None` keeps the current one.
        hf_home: cache/config folder (sets `HF_HOME`), e.g. a temp dir for an isolated cache.

    Raises:
        ClientEnvError: when the endpoint changes after a Hugging Face library was imported (it would be ignored).
    """
    changes = dict(CLIENT_DEFAULTS)
    if endpoint is not None:
        changes["HF_ENDPOINT"] = endpoint.rstrip("/")  # datasets slices urls by len(HF_ENDPOINT) + 1
    if token is not None:
        changes["HF_TOKEN"] = token
    if hf_home is not None:
        changes["HF_HOME"] = str(hf_home)
    late = imported_hf_libraries()
    if late and "HF_ENDPOINT" in changes and os.environ.get("HF_ENDPOINT") != changes["HF_ENDPOINT"]:
        raise ClientEnvError(
            f"HF_ENDPOINT must be set before importing {', '.join(late)}; "
            "call configure_client_env() first (or export HF_ENDPOINT in the shell)."
        )
    # Never work offline: HF_HUB_OFFLINE blocks loopback requests too.
    os.environ.pop("HF_HUB_OFFLINE", None)
    os.environ.update(changes)
    if "huggingface_hub" in sys.modules:  # read on every call, so it can still be switched off
        import huggingface_hub.constants as constants

        constants.HF_HUB_DISABLE_XET = True
    return changes
