"""The stages of a release, in order: dataset -> marketbert -> twin -> space -> tag.

Retries live in one layer, `hub_client`: the publish functions retry each of their Hub calls, so a stage wraps in
`with_retries` only the Hub calls that do not go through them (loading a dataset, pushing the scoring configs,
tagging). The publish functions are idempotent (no commit when nothing changed).

Each stage reads the config sections it names (its key), takes its inputs from the Hub at the commits recorded by
the stages before it, and publishes with the stock clients. Nothing here is specific to the embedded Hub.
"""

from __future__ import annotations

import logging
from pathlib import Path

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
    ctx.progress.start(2, "building")
    report = build_dataset(
        ctx.work_dir,
        source=cfg.dataset.source,
        inputs=cfg.dataset.inputs,
        n_firms=cfg.dataset.n_firms,
        seed=cfg.seed,
        min_filings=cfg.dataset.min_filings,
    )
    logger.info("Dataset: %s", report.summary())
    ctx.progress.advance(1, "publishing")
    repo_id = cfg.repo_id(cfg.dataset.name)
    result = push_dataset(ctx.work_dir, repo_id, private=cfg.hub.private)
    ctx.progress.advance(1)
    metrics = {
        "records_read": report.records_read,
        "records_kept": report.records_kept,
        "records_rejected": report.records_rejected,
        "firms": sum(report.firms.values()),
        "filings": sum(report.filings.values()),
    }
    return StageRecord(key="", outputs={"build": str(ctx.work_dir)}, repos=[repo_record(result)], metrics=metrics)


def marketbert_overrides(cfg: ReleaseConfig) -> dict:
    """What the release config sets over the MarketBERT preset: the seed, `max_steps`, the `train` keys."""
    overrides = {"seed": cfg.seed, **({"max_steps": cfg.marketbert.max_steps} if cfg.marketbert.max_steps > 0 else {})}
    return {**overrides, **cfg.marketbert.train}


def run_marketbert(ctx: StageContext) -> StageRecord:
    """Train MarketBERT from scratch on the published dataset, evaluate it against the baselines, publish it."""
    from datasets import load_dataset

    from marketbert.publish import publish_marketbert
    from marketbert.train import train_marketbert

    cfg = ctx.config
    ctx.progress.start(1, "loading the dataset")
    dataset_id, dataset_commit = _dataset_repo(ctx)
    sequences = with_retries(
        lambda: load_dataset(dataset_id, "sequences", revision=dataset_commit), what=f"Loading {dataset_id}"
    )
    repo_id = cfg.repo_id(cfg.marketbert.name)
    overrides = {**marketbert_overrides(cfg), "push_to_hub": True, "hub_model_id": repo_id}
    results = train_marketbert(
        sequences,
        cfg.marketbert.preset,
        ctx.work_dir,
        overrides=overrides,
        dataset_repo_id=dataset_id,
        callbacks=[_training_progress(ctx.progress)],
    )
    ctx.progress.advance(1, "publishing")
    result = publish_marketbert(ctx.work_dir, repo_id, dataset_id=dataset_id, private=cfg.hub.private)
    return StageRecord(
        key="",
        outputs={"model": str(ctx.work_dir / "model")},
        repos=[repo_record(result)],
        metrics=_marketbert_headline(results),
    )


def _training_progress(progress):
    """A TrainerCallback that moves the stage's bar with the training steps (then evaluation)."""
    from transformers import TrainerCallback

    class TrainingProgress(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            progress.advance(1, "training")
            progress.start(state.max_steps - state.global_step + 2, "training")

        def on_step_end(self, args, state, control, **kwargs):
            progress.advance(1)

        def on_train_end(self, args, state, control, **kwargs):
            progress.advance(0, "evaluating")

    return TrainingProgress()


def _marketbert_headline(results: dict) -> dict:
    """Perplexity, next-filing Recall@5 of MarketBERT and each baseline, and new-class AUC-PR vs density."""
    classes = results.get("next_filing", {}).get("classes", {})
    headline = {"perplexity": results["masked_lm"]["perplexity"]}
    for method, scores in classes.get("all", {}).items():
        headline[f"{method}_recall@5"] = scores.get("recall@5")
    for method in ("marketbert", "density"):
        headline[f"{method}_new_auc_pr"] = classes.get("new", {}).get(method, {}).get("auc_pr")
    return {k: v for k, v in headline.items() if v is not None}


def twin_config(cfg: ReleaseConfig):
    """The classifiers' `TwinConfig` from the release config's `twin` section (and its seed)."""
    from twin_transition.config import TwinConfig

    base = {"examples_per_class": cfg.twin.samples_per_class, "seed": cfg.seed, "max_steps": cfg.twin.max_steps}
    return TwinConfig.from_dict({**base, **cfg.twin.train})


def run_twin(ctx: StageContext) -> StageRecord:
    """Train, evaluate and publish both TwinTransition classifiers and their labelled data (with the learning curve
    on the hard test split in their cards when `twin.learning_curve_seeds` > 0); score every filing."""
    from datasets import load_dataset

    from twin_transition.corpus import load_corpus
    from twin_transition.head import load_twin_classifier
    from twin_transition.learning_curve import run_learning_curve
    from twin_transition.publishing import publish_twin, publish_twin_dataset
    from twin_transition.scoring import publish_twin_configs
    from twin_transition.training import train_twin

    cfg = ctx.config
    settings = twin_config(cfg)
    corpus = load_corpus()
    ctx.progress.start(7, "publishing the labelled data")
    labels_repo = cfg.repo_id(cfg.twin.dataset_name)
    repos = [repo_record(publish_twin_dataset(labels_repo, private=cfg.hub.private))]
    ctx.progress.advance(1)
    curve_dir = None
    if cfg.twin.learning_curve_seeds:
        ctx.progress.advance(0, "learning curve")
        curve_dir = ctx.work_dir / "learning-curve"
        seeds = list(range(cfg.twin.learning_curve_seeds))
        run_learning_curve(curve_dir, seeds=seeds, config=settings, corpus=corpus, resume=True)
    ctx.progress.advance(1)
    metrics, classifiers = {}, {}
    for label, name in (("green", cfg.twin.green_name), ("digital", cfg.twin.digital_name)):
        out = ctx.work_dir / label
        ctx.progress.advance(0, f"training {label}")
        trained = train_twin(label, settings, out, corpus=corpus)
        ctx.progress.advance(1, f"publishing {label}")
        published = publish_twin(
            out,
            cfg.repo_id(name),
            dataset_repo_id=labels_repo,
            learning_curve_dir=curve_dir,
            private=cfg.hub.private,
        )
        ctx.progress.advance(1)
        repos.append(repo_record(published))
        for split, values in trained.evaluations["item_setfit"].items():
            if values.get("positives") != 0:  # no positive in the split (real green): F1 says nothing, leave it out
                metrics[f"{label}_{split}_f1"] = values.get("f1")
        metrics[f"{label}_f1"] = trained.metrics.get("f1")
        metrics[f"{label}_keyword_f1"] = trained.baselines["keyword_rule"].get("f1")
        metrics[f"{label}_tfidf_f1"] = trained.baselines["tfidf_logreg"].get("f1")
        metrics[f"{label}_train_seconds"] = trained.train_seconds
        classifiers[label] = load_twin_classifier(out)
    dataset_id, dataset_commit = _dataset_repo(ctx)
    ctx.progress.advance(0, "scoring every filing")
    filings = with_retries(
        lambda: load_dataset(dataset_id, "filings", revision=dataset_commit), what=f"Loading {dataset_id}"
    )
    with_retries(
        lambda: publish_twin_configs(filings, classifiers, dataset_id), what=f"Adding twin configs to {dataset_id}"
    )
    ctx.progress.advance(1)
    return StageRecord(key="", outputs={"models": str(ctx.work_dir)}, repos=repos, metrics=metrics)


def run_space(ctx: StageContext) -> StageRecord:
    """Publish the MarketBERT Explorer Space, wired to the repos published above at the release tag.

    The repos it loads are tagged first (at their current heads, as the `tag` stage will), so that the Space, which
    the Hub starts as soon as it is pushed, finds the tag it loads.
    """
    from huggingface_hub import HfApi

    from explorer.publish import push_space
    from hub_client.hub_io import tag_revision

    cfg = ctx.config
    ctx.progress.start(1, "publishing")
    space_id = cfg.repo_id(cfg.space.name)
    loaded = {
        "model_repo": cfg.repo_id(cfg.marketbert.name),
        "twin_green_repo": cfg.repo_id(cfg.twin.green_name),
        "twin_digital_repo": cfg.repo_id(cfg.twin.digital_name),
        "dataset_repo": cfg.repo_id(cfg.dataset.name),
    }
    api = HfApi()
    for key, repo_id in loaded.items():
        repo_type = "dataset" if key == "dataset_repo" else "model"

        def tag_head(repo_id: str = repo_id, repo_type: str = repo_type) -> None:
            head = api.repo_info(repo_id, repo_type=repo_type).sha
            tag_revision(repo_id, cfg.version, head, repo_type=repo_type, api=api)

        with_retries(tag_head, what=f"Tagging {repo_id}")
    result = push_space(space_id, **loaded, revision=cfg.version, private=cfg.hub.private)
    ctx.progress.advance(1)
    return StageRecord(key="", repos=[repo_record(result)])


def space_url(cfg: ReleaseConfig, endpoint: str) -> str:
    """Where the Hub serves the Space's app (the embedded Hub hosts it at `/spaces/ORG/NAME`)."""
    return f"{endpoint.rstrip('/')}/spaces/{cfg.repo_id(cfg.space.name)}"


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

    ctx.progress.start(len(seen), "tagging")
    records = []
    for repo in seen.values():
        records.append(with_retries(lambda r=repo: tag_head(r), what=f"Tagging {repo.repo_id}"))
        ctx.progress.advance(1)
    return StageRecord(key="", repos=records)


def dataset_inputs(cfg: ReleaseConfig) -> list[Path]:
    """The registry files the dataset is built from (none for the synthetic sources: their files are a pure function
    of the config the stage key covers, generated under the stage's work folder)."""
    return [Path(p) for p in cfg.dataset.inputs]


def marketbert_inputs(cfg: ReleaseConfig) -> list[Path]:
    """The training preset file the MarketBERT stage reads."""
    from marketbert.config import preset_path

    return [preset_path(cfg.marketbert.preset)]


def twin_inputs(cfg: ReleaseConfig) -> list[Path]:
    """The labelled few-shot data (and its guide) the classifiers are trained and evaluated on."""
    from twin_transition.labelled_data import DATA_DIR

    return [DATA_DIR]


def space_inputs(cfg: ReleaseConfig) -> list[Path]:
    """The Space's sources: its app shim, requirements and every project module the app imports."""
    from explorer.publish import SPACE_SOURCE, app_module_files

    return [SPACE_SOURCE, *app_module_files()]


STAGES: list[Stage] = [
    Stage(
        "dataset",
        "build and publish the firm trademark sequence dataset",
        reads=("org", "seed", "dataset"),
        depends_on=(),
        run=run_dataset,
        inputs=dataset_inputs,
    ),
    Stage(
        "marketbert",
        "train, evaluate and publish MarketBERT",
        reads=("org", "seed", "marketbert"),
        depends_on=("dataset",),
        run=run_marketbert,
        inputs=marketbert_inputs,
    ),
    Stage(
        "twin",
        "train and publish the TwinTransition classifiers",
        reads=("org", "seed", "twin"),
        depends_on=("dataset",),
        run=run_twin,
        inputs=twin_inputs,
    ),
    Stage(
        "space",
        "publish the MarketBERT Explorer Space",
        reads=("org", "version", "space", "dataset.name", "marketbert.name", "twin.green_name", "twin.digital_name"),
        depends_on=("marketbert", "twin"),
        run=run_space,
        inputs=space_inputs,
    ),
    Stage(
        "tag",
        "tag every repo with the release version",
        reads=("version",),
        depends_on=("dataset", "marketbert", "twin", "space"),
        run=run_tag,
        publishes=False,
    ),
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

import json
from huggingface_hub import hf_hub_download
from setfit import SetFitModel
green_repo = "{cfg.repo_id(cfg.twin.green_name)}"
green = SetFitModel.from_pretrained(green_repo, revision="{cfg.version}")
rule = json.load(open(hf_hub_download(green_repo, "twin_decision.json", revision="{cfg.version}")))
items = ["solar panels", "wind turbines for generating electricity", "clothing"]
counted = green.predict_proba(items, as_numpy=True)[:, 1] >= rule["item_threshold"]
print("green" if counted.mean() >= rule["min_share"] else "not green", dict(zip(items, counted)))
EOF
hub-release space run {cfg.repo_id(cfg.space.name)}"""
