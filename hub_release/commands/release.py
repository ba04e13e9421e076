"""`hub-release release`: parse, run the release, print the summary (table, metrics, snippets) or JSON."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from hub_release.config import load_config
from hub_release.console import ReleaseConsole

console = Console(width=None if sys.stdout.isatty() else 160)


def release(
    config: Path | None = typer.Option(None, "--config", help="YAML file overriding the package defaults."),
    overrides: list[str] = typer.Option([], "--set", help="key=value override, e.g. --set marketbert.preset=tiny."),
    only: list[str] = typer.Option([], "--only", help="Run only these stages (repeatable)."),
    skip: list[str] = typer.Option([], "--skip", help="Skip these stages (repeatable)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would run; change nothing."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only warnings and the final summary."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Stream library logs and output (else: the log)."),
) -> None:
    """Build and publish the dataset, train and publish the models and the Space, tag everything, summarise.

    The terminal shows one progress bar per stage, warnings to act on and the summary; everything else (library logs
    and output) goes to `<output_dir>/release.log`, or to the terminal with --verbose. A dry run starts nothing and
    writes nothing.
    """
    cfg = load_config(config, overrides)
    terminal = ReleaseConsole(verbose=verbose, quiet=quiet or as_json, stream=sys.stdout)
    capture = contextlib.nullcontext() if dry_run else terminal.capture(Path(cfg.output_dir))
    with capture:
        from hub_client.endpoint import connect  # before any Hugging Face import

        # A dry run starts no Hub: it asks one that is already running, or judges by the manifest alone.
        target = connect(Path(cfg.hub.data_dir), port=cfg.hub.port, user=cfg.org, start=not dry_run)
        endpoint = target.endpoint if target else "(no Hub running: judged by the manifest alone)"
        from hub_release.release import run_release
        from hub_release.stages import STAGES, snippets, space_url

        summary = run_release(
            cfg,
            STAGES,
            endpoint=endpoint,
            only=only,
            skip=skip,
            dry_run=dry_run,
            check_hub=target is not None,
            reporter=None if dry_run else terminal,
        )
    rows = [
        {
            "stage": o.name,
            "status": o.status,
            "seconds": o.record.seconds if o.record and o.status == "ran" else 0.0,
            "repos": [vars(r) for r in (o.record.repos if o.record else [])],
            "metrics": o.record.metrics if o.record else {},
        }
        for o in summary.outcomes
    ]
    if as_json:
        payload = {"endpoint": summary.endpoint, "manifest": str(summary.manifest_path), "seconds": summary.seconds}
        if target is not None and target.embedded:
            payload["embedded_hub"] = {"endpoint": target.endpoint, "data_dir": str(target.data_dir), "running": True}
        print(json.dumps({**payload, "stages": rows}, indent=2))
        return
    table = Table(title=f"Release {cfg.version} on {summary.endpoint} ({summary.seconds:.0f} s)")
    for column in ("stage", "status", "repo", "commit", "tag", "url"):
        table.add_column(column)
    for row in rows:
        repos = row["repos"] or [{"repo_id": "-", "commit": "", "tag": "", "url": ""}]
        for i, repo in enumerate(repos):
            first = i == 0
            table.add_row(
                row["stage"] if first else "",
                row["status"] if first else "",
                repo["repo_id"],
                (repo["commit"] or "")[:8],
                repo["tag"] or "",
                repo["url"],
            )
    console.print(table)
    for row in rows:
        if row["metrics"]:
            headline = ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row["metrics"].items()
            )
            console.print(f"[bold]{row['stage']}[/]: {headline}")
    console.print(f"Manifest: {summary.manifest_path}")
    if terminal.log_path:
        console.print(f"Full log: {terminal.log_path}")
    if target is not None and target.embedded and not as_json:
        console.print(
            f"The embedded Hub keeps serving {target.endpoint} in the background (data in {target.data_dir}); "
            f"stop it with `hub-release hub stop --data-dir {target.data_dir}`.",
            highlight=False,
            soft_wrap=True,
        )
    if not dry_run:
        console.print("\nTry it (in a fresh Python process):")
        env = f"export HF_ENDPOINT={summary.endpoint} HF_HUB_DISABLE_XET=1"
        console.print(env, highlight=False, markup=False, soft_wrap=True)
        console.print(snippets(cfg), highlight=False, markup=False, soft_wrap=True)
        if "space" in {o.name for o in summary.outcomes if o.status != "skipped"}:
            url = space_url(cfg, summary.endpoint)
            console.print(f"\nThe Space, hosted by the Hub (its models at {cfg.version}): {url}", highlight=False)
