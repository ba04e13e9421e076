"""`hub-release twin ...`: train, evaluate, learning curve, publish and apply the TwinTransition classifiers.

hub-release twin train --label green --output-dir runs/twin/green
hub-release twin evaluate runs/twin/green
hub-release twin learning-curve --output-dir runs/twin/curve
hub-release twin push-data ORG/twin-transition-labelled --tag v1
hub-release twin push runs/twin/green ORG/twin-transition-green --dataset ORG/twin-transition-labelled --tag v1
hub-release twin score ORG/firm-trademark-sequences --green ORG/twin-transition-green --digital ORG/...-digital
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from hub_client.client_env import configure_client_env
from hub_release.commands.options import CONFIG, SET, release_config

app = typer.Typer(
    name="twin",
    help="TwinTransition SetFit classifiers (green, digital).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _parse_ints(value: str) -> list[int]:
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated integers, got {value!r}") from None


def _twin_config(config: Path | None, overrides: list[str], **options):
    """The classifiers' training config: the release config's `twin` section, then the command's own options."""
    from hub_release.stages import twin_config

    base = twin_config(release_config(config, overrides))
    return base.from_dict({**base.to_dict(), **{k: v for k, v in options.items() if v is not None}})


@app.command()
def train(
    label: str = typer.Option("all", help="green, digital, or all (both, into OUTPUT_DIR/<label>)."),
    output_dir: Path = typer.Option(..., help="Folder for the trained model (per label when --label all)."),
    examples_per_class: int | None = typer.Option(None, help="Examples per class [default: twin.samples_per_class]."),
    seed: int | None = typer.Option(None, help="Seed [default: seed]."),
    config: Path | None = CONFIG,
    overrides: list[str] = SET,
) -> None:
    """Train the item-level classifier(s), calibrate the share rule, evaluate against the other methods; print the
    hard-test F1 and the training time."""
    configure_client_env()
    from twin_transition.labels import LABELS
    from twin_transition.training import train_twin

    cfg = _twin_config(config, overrides, examples_per_class=examples_per_class, seed=seed)
    labels = list(LABELS) if label == "all" else [label]
    for name in labels:
        out = output_dir / name if label == "all" else output_dir
        result = train_twin(name, cfg, out)
        baselines = ", ".join(f"{k} {v['f1']:.3f}" for k, v in result.baselines.items())
        typer.echo(
            f"{name}: F1 {result.metrics['f1']:.3f} (baselines: {baselines}); trained in "
            f"{result.train_seconds:.0f} s ({result.train_cpu_seconds:.0f} CPU-s) -> {out}"
        )


@app.command()
def evaluate(
    model: str = typer.Argument(..., help="Trained folder or Hub repo id."),
    revision: str | None = typer.Option(None, help="Hub revision (branch, tag, commit)."),
    split: str = typer.Option("test", help="test (the hard split) or real_validation (real registry descriptions)."),
) -> None:
    """Evaluate a classifier with its saved decision rule (loaded without pickle); print the metrics as JSON."""
    configure_client_env()
    from twin_transition.evaluation import evaluate_twin

    typer.echo(json.dumps(evaluate_twin(model, revision=revision, split=split), indent=2))


@app.command("learning-curve")
def learning_curve(
    output_dir: Path = typer.Option(..., help="Folder for learning_curve.{jsonl,json,md,png}."),
    sizes: str = typer.Option("8,16,32,64", help="Examples per class."),
    seeds: str = typer.Option("0,1,2", help="Seeds; one sample and one training per seed and size."),
    labels: str = typer.Option("green,digital", help="Labels."),
    config: Path | None = CONFIG,
    overrides: list[str] = SET,
    resume: bool = typer.Option(False, help="Keep the runs already in OUTPUT_DIR/learning_curve.jsonl."),
) -> None:
    """SetFit against TF-IDF, frozen-embedding and keyword baselines (slow: trains len(sizes)*len(seeds)*2 models)."""
    configure_client_env()
    from twin_transition.learning_curve import markdown_table, run_learning_curve

    summary = run_learning_curve(
        output_dir,
        labels=[v.strip() for v in labels.split(",") if v.strip()],
        sizes=_parse_ints(sizes),
        seeds=_parse_ints(seeds),
        config=_twin_config(config, overrides),
        resume=resume,
    )
    typer.echo(markdown_table(summary))
    typer.echo(f"wrote {output_dir}/learning_curve.png")


@app.command()
def push(
    output_dir: Path = typer.Argument(..., help="Folder written by `twin train`."),
    repo_id: str = typer.Argument(..., help="Model repo, e.g. ORG/twin-transition-green."),
    dataset: str | None = typer.Option(None, "--dataset", help="Dataset repo of the labelled data (card link)."),
    tag: str | None = typer.Option(None, help="Tag to create or move to the pushed commit."),
) -> None:
    """Publish a trained classifier with its enriched, validated card (and the pickle-free head)."""
    configure_client_env()
    from twin_transition.publishing import publish_twin

    result = publish_twin(output_dir, repo_id, tag=tag, dataset_repo_id=dataset)
    typer.echo(f"{result.repo_id} @ {result.commit[:8]}{' (' + result.tag + ')' if result.tag else ''}: {result.url}")


@app.command("push-data")
def push_data(
    repo_id: str = typer.Argument(..., help="Dataset repo, e.g. ORG/twin-transition-labelled."),
    tag: str | None = typer.Option(None, help="Tag to create or move to the pushed commit."),
) -> None:
    """Publish the labelled few-shot data with its card and labelling guide."""
    configure_client_env()
    from twin_transition.publishing import publish_twin_dataset

    result = publish_twin_dataset(repo_id, tag=tag)
    typer.echo(f"{result.repo_id} @ {result.commit[:8]}{' (' + result.tag + ')' if result.tag else ''}: {result.url}")


@app.command()
def score(
    dataset: str = typer.Argument(..., help="Trademark dataset repo (config `filings`); the configs are added to it."),
    green: str = typer.Option(..., help="Green classifier: folder or Hub repo id."),
    digital: str = typer.Option(..., help="Digital classifier: folder or Hub repo id."),
    threshold: float = typer.Option(0.5, help="Score from which a filing counts (0.5: the models' calibrated rule)."),
    num_proc: int = typer.Option(None, help="Worker processes on a CPU [default: 1, this process, all cores]."),
) -> None:
    """Score every filing and push the `twin_scores` and `twin_trajectories` configs to DATASET."""
    configure_client_env()
    from datasets import load_dataset

    from twin_transition.head import load_twin_classifier
    from twin_transition.scoring import publish_twin_configs

    filings = load_dataset(dataset, "filings")
    classifiers = {"green": load_twin_classifier(green), "digital": load_twin_classifier(digital)}
    pushed = publish_twin_configs(filings, classifiers, dataset, threshold=threshold, num_proc=num_proc)
    rows = {name: sum(len(split) for split in dd.values()) for name, dd in pushed.items()}
    typer.echo(f"{dataset}: " + ", ".join(f"{name} {n} rows" for name, n in rows.items()))
