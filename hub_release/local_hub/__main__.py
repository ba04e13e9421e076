"""`python -m hub_release.local_hub --host H --port N --data-dir DIR`: the server process."""

import argparse

from hub_release.local_hub.server import serve

parser = argparse.ArgumentParser(description="Serve the embedded Hugging Face Hub-compatible API.")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8765)
parser.add_argument("--data-dir", default=".hub-data")
args = parser.parse_args()
serve(args.host, args.port, args.data_dir, announce_token=False)
