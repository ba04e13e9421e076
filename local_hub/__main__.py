"""`python -m local_hub --host H --port N --data-dir DIR [--no-spaces]`: the server process."""

import argparse

from local_hub.server import SpaceOptions, serve
from local_hub.storage import DEFAULT_USER

parser = argparse.ArgumentParser(description="Serve the embedded Hugging Face Hub-compatible API.")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8765)
parser.add_argument("--data-dir", default=".hub-data")
parser.add_argument("--user", default=DEFAULT_USER, help="The user the default write token acts as.")
parser.add_argument("--no-spaces", action="store_true", help="Do not host Spaces (their pages show no app).")
parser.add_argument("--max-spaces", type=int, default=2, help="At most this many Spaces run at once.")
parser.add_argument("--space-idle-timeout", type=float, default=3600.0, help="Stop a Space idle this many seconds.")
args = parser.parse_args()
options = SpaceOptions(not args.no_spaces, args.max_spaces, args.space_idle_timeout)
serve(args.host, args.port, args.data_dir, user=args.user, announce_token=False, spaces=options)
