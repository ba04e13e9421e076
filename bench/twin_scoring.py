"""TwinTransition scoring of many filings: 1 process vs N processes (`score_texts(num_proc=N)`) on this machine.

    python bench/twin_scoring.py [--texts 1500] [--processes 2] [--batch-size 64]

Both classifiers (the bundled all-MiniLM-L6-v2 body, a fixed random head: the weights do not change the timing)
score the same distinct goods/services texts of synthetic filings (real Nice wording), in the same run:

- `1 process x 1 thread`: the per-core baseline; N processes get one thread each on N cores, so their ratio to it
  is the scaling of the process split itself (target >= 1.7x on 2 cores);
- `1 process x all threads`: what scoring in one process did before (torch's intra-op threads on every core).

Results must be equal (max |difference| printed). On a shared machine, compare only runs at similar load (printed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from dataset_builder.synthetic import SyntheticConfig, generate  # noqa: E402
from twin_transition.head import TwinClassifier  # noqa: E402
from twin_transition.inputs import filing_text  # noqa: E402
from twin_transition.scoring import score_texts  # noqa: E402
from twin_transition.training import body_path  # noqa: E402


def classifiers() -> dict[str, TwinClassifier]:
    from sentence_transformers import SentenceTransformer

    rng = np.random.default_rng(0)
    out = {}
    for label in ("green", "digital"):
        body = SentenceTransformer(str(body_path()), device="cpu")
        coef = rng.normal(size=(1, body.get_embedding_dimension())).astype(np.float32)
        out[label] = TwinClassifier(body, coef, np.zeros(1, np.float32), label, [f"not_{label}", label])
    return out


def texts(n: int) -> list[str]:
    raw = generate(SyntheticConfig(n_firms=max(50, n // 5), seed=0)).raw.column("goods_services").to_pylist()
    unique = list(dict.fromkeys(t for t in map(filing_text, raw) if t))
    if len(unique) < n:
        raise SystemExit(f"only {len(unique)} distinct texts; ask for fewer")
    return unique[:n]


def timed(label: str, fn) -> tuple[float, dict[str, np.ndarray]]:
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<28} {seconds:7.1f} s", flush=True)
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1500)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    models, data = classifiers(), texts(args.texts)
    cores = os.cpu_count() or 1
    print(f"{len(data)} texts x 2 classifiers, {cores} cores, load average {os.getloadavg()[0]:.1f}")
    score_texts(data[: args.batch_size], models, batch_size=args.batch_size, num_proc=1)  # warm-up
    all_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    one, ref = timed("1 process x 1 thread", lambda: score_texts(data, models, batch_size=args.batch_size, num_proc=1))
    torch.set_num_threads(all_threads)
    n = args.processes
    many, got = timed(
        f"{n} processes x {max(1, cores // n)} thread(s)",
        lambda: score_texts(data, models, batch_size=args.batch_size, num_proc=n),
    )
    full, _ = timed(
        f"1 process x {all_threads} threads", lambda: score_texts(data, models, batch_size=args.batch_size, num_proc=1)
    )
    diff = max(float(np.abs(ref[k] - got[k]).max()) for k in ref)
    print(f"speedup {n} processes vs 1 process x 1 thread:  {one / many:.2f}x")
    print(f"speedup {n} processes vs 1 process x {all_threads} threads: {full / many:.2f}x")
    print(f"texts/s: {len(data) / many:.0f} ({n} processes); max |difference| {diff:.2e}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
