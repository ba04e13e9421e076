"""`hub-release`: one console script, one thin sub-command group per stage, one error handler.

Sub-command modules import the Hugging Face libraries lazily, so the client environment (HF_ENDPOINT, ...) is
configured before any of them loads. Every error reaches the user as one line that says what to do; `--debug` (or
`HUB_RELEASE_DEBUG=1`) shows the traceback instead.
"""

from __future__ import annotations

import logging
import os

import typer
import typer.core
from typer._click import Context
from typer.exceptions import TyperException

from hub_client.errors import ConfigError, UserError, explain
from hub_release.commands.dataset import app as dataset_app
from hub_release.commands.hub import app as hub_app
from hub_release.commands.marketbert import app as marketbert_app
from hub_release.commands.release import release
from hub_release.commands.space import app as space_app
from hub_release.commands.twin import app as twin_app

DEBUG_ENV = "HUB_RELEASE_DEBUG"


def report_error(err: Exception) -> None:
    """Print `err` as one line on stderr; a bug (not a user error) also gets a hint how to see its traceback."""
    typer.echo(f"error: {explain(err)}", err=True)
    if not isinstance(err, (UserError, ValueError, OSError)):
        typer.echo(f"(run with --debug for the traceback of this {type(err).__name__})", err=True)


class ErrorHandlingGroup(typer.core.TyperGroup):
    """The root command group: every exception a sub-command raises becomes one line, unless --debug is given.

    Exit code 2 for a bad configuration (as for bad options), 1 for any other error.
    """

    def invoke(self, ctx: Context):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except Exception as err:
            if os.environ.get(DEBUG_ENV):
                raise
            report_error(err)
            raise typer.Exit(2 if isinstance(err, ConfigError) else 1) from None


app = typer.Typer(
    name="hub-release",
    help="Build, train and publish the MarketBERT release on a Hugging Face Hub (the embedded local Hub by default).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=ErrorHandlingGroup,
)
app.add_typer(hub_app, name="hub")
app.add_typer(dataset_app, name="dataset")
app.add_typer(marketbert_app, name="marketbert")
app.add_typer(twin_app, name="twin")
app.add_typer(space_app, name="space")
app.command("release")(release)


@app.callback()
def configure(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details."),
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback of an error."),
) -> None:
    """Configure logging (and error reporting) for every sub-command."""
    if debug:
        os.environ[DEBUG_ENV] = "1"
    logging.basicConfig(
        level=logging.DEBUG if verbose or os.environ.get(DEBUG_ENV) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpx2", "httpcore", "urllib3"):  # one line per HTTP request otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)


if __name__ == "__main__":  # pragma: no cover
    app()
