"""What a release shows on the terminal: one progress bar per stage, real warnings, the summary; the rest to a log.

Quiet by default: every log record (ours and the libraries'), every Python warning and everything libraries print
(progress dicts, tqdm bars) goes to `release-output/release.log`. The terminal gets one rich progress bar per stage
(rate and ETA), warnings a user should act on, and the summary. Warnings that are expected and harmless (a SetFit
body loaded before its head is trained, a CPU DataLoader without pinned memory, ...) stay in the log only.
`--verbose` streams everything to the terminal instead, as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

LOG_NAME = "release.log"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Warnings that are expected during a release and say nothing the user can act on.
EXPECTED_WARNINGS = [
    re.compile(p)
    for p in (
        r"model_head\.pkl not found",  # SetFit: the body is loaded before its head is trained
        r"initiali[sz]ing classification head with random weights",
        r"pin_memory",  # torch DataLoader on a CPU
        r"Setting num_proc from \d+ back to \d+",  # datasets, for small datasets
        r"No label_names provided for model class",
        r"Use pytorch device",
        r"Cannot enable progress bars",  # huggingface_hub, while the release keeps its own bars
        r"mtime may not be reliable on this filesystem",  # transformers sorting checkpoints: it falls back by itself
        r"\b(Pending)?DeprecationWarning\b|\bFutureWarning\b",  # for the libraries' developers, not for users
    )
]
NOISY_LOGGERS = ("httpx", "httpx2", "httpcore", "urllib3", "filelock")


def is_expected(record: logging.LogRecord) -> bool:
    """True for a warning that is part of a normal release (kept in the log, not shown)."""
    message = record.getMessage()
    return any(p.search(message) for p in EXPECTED_WARNINGS)


class _UserWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING and not is_expected(record)


@dataclass
class StageProgress:
    """A stage's bar: a stage reports its known amount of work (`start`) and its progress (`advance`)."""

    progress: Progress | None = None
    task: TaskID | None = None
    done: float = field(default=0.0)

    def start(self, total: float, description: str | None = None) -> None:
        """Set the amount of work the stage (or its next phase) has; the bar restarts from where it is."""
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, total=self.done + total, **_describe(description))

    def advance(self, amount: float = 1, description: str | None = None) -> None:
        self.done += amount
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, advance=amount, **_describe(description))


def _describe(description: str | None) -> dict:
    return {"phase": description} if description else {}


class ReleaseConsole:
    """The terminal side of `hub-release release`; use `with console.capture(log_dir):` around the stages."""

    def __init__(self, *, verbose: bool = False, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.verbose = verbose
        self.quiet = quiet  # --quiet / --json: no bars either, only warnings and the summary
        self.stream = stream or sys.stdout
        self.console = Console(file=self.stream, width=None if self.stream.isatty() else 160)
        self.log_path: Path | None = None
        self.progress: Progress | None = None

    @contextlib.contextmanager
    def capture(self, log_dir: Path) -> Iterator[None]:
        """Send logs, warnings and library output to `log_dir/release.log` (terminal: warnings and bars only)."""
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / LOG_NAME
        root = logging.getLogger()
        saved = (root.level, list(root.handlers))
        for handler in saved[1]:
            root.removeHandler(handler)
        root.setLevel(logging.DEBUG if self.verbose else logging.INFO)
        for name in NOISY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        to_file = logging.FileHandler(self.log_path, mode="a", encoding="utf-8")
        to_file.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(to_file)
        warnings_to_terminal = logging.StreamHandler(sys.stderr)
        warnings_to_terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        if self.verbose:
            warnings_to_terminal.setFormatter(logging.Formatter(LOG_FORMAT))
            warnings_to_terminal.setLevel(logging.DEBUG)
        else:
            warnings_to_terminal.addFilter(_UserWarnings())
        logging.captureWarnings(True)
        root.addHandler(warnings_to_terminal)
        env = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TQDM_DISABLE": "1"} if not self.verbose else {}
        saved_env = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            with open(self.log_path, "a", encoding="utf-8", buffering=1) as library_output:
                # Libraries print progress dicts and bars: to the log, unless --verbose (then to stderr, so stdout
                # keeps the summary alone).
                target = sys.stderr if self.verbose else library_output
                with contextlib.redirect_stdout(target), contextlib.redirect_stderr(target):
                    with self._bars():
                        yield
        finally:
            logging.captureWarnings(False)
            root.removeHandler(to_file)
            root.removeHandler(warnings_to_terminal)
            to_file.close()
            for handler in saved[1]:
                root.addHandler(handler)
            root.setLevel(saved[0])
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    @contextlib.contextmanager
    def _bars(self) -> Iterator[None]:
        if self.quiet or self.verbose:
            yield
            return
        self.progress = Progress(
            TextColumn("[bold]{task.description:<11}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[phase]}"),
            console=self.console,
            redirect_stdout=False,  # library output goes to the log, not above the bars
            redirect_stderr=False,
        )
        with self.progress:
            yield
        self.progress = None

    def stage(self, name: str, description: str) -> StageProgress:
        """A new bar for a stage that starts now (with --verbose: a heading instead)."""
        if self.verbose:
            self.console.rule(f"[bold]{name}[/]: {description}")
        if self.progress is None:
            return StageProgress()
        task = self.progress.add_task(name, total=None, phase=description)
        return StageProgress(self.progress, task)

    def finish(self, bar: StageProgress, status: str) -> None:
        """Complete a stage's bar with its outcome ('ran', 'up to date', ...)."""
        if bar.progress is not None and bar.task is not None:
            total = max(bar.done, 1)
            bar.progress.update(bar.task, total=total, completed=total, phase=status)
