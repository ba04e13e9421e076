"""`hub-release hub ...`: serve the embedded Hub and manage its tokens.

Port, data dir and user default to the release config's `hub.port`, `hub.data_dir` and `org`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from hub_release.commands.options import CONFIG, SET, given_or, release_config

app = typer.Typer(help="The embedded Hugging Face Hub-compatible server.", no_args_is_help=True)
token_app = typer.Typer(help="Access tokens of the embedded Hub.", no_args_is_help=True)
app.add_typer(token_app, name="token")

DATA_DIR = typer.Option(None, "--data-dir", help="Where repos, blobs and tokens are stored [default: hub.data_dir].")
USER = typer.Option(None, "--user", help="The user (namespace) the default write token acts as [default: org].")
PORT = typer.Option(None, "--port", help="TCP port [default: hub.port].")


def _settings(config: Path | None, overrides: list[str], data_dir: Path | None, user: str | None, port: int | None):
    cfg = release_config(config, overrides)
    return given_or(data_dir, Path(cfg.hub.data_dir)), given_or(user, cfg.org), given_or(port, cfg.hub.port)


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", help="Interface to bind (loopback by default)."),
    port: int | None = PORT,
    data_dir: Path | None = DATA_DIR,
    user: str | None = USER,
    no_spaces: bool = typer.Option(False, "--no-spaces", help="Do not host Spaces (their pages show no app)."),
    max_spaces: int = typer.Option(2, "--max-spaces", help="At most this many Spaces run at once."),
    space_idle_timeout: float = typer.Option(3600.0, "--space-idle-timeout", help="Stop a Space idle this long (s)."),
    config: Path | None = CONFIG,
    overrides: list[str] = SET,
) -> None:
    """Serve the Hub API and pages, and host its Gradio Spaces at /spaces/ORG/NAME; point clients at it with
    HF_ENDPOINT=http://HOST:PORT and HF_HUB_DISABLE_XET=1."""
    from local_hub.server import SpaceOptions, serve

    data_dir, user, port = _settings(config, overrides, data_dir, user, port)
    serve(host, port, data_dir, user=user, spaces=SpaceOptions(not no_spaces, max_spaces, space_idle_timeout))


@token_app.command("create")
def token_create(
    name: str = typer.Argument(..., help="A label for the token."),
    role: str = typer.Option("write", help="'write' or 'read'."),
    user: str | None = USER,
    data_dir: Path | None = DATA_DIR,
    config: Path | None = CONFIG,
    overrides: list[str] = SET,
) -> None:
    """Create an access token and print it (it is shown only this once)."""
    from local_hub.storage import HubStorage

    data_dir, user, _ = _settings(config, overrides, data_dir, user, None)
    typer.echo(HubStorage(data_dir).create_token(name, user=user, role=role))


@app.command("start")
def start_command(
    port: int | None = PORT,
    data_dir: Path | None = DATA_DIR,
    user: str | None = USER,
    config: Path | None = CONFIG,
    overrides: list[str] = SET,
) -> None:
    """Start the embedded Hub in the background (reused if already running) and print its endpoint."""
    from local_hub.daemon import start_daemon

    data_dir, user, port = _settings(config, overrides, data_dir, user, port)
    endpoint = start_daemon(data_dir, port=port, user=user)
    typer.echo(f"export HF_ENDPOINT={endpoint} HF_HUB_DISABLE_XET=1")


@app.command("stop")
def stop_command(data_dir: Path | None = DATA_DIR, config: Path | None = CONFIG, overrides: list[str] = SET) -> None:
    """Stop the background embedded Hub started by `hub start` or `release`."""
    from local_hub.daemon import stop_daemon

    data_dir, _, _ = _settings(config, overrides, data_dir, None, None)
    typer.echo("stopped" if stop_daemon(data_dir) else "no embedded Hub was running for this data dir")
