"""The MarketBERT model card, built from the evaluation JSON written by `marketbert.train`.

`model-index` comes from `huggingface_hub.EvalResult` entries (MarketBERT's scores and the baselines', each baseline
named in `metric_config`); the body is `templates/marketbert_card.md` rendered with the same numbers.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from hub_client.errors import CardValidationError
from model_cards.citations import bibtex

logger = logging.getLogger(__name__)

TEMPLATE = Path(__file__).parent / "templates" / "marketbert_card.md"
TASK = "fill-mask"
METHOD_NAMES = {
    "marketbert": "MarketBERT",
    "popularity": "popularity",
    "history": "firm history",
    "density": "relatedness density",
    "oracle": "oracle",
}
TABLE_METRICS = ("recall@1", "recall@3", "recall@5", "recall@10", "acc@1", "acc@5", "acc@10", "mrr", "auc_pr")
INDEX_METRICS = ("recall@1", "recall@5", "recall@10", "mrr", "auc_pr")  # in model-index, for MarketBERT
BASELINE_INDEX_METRICS = ("recall@5", "mrr", "auc_pr")  # in model-index, for each baseline
BASELINES = ("popularity", "history", "density")
REQUIRED_SECTIONS = (
    "## How to load",
    "## Evaluation",
    "## Nice class embedding map",
    "## Intended use",
    "## Limitations",
    "## Citation",
)
MARKETBERT_CITATIONS = ("marketbert_release", "market2vec", "life2vec", "bert", "relatedness", "nice")
TRAINING_ROWS = {  # key in eval_results.json's train.hyperparameters -> row name in the card's table
    "preset": "preset",
    "max_length": "tokens per firm (most recent kept)",
    "steps": "optimizer steps",
    "epochs": "epochs",
    "global_batch": "batch (firms per step, all devices)",
    "objectives": "objective weights",
    "mlm_probability": "token masking rate",
    "event_probability": "filing masking rate",
    "forecast_prefixes": "forecast any filing from its prefix",
    "learning_rate": "learning rate",
    "lr_scheduler": "schedule",
    "warmup": "warmup",
    "weight_decay": "weight decay",
    "optimizer": "optimizer",
    "seed": "seed",
}


def _pretty(metric: str) -> str:
    return {"mrr": "MRR", "auc_pr": "AUC-PR"}.get(metric, metric.replace("recall", "Recall").replace("acc", "Acc"))


def eval_results_for_index(results: dict[str, Any], dataset_id: str, split: str = "test") -> list[EvalResult]:
    """`EvalResult`s: perplexity, masked accuracy, next-filing ranking for MarketBERT and the baselines."""
    common = dict(
        task_type=TASK,
        task_name="Next-filing prediction (masked LM)",
        dataset_type=dataset_id,
        dataset_name=dataset_id.split("/")[-1],
        dataset_config="sequences",
        dataset_split=split,
    )
    mlm = results["masked_lm"]
    out = [
        EvalResult(
            metric_type="perplexity", metric_value=round(mlm["perplexity"], 4), metric_name="Perplexity", **common
        ),
        EvalResult(
            metric_type="accuracy",
            metric_value=round(mlm["masked_accuracy"], 4),
            metric_name="Masked-token accuracy",
            **common,
        ),
    ]
    classes = results["next_filing"]["classes"]
    for scope, label in (("all", "next-filing classes"), ("new", "next-filing new classes")):
        for method, metrics in (
            (m, BASELINE_INDEX_METRICS if m in BASELINES else INDEX_METRICS)
            for m in ("marketbert", *BASELINES, "oracle")
        ):
            if method not in classes[scope] or (scope == "new" and method != "marketbert" and method != "density"):
                continue
            for metric in metrics:
                value = classes[scope][method][metric]
                if value != value:  # NaN: no firm in scope
                    continue
                suffix = "" if method == "marketbert" else f" ({METHOD_NAMES[method]} baseline)"
                out.append(
                    EvalResult(
                        metric_type=metric,
                        metric_value=round(value, 4),
                        metric_name=f"{_pretty(metric)}, {label}{suffix}",
                        metric_config=f"{scope}:{method}",
                        **common,
                    )
                )
    return out


def _tables(results: dict[str, Any]) -> list[dict[str, Any]]:
    tables = []
    titles = {
        ("classes", "all"): "Next filing: Nice classes",
        ("classes", "new"): "Next filing: classes new to the firm",
        ("items", "all"): "Next filing: items (goods/services terms)",
        ("items", "new"): "Next filing: items new to the firm",
    }
    for (kind, scope), title in titles.items():
        block = results["next_filing"].get(kind, {}).get(scope)
        if not block:
            continue
        methods = list(block)
        rows = [{"metric": _pretty(m), "cells": [_fmt(block[x][m]) for x in methods]} for m in TABLE_METRICS]
        rows.append({"metric": "firms", "cells": [str(block[x]["n"]) for x in methods]})
        tables.append({"title": title, "methods": [METHOD_NAMES.get(m, m) for m in methods], "rows": rows})
    return tables


def _fmt(value: float) -> str:
    return "n/a" if value != value else f"{value:.3f}"


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("marketbert-release")
    except PackageNotFoundError:  # the Space's vendored copy
        return "unknown"


def training_rows(train: dict[str, Any]) -> list[tuple[str, str]]:
    """The training-details table: hyper-parameters, precision, hardware and time, as a reader reproduces them."""
    settings = train.get("hyperparameters") or {}
    rows = [(name, str(settings[key])) for key, name in TRAINING_ROWS.items() if settings.get(key) is not None]
    if not rows:
        return []
    rows.append(("precision", f"{train.get('precision', 'float32')} (weights saved in float32)"))
    if settings.get("hardware"):
        rows.append(("hardware", str(settings["hardware"])))
    rows.append(("training time", f"{train.get('wall_seconds', 0):.0f} s"))
    return rows


def build_marketbert_card(
    results: dict[str, Any],
    repo_id: str,
    *,
    dataset_id: str | None = None,
    hub_url: str | None = None,
    embedding_map: str = "class_embeddings.png",
    license: str = "apache-2.0",
    version: str = "",
) -> ModelCard:
    """Render the card for `repo_id` from the evaluation results (the dict in `eval_results.json`)."""
    for key in ("masked_lm", "next_filing", "train", "model"):
        if key not in results:
            raise CardValidationError(f"The evaluation results lack {key!r}: pass the eval_results.json of a run.")
    dataset_id = dataset_id or results.get("dataset") or "firm-trademark-sequences"
    if hub_url is None:
        from huggingface_hub import constants

        hub_url = constants.ENDPOINT
    has_oracle = "oracle" in results["next_filing"]["classes"]["all"]
    card_data = ModelCardData(
        model_name=repo_id.split("/")[-1],
        license=license,
        library_name="transformers",
        pipeline_tag=TASK,
        tags=["bert", "masked-lm", "trademarks", "market-tokens", "next-filing-prediction"],
        datasets=[dataset_id] if "/" in dataset_id else None,
        metrics=["perplexity", "accuracy", "recall", "mrr", "average_precision"],
        eval_results=eval_results_for_index(results, dataset_id, results.get("split", "test")),
    )
    vocab_years = results["model"].get("years")
    card = ModelCard.from_template(
        card_data,
        template_path=str(TEMPLATE),
        repo_id=repo_id,
        dataset_id=dataset_id,
        dataset_url=f"{hub_url.rstrip('/')}/datasets/{dataset_id}" if "/" in dataset_id else None,
        model=results["model"],
        train=results["train"],
        masked_lm=results["masked_lm"],
        split=results.get("split", "test"),
        n_eval_firms=results["next_filing"]["n_firms"],
        has_oracle=has_oracle,
        tables=_tables(results),
        training=training_rows(results["train"]),
        citation=bibtex(*MARKETBERT_CITATIONS, version=version or _package_version()),
        surprisal=results.get("surprisal") if results.get("surprisal", {}).get("n") else None,
        embedding_map=embedding_map,
        years=vocab_years or "the training range",
    )
    check_card(card, results)
    return card


def check_card(card: ModelCard, results: dict[str, Any]) -> None:
    """Local validation: metadata round-trips through YAML, model-index is complete, every section is there."""
    reparsed = ModelCard(str(card))
    if reparsed.data.eval_results is None or len(reparsed.data.eval_results) < 2:
        raise CardValidationError("The card's model-index did not round-trip (no eval results after parsing).")
    perplexity = next((r.metric_value for r in reparsed.data.eval_results if r.metric_type == "perplexity"), None)
    if perplexity is None or abs(perplexity - results["masked_lm"]["perplexity"]) > 1e-3:
        raise CardValidationError(f"model-index perplexity {perplexity!r} does not match the evaluation results.")
    missing = [s for s in REQUIRED_SECTIONS if s not in card.text]
    if missing:
        raise CardValidationError(f"The card lacks section(s) {missing}.")
    if re.search(r"\{\{ [\w.|() ]+ \}\}|\{%", card.text):  # leftover Jinja (BibTeX's {{...}} is fine)
        raise CardValidationError("The card still contains template markup.")


def write_marketbert_card(
    model_dir: str | Path, repo_id: str, *, dataset_id: str | None = None, validate_remote: bool = True
) -> ModelCard:
    """Build the card from `<model_dir>/eval_results.json`, validate it (also on the Hub), save README.md."""
    import json

    model_dir = Path(model_dir)
    results_path = model_dir / "eval_results.json"
    if not results_path.exists():
        raise FileNotFoundError(f"{results_path} not found: train (or evaluate) MarketBERT into {model_dir} first.")
    results = json.loads(results_path.read_text(encoding="utf-8"))
    card = build_marketbert_card(results, repo_id, dataset_id=dataset_id)
    if validate_remote:
        from hub_client.hub_io import validate_card

        validate_card(card, repo_type="model")
    card.save(model_dir / "README.md")
    logger.info("Model card written to %s", model_dir / "README.md")
    return card
