"""Batch forecasting of every firm (`forecast_dataset`): 1 process vs N processes, on this machine.

    python bench/marketbert_forecast.py [--model release-output/marketbert/model] [--firms 2000] [--processes 2]

Without `--model`, a `small`-preset MarketBERT is trained for one step on a toy dataset (the weights do not change
the timing). The same firms are forecast, in the same run, by:

- `1 process x 1 thread`: the per-core baseline; N processes get one thread each on N cores, so their ratio to it
  is the scaling of the process split itself (target >= 1.7x on 2 cores);
- `1 process x all threads`: one process with torch's intra-op threads on every core (the default without GPUs).

Results must be equal (max |difference| printed). On a shared machine, compare only runs at similar load (printed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from marketbert.batch_forecast import forecast_dataset  # noqa: E402
from tests.helpers.toy_data import make_toy_sequences  # noqa: E402


def toy_model(workdir: Path, firms) -> str:
    from marketbert.train import train_marketbert

    overrides = {"max_steps": 1, "save_strategy": "no", "surprisal": False, "logging_steps": 1}
    train_marketbert(firms, "small", workdir / "marketbert", overrides=overrides)
    return str(workdir / "marketbert" / "model")


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<28} {seconds:7.1f} s", flush=True)
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="MarketBERT folder or repo id [default: a one-step small model]")
    parser.add_argument("--firms", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    data = make_toy_sequences(n_firms=max(args.firms * 5 // 4, 60), mean_filings=8.0, seed=0)
    firms = data["train"].select(range(min(args.firms, len(data["train"]))))
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or toy_model(Path(tmp), data)
        cores, all_threads = os.cpu_count() or 1, torch.get_num_threads()
        print(f"{len(firms)} firms, {cores} cores, load average {os.getloadavg()[0]:.1f}")
        forecast_dataset(model, firms.select(range(64)))  # warm-up: loads the model in this process
        torch.set_num_threads(1)
        one, ref = timed("1 process x 1 thread", lambda: forecast_dataset(model, firms, num_proc=1))
        torch.set_num_threads(all_threads)
        n = args.processes
        many, got = timed(
            f"{n} processes x {max(1, cores // n)} thread(s)", lambda: forecast_dataset(model, firms, num_proc=n)
        )
        full, _ = timed(f"1 process x {all_threads} threads", lambda: forecast_dataset(model, firms, num_proc=1))
    diff = float(np.abs(np.array(ref["class_probs"]) - np.array(got["class_probs"])).max())
    print(f"speedup {n} processes vs 1 process x 1 thread:  {one / many:.2f}x")
    print(f"speedup {n} processes vs 1 process x {all_threads} threads: {full / many:.2f}x")
    print(f"firms/s: {len(firms) / many:.0f} ({n} processes); max |difference| {diff:.2e}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
