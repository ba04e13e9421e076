"""The stages of a release, in order: dataset -> marketbert -> twin -> space -> tag.

Every Hub call goes through `with_retries`; the publish functions are idempotent (no commit when nothing changed),
so retrying a whole publish after a transient failure is safe.

Each stage reads the config sections it names (its key), takes its inputs from the Hub at the commits recorded by
the stages before it, and publishes with the stock clients. Nothing here is specific to the embedded Hub.
"""

from __future__ import annotations

import logging

from hub_client.retry import with_retries
from hub_release.config import ReleaseConfig
from hub_release.manifest import RepoRecord, StageRecord
from hub_release.release import Stage, StageContext, repo_record

logger = logging.getLogger(__name__)


def _dataset_repo(ctx: StageContext) -> tuple[str, str]:
    repo = ctx.upstream("dataset").repos[0]
    return repo.repo_id, repo.commit


def run_dataset(ctx: StageContext) -> StageRecord:
    """Build the firm trademark sequence dataset and publish it (configs `sequences` and `filings`)."""
    from dataset_builder import build_dataset, push_dataset

    cfg = ctx.config
    report = build_dataset(
        ctx.work_dir,
        source=cfg.dataset.source,
        inputs=cfg.dataset.inputs,
        n_firms=cfg.dataset.n_firms,
        seed=cfg.seed,
        min_filings=cfg.dataset.min_filings,
    )
    logger.info("Dataset: %s", report.summary())
    repo_id = cfg.repo_id(cfg.dataset.name)
    result = with_retries(
        lambda: push_dataset(ctx.work_dir, repo_id, private=cfg.hub.private), what=f"Publishing {repo_id}"
    )
    metrics = {
        "records_read": report.records_read,
        "records_kept": report.records_kept,
        "records_rejected": report.records_rejected,
        "firms": sum(report.firms.values()),
        "filings": sum(report.filings.values()),
    }
    return StageRecord(key="", outputs={"build": str(ctx.work_dir)}, repos=[repo_record(result)], metrics=metrics)


def run_marketbert(ctx: StageContext) -> StageRecord:
    """Train MarketBERT from scratch on the published dataset, evaluate it against the baselines, publish it."""
    from datasets import load_dataset

    from marketbert.publish import publish_marketbert
    from marketbert.train import train_marketbert

    cfg = ctx.config
    dataset_id, dataset_commit = _dataset_repo(ctx)
    sequences = with_retries(
        lambda: load_dataset(dataset_id, "sequences", revision=dataset_commit), what=f"Loading {dataset_id}"
    )
    repo_id = cfg.repo_id(cfg.marketbert.name)
    overrides: dict = {"seed": cfg.seed, "push_to_hub": True, "hub_model_id": repo_id}
    if cfg.marketbert.max_steps > 0:
        overrides["max_steps"] = cfg.marketbert.max_steps
    results = train_marketbert(
        sequences, cfg.marketbert.preset, ctx.work_dir, overrides=overrides, dataset_repo_id=dataset_id
    )
    result = with_retries(
        lambda: publish_marketbert(ctx.work_dir, repo_id, dataset_id=dataset_id), what=f"Publishing {repo_id}"
    )
    return StageRecord(
        key="",
        outputs={"model": str(ctx.work_dir / "model")},
        repos=[repo_record(result)],
        metrics=_marketbert_headline(results),
    )


def _marketbert_headline(results: dict) -> dict:
    """Perplexity, next-filing Recall@5 of MarketBERT and each baseline, and new-class AUC-PR vs density."""
    classes = results.get("next_filing", {}).get("classes", {})
    headline = {"perplexity": results["masked_lm"]["perplexity"]}
    for method, scores in classes.get("all", {}).items():
        headline[f"{method}_recall@5"] = scores.get("recall@5")
    for method in ("marketbert", "density"):
        headline[f"{method}_new_auc_pr"] = classes.get("new", {}).get(method, {}).get("auc_pr")
    return {k: v for k, v in headline.items() if v is not None}


def run_twin(ctx: StageContext) -> StageRecord:
    """Train, evaluate and publish both TwinTransition classifiers and their labelled data; score every filing."""
    from datasets import load_dataset

    from twin_transition.config import TwinConfig
    from twin_transition.head import load_twin_classifier
    from twin_transition.publishing import publish_twin, publish_twin_dataset
    from twin_transition.scoring import publish_twin_configs
    from twin_transition.training import train_twin

    cfg = ctx.config
    twin_config = TwinConfig(
        examples_per_class=cfg.twin.samples_per_class, seed=cfg.seed, max_steps=cfg.twin.max_steps
    )
    labels_repo = cfg.repo_id(cfg.twin.dataset_name)
    repos = [repo_record(with_retries(lambda: publish_twin_dataset(labels_repo), what=f"Publishing {labels_repo}"))]
    metrics, classifiers = {}, {}
    for label, name in (("green", cfg.twin.green_name), ("digital", cfg.twin.digital_name)):
        out = ctx.work_dir / label
        trained = train_twin(label, twin_config, out)
        published = with_retries(
            lambda out=out, name=name: publish_twin(out, cfg.repo_id(name), dataset_repo_id=labels_repo),
            what=f"Publishing {cfg.repo_id(name)}",
        )
        repos.append(repo_record(published))
        metrics[f"{label}_f1"] = trained.metrics.get("f1")
        metrics[f"{label}_tfidf_f1"] = trained.baselines["tfidf_logreg"].get("f1")
        classifiers[label] = load_twin_classifier(out)
    dataset_id, dataset_commit = _dataset_repo(ctx)
    filings = with_retries(
        lambda: load_dataset(dataset_id, "filings", revision=dataset_commit), what=f"Loading {dataset_id}"
    )
    with_retries(
        lambda: publish_twin_configs(filings, classifiers, dataset_id), what=f"Adding twin configs to {dataset_id}"
    )
    return StageRecord(key="", outputs={"models": str(ctx.work_dir)}, repos=repos, metrics=metrics)


def run_space(ctx: StageContext) -> StageRecord:
    """Publish the MarketBERT Explorer Space, wired to the repos published above."""
    from explorer.publish import push_space

    cfg = ctx.config
    space_id = cfg.repo_id(cfg.space.name)
    result = with_retries(
        lambda: push_space(
            space_id,
            model_repo=cfg.repo_id(cfg.marketbert.name),
            twin_green_repo=cfg.repo_id(cfg.twin.green_name),
            twin_digital_repo=cfg.repo_id(cfg.twin.digital_name),
            dataset_repo=cfg.repo_id(cfg.dataset.name),
        ),
        what=f"Publishing {space_id}",
    )
    return StageRecord(key="", repos=[repo_record(result)])


def run_tag(ctx: StageContext) -> StageRecord:
    """Tag the current head of every published repo with the release version."""
    from huggingface_hub import HfApi

    from hub_client.hub_io import tag_revision

    api = HfApi()
    seen: dict[tuple[str, str], RepoRecord] = {}
    for name in ("dataset", "marketbert", "twin", "space"):
        for repo in ctx.manifest.stages[name].repos if name in ctx.manifest.stages else []:
            seen.setdefault((repo.repo_type, repo.repo_id), repo)

    def tag_head(repo: RepoRecord) -> RepoRecord:
        head = api.repo_info(repo.repo_id, repo_type=repo.repo_type).sha
        tag_revision(repo.repo_id, ctx.config.version, head, repo_type=repo.repo_type, api=api)
        return RepoRecord(repo.repo_id, repo.repo_type, repo.url, head, ctx.config.version)

    records = [with_retries(lambda r=r: tag_head(r), what=f"Tagging {r.repo_id}") for r in seen.values()]
    return StageRecord(key="", repos=records)


STAGES: list[Stage] = [
    Stage("dataset", "build and publish the firm trademark sequence dataset", ("dataset",), (), run_dataset),
    Stage("marketbert", "train, evaluate and publish MarketBERT", ("marketbert",), ("dataset",), run_marketbert),
    Stage("twin", "train and publish the TwinTransition classifiers", ("twin",), ("dataset",), run_twin),
    Stage("space", "publish the MarketBERT Explorer Space", ("space",), ("marketbert", "twin"), run_space),
    Stage("tag", "tag every repo with the release version", (), ("dataset", "marketbert", "twin", "space"), run_tag),
]


def snippets(cfg: ReleaseConfig) -> str:
    """Copy-paste snippets that load every published artefact with the stock libraries."""
    dataset, model = cfg.repo_id(cfg.dataset.name), cfg.repo_id(cfg.marketbert.name)
    return f"""python - <<'EOF'
from datasets import load_dataset
sequences = load_dataset("{dataset}", "sequences", revision="{cfg.version}")
print(sequences)

from transformers import AutoModelForMaskedLM, AutoTokenizer, pipeline
tokenizer = AutoTokenizer.from_pretrained("{model}", revision="{cfg.version}")
model = AutoModelForMaskedLM.from_pretrained("{model}", revision="{cfg.version}")
fill = pipeline("fill-mask", model=model, tokenizer=tokenizer)
print(fill("[APP] YEAR_2015 GAP_FIRST NICE_09 NICE_42 [APP_END] [APP] YEAR_2018 GAP_5Y [MASK] [APP_END]", top_k=5))

from setfit import SetFitModel
green = SetFitModel.from_pretrained("{cfg.repo_id(cfg.twin.green_name)}", revision="{cfg.version}")
print(green.predict_proba(["solar panels; wind turbines for generating electricity"]))
EOF
hub-release space run {cfg.repo_id(cfg.space.name)}"""
