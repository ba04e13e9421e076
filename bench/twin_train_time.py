"""Time one TwinTransition training per label at the default config (64 examples per class) on this machine.

    python bench/twin_train_time.py [--threads 2] [--output-dir /tmp/twin-bench]

Prints wall and CPU seconds of `setfit.Trainer.train()` and their ratio to the 3-minute budget, with the load
average before and after: on a shared machine, compare runs only at similar load.
"""

from __future__ import annotations

import argparse
import os
import tempfile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads (the target machine has 2 cores)")
    parser.add_argument("--labels", default="green,digital")
    parser.add_argument("--output-dir", default=None)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from twin_transition.config import TwinConfig
    from twin_transition.training import train_twin

    out = args.output_dir or tempfile.mkdtemp(prefix="twin-bench-")
    budget = 180.0
    for label in args.labels.split(","):
        load_before = os.getloadavg()[0]
        result = train_twin(label, TwinConfig(), os.path.join(out, label))
        load_after = os.getloadavg()[0]
        print(
            f"{label}: train {result.train_seconds:.1f} s wall ({result.train_seconds / budget:.2f} of 3 min), "
            f"{result.train_cpu_seconds:.1f} CPU-s, whole run {result.total_seconds:.1f} s; "
            f"load {load_before:.1f} -> {load_after:.1f}; F1 {result.metrics['f1']:.3f}"
        )


if __name__ == "__main__":
    main()
