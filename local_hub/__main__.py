"""`python -m local_hub --host H --port N --data-dir DIR`: the server process."""

import argparse

from local_hub.server import serve
from local_hub.storage import DEFAULT_USER

parser = argparse.ArgumentParser(description="Serve the embedded Hugging Face Hub-compatible API.")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8765)
parser.add_argument("--data-dir", default=".hub-data")
parser.add_argument("--user", default=DEFAULT_USER, help="The user the default write token acts as.")
args = parser.parse_args()
serve(args.host, args.port, args.data_dir, user=args.user, announce_token=False)
