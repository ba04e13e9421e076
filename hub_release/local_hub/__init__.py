"""The embedded Hugging Face Hub-compatible server (storage, HTTP API, process management)."""

from hub_release.local_hub.server import LocalHubProcess, free_port, serve
from hub_release.local_hub.storage import HubStorage

__all__ = ["HubStorage", "LocalHubProcess", "free_port", "serve"]
