"""Time the training of both TwinTransition classifiers at the default config on this machine (budget: 3 minutes
for both on 2 CPU cores).

    python bench/twin_train_time.py [--threads 2] [--output-dir /tmp/twin-bench]

Training = what `train_twin` times: the contrastive phase, the head on every train-pool item and the calibration of
the share rule on the validation split (not the comparison with the other methods, switched off here). Prints wall
and CPU seconds per label, their sum against the budget, and the load average before and after: on a shared
machine, compare runs only at similar load (CPU seconds suffer less from the others' load than wall seconds).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUDGET_SECONDS = 180.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads (the target machine has 2 cores)")
    parser.add_argument("--labels", default="green,digital")
    parser.add_argument("--output-dir", default=None)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from twin_transition.config import TwinConfig
    from twin_transition.corpus import load_corpus
    from twin_transition.training import train_twin

    out = args.output_dir or tempfile.mkdtemp(prefix="twin-bench-")
    corpus = load_corpus()
    total_wall = total_cpu = 0.0
    for label in args.labels.split(","):
        load_before = os.getloadavg()[0]
        result = train_twin(label, TwinConfig(compare_whole_text=False), os.path.join(out, label), corpus=corpus)
        load_after = os.getloadavg()[0]
        total_wall += result.train_seconds
        total_cpu += result.train_cpu_seconds
        print(
            f"{label}: train {result.train_seconds:.1f} s wall (contrastive {result.contrastive_seconds:.1f} s), "
            f"{result.train_cpu_seconds:.1f} CPU-s; load {load_before:.1f} -> {load_after:.1f}; "
            f"test F1 {result.metrics['f1']:.3f}",
            flush=True,
        )
    print(
        f"both: {total_wall:.1f} s wall = {total_wall / BUDGET_SECONDS:.2f} of the 3-minute budget "
        f"({total_cpu:.1f} CPU-s on {args.threads} threads = {total_cpu / args.threads / BUDGET_SECONDS:.2f} of it)"
    )


if __name__ == "__main__":
    main()
