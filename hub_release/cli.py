"""`hub-release`: one console script, one thin sub-command group per stage.

Sub-command modules import the Hugging Face libraries lazily, so the client environment (HF_ENDPOINT, ...) is
configured before any of them loads.
"""

from __future__ import annotations

import logging
import os

import typer

from hub_release.local_hub.cli import app as hub_app
from hub_release.release_cli import release

app = typer.Typer(
    name="hub-release",
    help="Build, train and publish the MarketBERT release on a Hugging Face Hub (the embedded local Hub by default).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(hub_app, name="hub")
app.command("release")(release)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details.")) -> None:
    """Configure logging for every sub-command."""
    logging.basicConfig(
        level=logging.DEBUG if verbose or os.environ.get("HUB_RELEASE_DEBUG") else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


if __name__ == "__main__":  # pragma: no cover
    app()
