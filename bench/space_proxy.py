"""The Hub's proxy in front of a hosted Space: the latency it adds to a request; 100 concurrent requests through it.

    python bench/space_proxy.py [--space explorer|echo] [--requests 60] [--concurrent 100]

A temporary embedded Hub that hosts Spaces is started; the Space is pushed to it and started by the Hub:

- `explorer`: the MarketBERT Explorer on a toy release (tiny MarketBERT trained for a few steps, two TwinTransition
  heads), the request is a `/next_products` prediction;
- `echo`: a one-line Gradio app, the request is `/echo` (the proxy's overhead against the lightest request).

Each request is made with `gradio_client` (a queue join plus its Server-Sent Events stream, as a user's client does)
directly to the Space's port and through `http://HUB/spaces/ORG/NAME`, interleaved; the ratio printed is
(p50 through the Hub - p50 direct) / p50 direct. Target: <= 0.10. Then `--concurrent` requests at once through the
Hub: the number of errors (target: 0).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub_client.client_env import configure_client_env  # noqa: E402
from local_hub.server import LocalHubProcess, SpaceOptions  # noqa: E402

HISTORY = "2015-04-01 | 9, 42 | computer software; cloud computing\n2016-02-01 | 9 | computer software"
NAMESPACE = "bench"


def publish_space(kind: str) -> tuple[str, tuple, str]:
    """Push the Space; return its id, the request's arguments and its api_name."""
    from huggingface_hub import HfApi

    if kind == "echo":
        from tests.helpers.echo_space import push_echo_space

        push_echo_space(HfApi(), f"{NAMESPACE}/echo", "bench")
        return f"{NAMESPACE}/echo", ("hello proxy",), "/echo"
    from explorer.publish import push_space
    from tests.helpers.toy_release import publish_toy_release

    config = publish_toy_release(NAMESPACE)
    repos = ("model_repo", "dataset_repo", "twin_green_repo", "twin_digital_repo")
    push_space(f"{NAMESPACE}/explorer", **{k: getattr(config, k) for k in repos})
    return f"{NAMESPACE}/explorer", (HISTORY, 10), "/next_products"


def wait_running(hub: LocalHubProcess, space: str, timeout: float = 600) -> int:
    """Wait until the Hub runs the Space (started on push); return the port of its process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{hub.endpoint}/api/spaces/{space}/runtime") as response:
            runtime = json.load(response)
        if runtime["stage"] == "RUNNING":
            [state] = (hub.data_dir / "spaces-run" / space.replace("/", "--")).glob("*/space.json")
            return json.loads(state.read_text())["port"]
        time.sleep(0.5)
    raise RuntimeError(f"{space} did not start: {runtime}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--space", choices=("explorer", "echo"), default="explorer")
    parser.add_argument("--requests", type=int, default=60, help="Sequential requests each way (after 5 warm-up).")
    parser.add_argument("--concurrent", type=int, default=100)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-space-proxy-"))
    hub = LocalHubProcess(root / "hub", user=NAMESPACE, spaces=SpaceOptions(max_running=1))
    configure_client_env(hub.endpoint, token=hub.token, hf_home=str(root / "hf-home"))
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    with hub:
        from gradio_client import Client

        space, request, api_name = publish_space(args.space)
        started = time.perf_counter()
        port = wait_running(hub, space)
        print(f"{args.space} Space started by the Hub in {time.perf_counter() - started:.1f} s")
        clients = {
            "direct": Client(f"http://127.0.0.1:{port}/", verbose=False),
            "through the Hub": Client(f"{hub.endpoint}/spaces/{space}", verbose=False),
        }
        times: dict[str, list[float]] = {name: [] for name in clients}
        for i in range(args.requests + 5):
            for name, client in clients.items():
                start = time.perf_counter()
                client.predict(*request, api_name=api_name)
                if i >= 5:
                    times[name].append(time.perf_counter() - start)
        p50 = {name: statistics.median(values) for name, values in times.items()}
        for name, values in times.items():
            p95 = statistics.quantiles(values, n=20)[-1]
            print(f"{name:>16}: p50 {p50[name] * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  ({len(values)} requests)")
        added = (p50["through the Hub"] - p50["direct"]) / p50["direct"]
        print(f"added latency of the proxy: {added:+.3f} of a direct request (target <= 0.10)")

        proxied = clients["through the Hub"]

        def one(_: int) -> str | None:
            try:
                proxied.predict(*request, api_name=api_name)
                return None
            except Exception as err:  # counted, not raised: the benchmark reports errors
                return f"{type(err).__name__}: {err}"

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrent) as pool:
            errors = [e for e in pool.map(one, range(args.concurrent)) if e]
        seconds = time.perf_counter() - start
        print(f"{args.concurrent} concurrent requests through the Hub: {len(errors)} errors in {seconds:.1f} s")
        for error in errors[:5]:
            print("  ", error)


if __name__ == "__main__":
    main()
