"""The options every stage command shares: the release config (`--config FILE`, `--set key=value`).

The release config (`hub_release/defaults.yaml`, a YAML file, `--set` overrides) is the one source of defaults:
a stage command's own options default to None and fall back to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import typer

from hub_release.config import ReleaseConfig, load_config

T = TypeVar("T")

CONFIG = typer.Option(None, "--config", help="Release config YAML overriding the package defaults.")
SET = typer.Option([], "--set", help="Release config override key=value, e.g. --set twin.max_steps=8.")


def release_config(config: Path | None, overrides: list[str] | None) -> ReleaseConfig:
    """The release config of a stage command (package defaults, then `--config`, then `--set`)."""
    return load_config(config, overrides or [])


def given_or(value: T | None, default: T) -> T:
    """An option's value when the user gave it, else the release config's."""
    return default if value is None else value
