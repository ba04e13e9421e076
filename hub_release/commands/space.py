"""`hub-release space push|run`: publish the MarketBERT Explorer Space, and run a published Space as hosted."""

from __future__ import annotations

import typer

from hub_client.client_env import configure_client_env

app = typer.Typer(
    name="space",
    help="The MarketBERT Explorer Space: publish it to the Hub, or run a published Space as hosted.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _namespace(repo_id: str) -> str:
    if "/" not in repo_id:
        raise typer.BadParameter(f"expected ORG/NAME, got {repo_id!r}")
    return repo_id.split("/")[0]


@app.command("push")
def push(
    repo_id: str = typer.Argument(..., help="The Space repo, e.g. ORG/marketbert-explorer."),
    model: str | None = typer.Option(None, help="MarketBERT model repo [default: ORG/marketbert]."),
    dataset: str | None = typer.Option(None, help="Dataset repo [default: ORG/firm-trademark-sequences]."),
    twin_green: str | None = typer.Option(None, help="Green classifier repo [default: ORG/twin-transition-green]."),
    twin_digital: str | None = typer.Option(
        None, help="Digital classifier repo [default: ORG/twin-transition-digital]."
    ),
    no_twin: bool = typer.Option(False, "--no-twin", help="Serve no TwinTransition classifier."),
    tag: str | None = typer.Option(None, help="Release tag to create or move, e.g. v1.0."),
) -> None:
    """Publish the Explorer Space (app, pinned requirements, SpaceCard README, its code) in one commit."""
    configure_client_env()
    from explorer.publish import push_space

    org = _namespace(repo_id)
    result = push_space(
        repo_id,
        model_repo=model or f"{org}/marketbert",
        dataset_repo=dataset or f"{org}/firm-trademark-sequences",
        twin_green_repo=None if no_twin else twin_green or f"{org}/twin-transition-green",
        twin_digital_repo=None if no_twin else twin_digital or f"{org}/twin-transition-digital",
        tag=tag,
    )
    state = "published" if result.created_commit else "unchanged"
    typer.echo(f"{state} spaces/{result.repo_id} at {result.commit[:8]}{f' (tag {tag})' if tag else ''}")


@app.command("run")
def run(
    repo_id: str = typer.Argument(..., help="The Space repo, e.g. ORG/marketbert-explorer."),
    port: int = typer.Option(7860, help="Port to serve the app on."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    revision: str | None = typer.Option(None, help="Branch, tag or commit of the Space repo."),
) -> None:
    """Download the Space repo from the Hub and launch its app.py here, as the hosting does."""
    configure_client_env()
    from explorer.runner import run_space

    _namespace(repo_id)
    raise typer.Exit(run_space(repo_id, port=port, host=host, revision=revision))
