"""`hub-release`: one console script, one thin sub-command group per stage.

Sub-command modules import the Hugging Face libraries lazily, so the client environment (HF_ENDPOINT, ...) is
configured before any of them loads.
"""

from __future__ import annotations

import logging
import os

import typer

from dataset_builder.cli import app as dataset_app
from explorer.cli import app as space_app
from hub_release.local_hub.cli import app as hub_app
from hub_release.release_cli import release
from marketbert.cli import app as marketbert_app
from twin_transition.cli import app as twin_app

app = typer.Typer(
    name="hub-release",
    help="Build, train and publish the MarketBERT release on a Hugging Face Hub (the embedded local Hub by default).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(hub_app, name="hub")
app.add_typer(dataset_app, name="dataset")
app.add_typer(marketbert_app, name="marketbert")
app.add_typer(twin_app, name="twin")
app.add_typer(space_app, name="space")
app.command("release")(release)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details.")) -> None:
    """Configure logging for every sub-command."""
    logging.basicConfig(
        level=logging.DEBUG if verbose or os.environ.get("HUB_RELEASE_DEBUG") else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpx2", "httpcore", "urllib3"):  # one line per HTTP request otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)


if __name__ == "__main__":  # pragma: no cover
    app()
