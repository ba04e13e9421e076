"""The handlers of the embedded Hub's HTTP API, by concern; `local_hub.routes` maps requests onto them."""
