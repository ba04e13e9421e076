"""`hub-release marketbert ...`: train, evaluate and push MarketBERT (heavy imports happen inside each command)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from hub_release.commands.options import CONFIG, given_or, release_config

app = typer.Typer(name="marketbert", help="Train, evaluate and publish MarketBERT.", no_args_is_help=True)


@app.command()
def train(
    preset: str | None = typer.Option(None, help="Training preset: tiny, small, base [default: marketbert.preset]."),
    dataset: str | None = typer.Option(None, help="Dataset repo id or folder [default: ORG/<dataset.name>]."),
    output_dir: Path = typer.Option(Path("marketbert-output"), help="Where trainer/ and model/ are written."),
    push_to: str = typer.Option(None, help="Model repo id: push checkpoints there during training (a branch)."),
    config: Path | None = CONFIG,
    overrides: list[str] = typer.Option(
        [], "--set", help="Release config override, e.g. --set marketbert.train.num_train_epochs=2."
    ),
) -> None:
    """Train MarketBERT from scratch, evaluate it on the test firms and write the release folder.

    Runs unchanged under `torchrun` / `accelerate launch` (data parallel; README "Scaling out").
    """
    cfg = release_config(config, [*overrides, *([f"marketbert.preset={preset}"] if preset else [])])
    from hub_client.client_env import configure_client_env

    configure_client_env()
    from hub_release.stages import marketbert_overrides
    from marketbert.distributed import is_main_process, leave_process_group
    from marketbert.train import train_marketbert

    settings = marketbert_overrides(cfg)
    if push_to:
        settings.update(push_to_hub=True, hub_model_id=push_to)
    dataset = given_or(dataset, cfg.repo_id(cfg.dataset.name))
    results = train_marketbert(dataset, cfg.marketbert.preset, output_dir, overrides=settings)
    main_process = is_main_process()
    leave_process_group()  # under torchrun / accelerate launch: every process has the results by now
    if not main_process:  # under torchrun / accelerate launch, rank 0 reports
        return
    best = results["next_filing"]["classes"]["all"]["marketbert"]
    typer.echo(
        f"trained: perplexity {results['masked_lm']['perplexity']:.2f}, next-filing recall@5 {best['recall@5']:.3f}, "
        f"MRR {best['mrr']:.3f} -> {output_dir / 'model'}"
    )


@app.command()
def evaluate(
    model: str = typer.Option(..., help="Model folder or Hub repo id."),
    dataset: str = typer.Option(..., help="Dataset repo id or folder (config `sequences`)."),
    split: str = typer.Option("test", help="Held-out split to evaluate."),
    output: Path = typer.Option(None, help="Write the results JSON here (default: print it)."),
    batch_size: int = typer.Option(64, help="Evaluation batch size."),
) -> None:
    """Evaluate a trained MarketBERT: perplexity, masked accuracy, next-filing ranking vs baselines."""
    from hub_client.client_env import configure_client_env

    configure_client_env()
    from marketbert.evaluation import evaluate_marketbert
    from marketbert.inference import load_marketbert
    from marketbert.train import load_sequences

    mlm, encoder = load_marketbert(model)
    results = evaluate_marketbert(mlm, encoder, load_sequences(dataset), split=split, batch_size=batch_size)
    text = json.dumps(results, indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"evaluated: results in {output}")
    else:
        typer.echo(text)


@app.command()
def push(
    output_dir: Path = typer.Option(..., help="A training output dir (or its model/ folder)."),
    repo_id: str = typer.Option(..., help="Model repo id, e.g. ORG/marketbert."),
    tag: str = typer.Option(None, help="Release tag to create or move."),
    dataset_id: str = typer.Option(None, help="Training dataset repo id for the card."),
) -> None:
    """Write the model card, validate it and publish the model folder in one commit."""
    from hub_client.client_env import configure_client_env

    configure_client_env()
    from marketbert.publish import publish_marketbert

    result = publish_marketbert(output_dir, repo_id, tag, dataset_id=dataset_id)
    state = "published" if result.created_commit else "unchanged"
    typer.echo(f"{state}: {result.url} @ {result.commit[:8]}" + (f" ({result.tag})" if result.tag else ""))


@app.command()
def forecast(
    model: str = typer.Option(..., help="Model folder or Hub repo id."),
    dataset: str = typer.Option(..., help="Dataset repo id or folder (config `sequences`)."),
    output: Path = typer.Option(..., help="Parquet file for the forecasts (one row per firm)."),
    split: list[str] = typer.Option([], help="Split(s) to forecast [default: all]."),
    top_k: int = typer.Option(10, help="Classes and items listed per firm (1-45)."),
    num_proc: int = typer.Option(None, help="Worker processes [default: one per GPU, else 1]."),
    batch_size: int = typer.Option(64, help="Firms per forward pass."),
) -> None:
    """Forecast the next filing of every firm (classes and items with probabilities), over all cores or GPUs."""
    if output.suffix != ".parquet":
        raise typer.BadParameter(f"{output} must end in .parquet", param_hint="--output")
    from hub_client.client_env import configure_client_env

    configure_client_env()
    import datasets

    from marketbert.batch_forecast import forecast_dataset
    from marketbert.train import load_sequences

    splits = load_sequences(dataset)
    unknown = sorted(set(split) - set(splits))
    if unknown:
        raise typer.BadParameter(f"unknown split(s) {unknown}; the dataset has {sorted(splits)}", param_hint="--split")
    parts = []
    for name in split or list(splits):
        rows = forecast_dataset(model, splits[name], top_k=top_k, num_proc=num_proc, batch_size=batch_size)
        parts.append(rows.add_column("split", [name] * len(rows)))
    output.parent.mkdir(parents=True, exist_ok=True)
    datasets.concatenate_datasets(parts).to_parquet(str(output))
    typer.echo(f"forecast: {sum(len(p) for p in parts)} firms -> {output}")
