"""How close to the synthetic oracle can a model that sees only a firm's history get?

The oracle of the synthetic data (`oracle_last_filing_class_probs`) knows the firm's latent state at its last filing,
including the noise step the state took after the previous filing, which no history reveals. This script estimates a
tighter ceiling with the generator itself: the class probabilities when the state *before* that noise step is known
(still more than any history shows), averaged over the noise. It scores both on the held-out firms of the default
release dataset with the evaluation's ranking metrics.

    .venv/bin/python bench/next_filing_ceiling.py             # the default release data (4000 firms, seed 42)
    .venv/bin/python bench/next_filing_ceiling.py --results release-output/marketbert/model/eval_results.json
"""

from __future__ import annotations

import argparse
import json
import tempfile

import numpy as np

from dataset_builder.build import build_dataset
from dataset_builder.synthetic import SyntheticConfig, generate
from marketbert.metrics.next_filing.next_filing import ranking_metrics
from marketbert.train import load_sequences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--draws", type=int, default=200, help="Noise draws per firm for the ceiling.")
    parser.add_argument("--split", default="test")
    parser.add_argument("--results", help="A MarketBERT eval_results.json to set against the ceilings.")
    args = parser.parse_args()

    data = generate(SyntheticConfig(n_firms=args.firms, seed=args.seed), ceiling_draws=args.draws)
    ceiling_by_app = dict(zip(data.oracle["application_number"].to_pylist(), data.history_ceiling, strict=True))
    with tempfile.TemporaryDirectory() as out:
        build_dataset(out, n_firms=args.firms, seed=args.seed, write_card=False)
        firms = [f for f in load_sequences(f"{out}/repo")[args.split] if len(f["filings"]) >= 2]
    truth = np.zeros((len(firms), 45), dtype=bool)
    new = np.zeros_like(truth)
    oracle = np.array([f["oracle_last_filing_class_probs"] for f in firms], dtype=np.float64)
    ceiling = np.stack([ceiling_by_app[f["filings"][-1]["application_number"]] for f in firms])
    for row, firm in enumerate(firms):
        truth[row, np.array(firm["filings"][-1]["nice_classes"]) - 1] = True
        seen = {c for filing in firm["filings"][:-1] for c in filing["nice_classes"]}
        new[row] = [c not in seen for c in range(1, 46)]

    rows = {"oracle": oracle, "history ceiling": ceiling}
    scores = {name: (ranking_metrics(s, truth, None), ranking_metrics(s, truth, new)) for name, s in rows.items()}
    if args.results:
        classes = json.loads(open(args.results, encoding="utf-8").read())["next_filing"]["classes"]
        scores["marketbert (results file)"] = (classes["all"]["marketbert"], classes["new"]["marketbert"])
        scores["density (results file)"] = (classes["all"]["density"], classes["new"]["density"])
    top = scores["oracle"][0]["recall@5"]
    print(f"{args.split} split: {len(firms)} firms with two or more filings; ceiling from {args.draws} noise draws")
    print(f"{'':28s} {'recall@5':>9s} {'% of oracle':>12s} {'new-class AUC-PR':>17s}")
    for name, (all_classes, new_classes) in scores.items():
        r5 = all_classes["recall@5"]
        print(f"{name:28s} {r5:9.4f} {100 * r5 / top:11.1f}% {new_classes['auc_pr']:17.4f}")


if __name__ == "__main__":
    main()
