"""`hub-release dataset build` and `hub-release dataset push`: thin wrappers around the library."""

from __future__ import annotations

from pathlib import Path

import typer

from hub_release.commands.options import CONFIG, SET, given_or, release_config

app = typer.Typer(help="Build the firm trademark sequence dataset and publish it.", no_args_is_help=True)


@app.command()
def build(
    source: str | None = typer.Option(
        None,
        help="synthetic-euipo | synthetic-uspto-csv | synthetic | euipo | uspto-xml | uspto-csv | csv | parquet | "
        "jsonl [default: dataset.source]",
    ),
    input: list[Path] = typer.Option(None, "--input", "-i", help="Input file, folder or zip (repeatable)."),  # noqa: A002
    out: Path = typer.Option(Path("build/dataset"), help="Output folder (repo/ is what gets pushed)."),
    n_firms: int | None = typer.Option(None, help="Number of synthetic firms [default: dataset.n_firms]."),
    seed: int | None = typer.Option(None, help="Seed of the generator and of the firm split [default: seed]."),
    min_filings: int | None = typer.Option(None, help="Drop firms with fewer filings [default: dataset.min_filings]."),
    map_: list[str] = typer.Option(None, "--map", help="FIELD=COLUMN for csv/parquet/jsonl inputs (repeatable)."),
    limit: int = typer.Option(None, min=1, help="Read at most this many records (a quick look); default: all."),
    strict: bool = typer.Option(
        False, "--strict", help="Stop at a file that cannot be read, instead of rejecting it (rejects.jsonl)."
    ),
    workers: int = typer.Option(
        None, min=1, help="Processes reading the inputs (and DuckDB threads); default: all cores."
    ),
    config: Path | None = CONFIG,
    overrides: list[str] = SET,
) -> None:
    """Read raw records (or generate synthetic ones) and write Parquet shards, the card and rejects.jsonl."""
    cfg = release_config(config, overrides)
    from hub_client.client_env import configure_client_env

    configure_client_env()  # `datasets` (the schema's Features) reads the environment at import
    from dataset_builder.build import build_dataset
    from dataset_builder.readers import ColumnMapping

    report = build_dataset(
        out,
        source=given_or(source, cfg.dataset.source),
        inputs=input or [Path(p) for p in cfg.dataset.inputs],
        n_firms=given_or(n_firms, cfg.dataset.n_firms),
        seed=given_or(seed, cfg.seed),
        min_filings=given_or(min_filings, cfg.dataset.min_filings),
        mapping=ColumnMapping.from_pairs(map_),
        limit=limit,
        strict=strict,
        workers=workers,
    )
    typer.echo(report.summary())
    typer.echo(f"Wrote {report.repo_dir} (rejects: {report.rejects_path}) in {report.seconds:.1f} s")


@app.command()
def push(
    out_dir: Path = typer.Argument(..., help="A build output folder (from `dataset build`)."),
    repo_id: str = typer.Option(..., help="Dataset repo, ORG/NAME."),
    tag: str = typer.Option(None, help="Tag to put on the commit, e.g. v0.1.0."),
) -> None:
    """Publish a build to the Hub in one commit (no commit when nothing changed)."""
    from hub_client.client_env import configure_client_env

    configure_client_env()
    from dataset_builder.publish import push_dataset

    result = push_dataset(out_dir, repo_id, tag=tag)
    state = "new commit" if result.created_commit else "unchanged, no commit"
    typer.echo(f"{result.url} at {result.commit[:8]} ({state}){f', tag {result.tag}' if result.tag else ''}")
