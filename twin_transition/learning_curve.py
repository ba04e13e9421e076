"""Learning curve on the hard test split: item-level SetFit and the baselines at 8/16/32/64 examples per class.

    hub-release twin learning-curve --output-dir runs/twin-curve

For every (label, seed, size): item-level SetFit is trained on `size` labelled train-pool items per class (the
contrastive phase and the head on those items only, the share rule calibrated on the validation split), TF-IDF +
logistic regression and logistic regression on frozen embeddings on `size` train descriptions per class; all are
scored on the whole hard test split. The keyword rule needs no training and is scored once per label. Writes
`learning_curve.jsonl` (one row per run, written as it goes), `learning_curve.json` (mean and standard deviation
per label, method and size), `learning_curve.md` (the F1 table) and `learning_curve.png`.
"""

from __future__ import annotations

import json
import logging
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from tqdm.auto import tqdm

from twin_transition.baselines import embedding_logreg, keyword_rule, tfidf_logreg
from twin_transition.comparison import frozen_embeddings
from twin_transition.config import TwinConfig
from twin_transition.corpus import Corpus, load_corpus
from twin_transition.decision import calibrate
from twin_transition.evaluation import METRIC_NAMES, compute_metrics
from twin_transition.training import as_classifier, contrastive_sample, fit_body, labelled_examples, new_model

logger = logging.getLogger(__name__)

SIZES = (8, 16, 32, 64)
SEEDS = (0, 1, 2)
METHODS = ("setfit", "tfidf_logreg", "embedding_logreg", "keyword_rule")


def _sample_descriptions(corpus: Corpus, label: str, n: int, seed: int) -> tuple[list[str], list[int]]:
    rng = random.Random(seed)
    texts, gold = corpus.texts("train"), corpus.labels("train", label)
    picked = [i for cls in (1, 0) for i in rng.sample([k for k, y in enumerate(gold) if y == cls], n)]
    rng.shuffle(picked)
    return [texts[i] for i in picked], [gold[i] for i in picked]


def item_setfit_run(label: str, corpus: Corpus, config: TwinConfig, size: int, seed: int) -> dict:
    """Item-level SetFit on `size` items per class (body and head), rule calibrated on validation; test metrics."""
    from sklearn.linear_model import LogisticRegression

    from twin_transition.decision import DecisionRule

    examples = labelled_examples(corpus, label, config)
    texts, labels = contrastive_sample(*examples, label, size, seed, n_items=len(corpus.pool("train")))
    model = new_model(label, replace(config, seed=seed))
    start = time.perf_counter()
    seconds, cpu_seconds = fit_body(model, texts, labels, replace(config, seed=seed))
    model.model_head = LogisticRegression(C=config.head_c, max_iter=config.head_max_iter, class_weight="balanced")
    model.model_head.fit(model.encode(texts, show_progress_bar=False), labels)
    raw = as_classifier(model, label, DecisionRule())
    rule = calibrate(raw.item_scores(corpus.texts("validation")), corpus.labels("validation", label))
    train_seconds = time.perf_counter() - start
    predicted = [int(rule.decide(p)) if p is not None else 0 for p in raw.item_scores(corpus.texts("test"))]
    metrics = compute_metrics(predicted, corpus.labels("test", label))
    return {**metrics, "train_seconds": round(train_seconds, 2), "contrastive_cpu_seconds": round(cpu_seconds, 2)}


def run_learning_curve(
    output_dir: str | Path,
    *,
    labels: Sequence[str] = ("green", "digital"),
    sizes: Sequence[int] = SIZES,
    seeds: Sequence[int] = SEEDS,
    config: TwinConfig | None = None,
    data_dir: str | Path | None = None,
    corpus: Corpus | None = None,
    resume: bool = False,
) -> dict:
    """Run the learning curve and write its files to `output_dir`; return the summary (see the module docstring).

    With `resume=True`, runs already in `output_dir/learning_curve.jsonl` are kept and not trained again.
    """
    config = config or TwinConfig()
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    corpus = corpus or load_corpus(data_dir)
    test_texts = corpus.texts("test")

    runs_path = output_dir / "learning_curve.jsonl"
    rows = read_runs(runs_path) if resume else []
    runs_path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")  # drops partial runs
    done = {(row["label"], row["method"], row["examples_per_class"], row["seed"]) for row in rows}

    def record(row: dict) -> None:
        rows.append(row)
        with runs_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")

    for label in labels:
        if (label, "keyword_rule", 0, None) not in done:
            metrics = compute_metrics(keyword_rule(test_texts, label), corpus.labels("test", label))
            record({"label": label, "method": "keyword_rule", "examples_per_class": 0, "seed": None, **metrics})

    # Smallest sizes first, so that an interrupted run (continue it with resume=True) has complete small sizes.
    progress = tqdm(total=len(labels) * len(seeds) * len(sizes), desc="learning curve", unit="run")
    for size in sizes:
        for seed in seeds:
            for label in labels:
                progress.update()
                if (label, "setfit", size, seed) in done:
                    continue
                y_test = corpus.labels("test", label)
                base = {"label": label, "examples_per_class": size, "seed": seed}
                train_texts, train_gold = _sample_descriptions(corpus, label, size, seed)
                predictions = tfidf_logreg(train_texts, train_gold, test_texts)
                record({**base, "method": "tfidf_logreg", **compute_metrics(predictions, y_test)})
                predictions = embedding_logreg(
                    frozen_embeddings(train_texts, config), train_gold, frozen_embeddings(test_texts, config)
                )
                record({**base, "method": "embedding_logreg", **compute_metrics(predictions, y_test)})
                setfit_metrics = item_setfit_run(label, corpus, config, size, seed)
                record({**base, "method": "setfit", **setfit_metrics})  # last: marks the run as done
                logger.info("%s seed %d n=%d: item-level SetFit F1 %.3f", label, seed, size, setfit_metrics["f1"])
    progress.close()

    return write_outputs(rows, output_dir)


def read_runs(path: str | Path) -> list[dict]:
    """The rows of a `learning_curve.jsonl`, without runs interrupted before their SetFit row was written."""
    path = Path(path)
    if not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    finished = {
        (r["label"], r["examples_per_class"], r["seed"]) for r in rows if r["method"] in ("setfit", "keyword_rule")
    }
    return [r for r in rows if (r["label"], r["examples_per_class"], r["seed"]) in finished]


def write_outputs(rows: Sequence[dict], output_dir: str | Path) -> dict:
    """Write `learning_curve.{json,md,png}` from run rows; return the summary."""
    output_dir = Path(output_dir)
    summary = summarize(rows)
    (output_dir / "learning_curve.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (output_dir / "learning_curve.md").write_text(markdown_table(summary), encoding="utf-8")
    plot_learning_curve(summary, output_dir / "learning_curve.png")
    return summary


def summarize(rows: Sequence[dict]) -> dict:
    """`{"config": ..., "curves": [{label, method, examples_per_class, n_seeds, <metric>_mean, <metric>_std}]}`."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row["label"], row["method"], row["examples_per_class"])].append(row)
    curves = []
    order = sorted(groups, key=lambda key: (key[0], METHODS.index(key[1]), key[2]))
    for label, method, size in order:
        group = groups[(label, method, size)]
        entry = {"label": label, "method": method, "examples_per_class": size, "n_seeds": len(group)}
        for name in (*METRIC_NAMES, "train_seconds", "contrastive_cpu_seconds"):
            values = [row[name] for row in group if name in row]
            if values:
                entry[f"{name}_mean"] = statistics.fmean(values)
                entry[f"{name}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        curves.append(entry)
    return {"curves": curves}


def markdown_table(summary: dict) -> str:
    """F1 (mean ± std over seeds) per label, method and examples per class; the keyword rule as its own row."""
    lines = []
    by_label: dict[str, list[dict]] = defaultdict(list)
    for entry in summary["curves"]:
        by_label[entry["label"]].append(entry)
    for label, entries in by_label.items():
        sizes = sorted({e["examples_per_class"] for e in entries if e["examples_per_class"]})
        lines += [f"### {label}: F1 on the hard test split (mean ± std over seeds)", ""]
        lines += ["| method | " + " | ".join(f"{s}/class" for s in sizes) + " |", "|---" * (len(sizes) + 1) + "|"]
        for method in METHODS:
            cells = {e["examples_per_class"]: e for e in entries if e["method"] == method}
            if not cells:
                continue
            if 0 in cells:  # needs no training data: the same score at every size
                row = [f"{cells[0]['f1_mean']:.3f}"] * len(sizes)
            else:
                row = [f"{cells[s]['f1_mean']:.3f} ± {cells[s]['f1_std']:.3f}" if s in cells else "" for s in sizes]
            lines.append(f"| {method} | " + " | ".join(row) + " |")
        lines.append("")
    return "\n".join(lines)


def plot_learning_curve(summary: dict, path: str | Path) -> Path:
    """F1 against examples per class (log2 axis), one panel per label, mean ± std bands over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted({e["label"] for e in summary["curves"]})
    fig, axes = plt.subplots(1, len(labels), figsize=(5.5 * len(labels), 4), squeeze=False, sharey=True)
    for ax, label in zip(axes[0], labels, strict=True):
        entries = [e for e in summary["curves"] if e["label"] == label]
        sizes = sorted({e["examples_per_class"] for e in entries if e["examples_per_class"]})
        for method in METHODS:
            points = sorted((e for e in entries if e["method"] == method), key=lambda e: e["examples_per_class"])
            if not points:
                continue
            if points[0]["examples_per_class"] == 0:
                ax.axhline(points[0]["f1_mean"], linestyle=":", color="grey", label=method)
                continue
            xs = [p["examples_per_class"] for p in points]
            mean = [p["f1_mean"] for p in points]
            std = [p["f1_std"] for p in points]
            ax.plot(xs, mean, marker="o", label=method)
            low = [m - s for m, s in zip(mean, std, strict=True)]
            high = [m + s for m, s in zip(mean, std, strict=True)]
            ax.fill_between(xs, low, high, alpha=0.15)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(s) for s in sizes])
        ax.set_title(f"TwinTransition {label}")
        ax.set_xlabel("labelled examples per class")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("F1 on the hard test split")
    axes[0][-1].legend(loc="lower right")
    fig.text(0.5, 0.005, "SetFit: item-level, on Nice items; baselines: on descriptions", ha="center", fontsize=8)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
