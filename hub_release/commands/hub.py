"""`hub-release hub ...`: serve the embedded Hub and manage its tokens."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="The embedded Hugging Face Hub-compatible server.", no_args_is_help=True)
token_app = typer.Typer(help="Access tokens of the embedded Hub.", no_args_is_help=True)
app.add_typer(token_app, name="token")

DATA_DIR = typer.Option(Path(".hub-data"), "--data-dir", help="Where repos, blobs and tokens are stored.")
USER = typer.Option("marketbert", "--user", help="The user (namespace) the default write token acts as.")


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", help="Interface to bind (loopback by default)."),
    port: int = typer.Option(8765, help="TCP port."),
    data_dir: Path = DATA_DIR,
    user: str = USER,
) -> None:
    """Serve the Hub API; point clients at it with HF_ENDPOINT=http://HOST:PORT and HF_HUB_DISABLE_XET=1."""
    from local_hub.server import serve

    serve(host, port, data_dir, user=user)


@token_app.command("create")
def token_create(
    name: str = typer.Argument(..., help="A label for the token."),
    role: str = typer.Option("write", help="'write' or 'read'."),
    user: str = USER,
    data_dir: Path = DATA_DIR,
) -> None:
    """Create an access token and print it (it is shown only this once)."""
    from local_hub.storage import HubStorage

    typer.echo(HubStorage(data_dir).create_token(name, user=user, role=role))


@app.command("start")
def start_command(
    port: int = typer.Option(8765, help="Preferred TCP port."), data_dir: Path = DATA_DIR, user: str = USER
) -> None:
    """Start the embedded Hub in the background (reused if already running) and print its endpoint."""
    from local_hub.daemon import start_daemon

    endpoint = start_daemon(data_dir, port=port, user=user)
    typer.echo(f"export HF_ENDPOINT={endpoint} HF_HUB_DISABLE_XET=1")


@app.command("stop")
def stop_command(data_dir: Path = DATA_DIR) -> None:
    """Stop the background embedded Hub started by `hub start` or `release`."""
    from local_hub.daemon import stop_daemon

    typer.echo("stopped" if stop_daemon(data_dir) else "no embedded Hub was running for this data dir")
