"""The embedded Hugging Face Hub-compatible server (storage, HTTP API, process management)."""

from local_hub.server import LocalHubProcess, free_port, serve
from local_hub.storage import HubStorage

__all__ = ["HubStorage", "LocalHubProcess", "free_port", "serve"]
