"""TwinTransition scoring of many filings: item-level scoring (`score_filings`, now) against whole-text scoring of
each distinct description (what `score_filings` did before), per description, on this machine.

    python bench/twin_scoring.py [--filings 3000] [--threads 2]

Both classifiers (the bundled all-MiniLM-L6-v2 body, a fixed random head: the weights do not change the timing)
score the goods/services texts of synthetic filings (real Nice wording, the default dataset's generator):

- `before`: every distinct description encoded whole, once per classifier (the former `score_texts` path);
- `now`: `score_filings`: descriptions split into items, every distinct item of the dataset encoded once per
  classifier, the share rule and the explanation columns computed per filing.

Prints seconds, milliseconds per filing and the ratio (target <= 1.0: no slower than before), with the load
average: on a shared machine, compare only runs at similar load.

`--processes N` (N > 1) also times `score_filings(num_proc=N)` (N workers, one thread each) against one process with
one thread (the per-core baseline: their ratio is the scaling of the process split itself) and one process with
`--threads` threads, and checks the scores are equal.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
from twin_transition.scoring import score_filings  # noqa: E402
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


def filings(n: int):
    from datasets import Dataset

    raw = generate(SyntheticConfig(n_firms=max(50, n // 4), seed=0)).raw.slice(0, n)
    return Dataset.from_dict(
        {
            "firm_id": raw.column("owner").to_pylist(),
            "application_number": raw.column("application_number").to_pylist(),
            "filing_date": [dt.date.fromisoformat(d[:10]) for d in raw.column("filing_date").to_pylist()],
            "goods_services": raw.column("goods_services").to_pylist(),
        }
    )


def before(texts: list[str], models: dict[str, TwinClassifier], batch_size: int) -> None:
    distinct = list(dict.fromkeys(t for t in map(filing_text, texts) if t))
    for clf in models.values():
        for start in range(0, len(distinct), batch_size):
            clf.item_proba(distinct[start : start + batch_size])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--processes", type=int, default=1, help="also time N worker processes (N > 1)")
    parser.add_argument("--processes-only", action="store_true", help="with --processes: skip the before/now timing")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    models, table = classifiers(), filings(args.filings)
    texts = table["goods_services"]
    n_items = sum(len(filing_text(t).split(";")) for t in texts if t)
    print(
        f"{len(table)} filings ({len(set(texts))} distinct texts, {n_items} items), 2 classifiers, "
        f"{args.threads} threads, load average {os.getloadavg()[0]:.1f}"
    )
    before(texts[:64], models, args.batch_size)  # warm-up
    if args.processes > 1 and args.processes_only:
        processes(table, models, args)
        return
    start = time.perf_counter()
    before(texts, models, args.batch_size)
    old = time.perf_counter() - start
    start = time.perf_counter()
    scores = score_filings(table, models, batch_size=args.batch_size)
    new = time.perf_counter() - start
    n = len(table)
    print(f"before (whole descriptions): {old:7.1f} s  {1000 * old / n:6.2f} ms/filing")
    print(f"now (items + explanations):  {new:7.1f} s  {1000 * new / n:6.2f} ms/filing")
    print(f"ratio now/before: {new / old:.2f} (<= 1.0: no slower per description); {len(scores)} rows")
    if args.processes > 1:
        processes(table, models, args)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def processes(table, models: dict[str, TwinClassifier], args) -> None:
    """1 process x 1 thread, N processes x 1 thread, 1 process x `--threads` threads, on the same filings."""

    def timed(label: str, threads: int, num_proc: int):
        torch.set_num_threads(threads)
        start = time.perf_counter()
        scores = score_filings(table, models, batch_size=args.batch_size, num_proc=num_proc)
        seconds = time.perf_counter() - start
        print(f"{label:<28} {seconds:7.1f} s", flush=True)
        return seconds, scores

    one, ref = timed("1 process x 1 thread", 1, 1)
    many, got = timed(f"{args.processes} processes x 1 thread", 1, args.processes)
    full, _ = timed(f"1 process x {args.threads} threads", args.threads, 1)
    same = all(
        np.allclose(np.array(ref[c], dtype=float), np.array(got[c], dtype=float), atol=1e-5, equal_nan=True)
        for c in ("green_prob", "digital_prob")
    )
    print(f"speedup {args.processes} processes vs 1 process x 1 thread: {one / many:.2f}x")
    print(f"speedup {args.processes} processes vs 1 process x {args.threads} threads: {full / many:.2f}x")
    print(f"scores equal: {same}")


if __name__ == "__main__":
    main()
