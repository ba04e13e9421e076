"""`hub-release release`: run every stage in order, skipping those already up to date, and summarise.

A stage's key covers exactly what it reads: the config fields it names, the contents of its input files (hashed,
with a size + mtime pre-check) and its upstream stages' work keys. A publishing stage's key adds `hub.private`:
when only that changed, the stage's repos get the new visibility and nothing is rebuilt. A stage whose key is in
the manifest, with its recorded commits still on the Hub, is skipped (no retraining, no commit). An interrupted
run resumes at the first stage that did not finish.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from hub_release.config import ReleaseConfig
from hub_release.console import StageProgress
from hub_release.input_hashing import inputs_digest
from hub_release.manifest import MANIFEST_NAME, Manifest, RepoRecord, StageRecord

logger = logging.getLogger(__name__)


class StageReporter(Protocol):
    """Shows the stages as they run (the terminal's progress bars)."""

    def stage(self, name: str, description: str) -> StageProgress: ...

    def finish(self, bar: StageProgress, status: str) -> None: ...


@dataclass
class StageContext:
    """What a stage gets: the config, the manifest (upstream results), its own work dir, its progress bar."""

    config: ReleaseConfig
    manifest: Manifest
    work_dir: Path
    progress: StageProgress = field(default_factory=StageProgress)

    def upstream(self, name: str) -> StageRecord:
        return self.manifest.stages[name]


def _no_inputs(config: ReleaseConfig) -> list[Path]:
    return []


@dataclass(frozen=True)
class Stage:
    name: str
    description: str
    reads: tuple[str, ...]  # config fields or sections the stage reads (dotted keys)
    depends_on: tuple[str, ...]
    run: Callable[[StageContext], StageRecord]  # returns the record (its keys are filled in by the runner)
    inputs: Callable[[ReleaseConfig], list[Path]] = _no_inputs  # files and folders whose contents it reads
    publishes: bool = True  # creates repos, so `hub.private` applies to it


@dataclass
class StageOutcome:
    name: str
    status: str  # "ran", "up to date", "updated" (visibility only), "would run", "would update", "skipped"
    record: StageRecord | None = None


@dataclass
class ReleaseSummary:
    endpoint: str
    manifest_path: Path
    outcomes: list[StageOutcome] = field(default_factory=list)
    seconds: float = 0.0


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def stage_keys(stage: Stage, config: ReleaseConfig, manifest: Manifest) -> tuple[str, str]:
    """`(key, work_key)`: the work key hashes the config the stage reads, its input files' contents and its
    upstream work keys; the key adds the publication settings (`hub.private`) of a publishing stage."""
    upstream = [manifest.stages[d].work_key if d in manifest.stages else "missing" for d in stage.depends_on]
    inputs = inputs_digest(stage.inputs(config), manifest.file_hashes, root=Path.cwd())
    work_key = _digest(config.section_hash(*stage.reads), inputs, *upstream)
    key = _digest(work_key, config.section_hash("hub.private")) if stage.publishes else work_key
    return key, work_key


def _still_published(record: StageRecord) -> bool:
    """True when every repo of the record still holds the recorded commit (and tag, if any).

    Later stages may add commits on top (e.g. twin scores in the dataset repo); that does not make this stage stale.
    """
    from huggingface_hub import HfApi

    api = HfApi()
    try:
        for repo in record.repos:
            api.repo_info(repo.repo_id, repo_type=repo.repo_type, revision=repo.commit)
            if repo.tag:
                tags = api.list_repo_refs(repo.repo_id, repo_type=repo.repo_type).tags
                if (repo.tag, repo.commit) not in {(t.name, t.target_commit) for t in tags}:
                    return False
    except Exception as err:  # a deleted repo or commit: run the stage again
        logger.info("Cannot confirm %s is published (%s); it will run again", [r.repo_id for r in record.repos], err)
        return False
    return True


def _set_visibility(record: StageRecord, *, private: bool) -> None:
    from hub_client.hub_io import set_visibility

    for repo in record.repos:
        set_visibility(repo.repo_id, private=private, repo_type=repo.repo_type)


def select_stages(stages: list[Stage], only: list[str] | None, skip: list[str] | None) -> list[Stage]:
    names = [s.name for s in stages]
    for name in [*(only or []), *(skip or [])]:
        if name not in names:
            raise ValueError(f"Unknown stage {name!r}; stages are: {', '.join(names)}")
    return [s for s in stages if (not only or s.name in only) and s.name not in (skip or [])]


def run_release(
    config: ReleaseConfig,
    stages: list[Stage],
    *,
    endpoint: str,
    only: list[str] | None = None,
    skip: list[str] | None = None,
    dry_run: bool = False,
    check_hub: bool = True,
    reporter: StageReporter | None = None,
) -> ReleaseSummary:
    """Run the selected stages in order; returns what each did. Saves the manifest after every stage.

    A dry run writes nothing; with `check_hub=False` it also asks no Hub whether the recorded commits still exist.
    """
    out_dir = Path(config.output_dir)
    manifest = Manifest.load(out_dir / MANIFEST_NAME)
    manifest.version, manifest.endpoint, manifest.config = config.version, endpoint, config.to_dict()
    summary = ReleaseSummary(endpoint, manifest.path)
    started = time.monotonic()
    selected = {s.name for s in select_stages(stages, only, skip)}
    rerun: set[str] = set()  # stages that ran (or would run): what depends on them is stale too
    for stage in stages:
        outcome = _run_stage(stage, config, manifest, out_dir, selected, rerun, dry_run, check_hub, reporter)
        summary.outcomes.append(outcome)
        if reporter and outcome.status != "ran" and not dry_run:
            reporter.finish(reporter.stage(stage.name, stage.description), outcome.status)
    if not dry_run:
        manifest.save()
    summary.seconds = round(time.monotonic() - started, 1)
    return summary


def _run_stage(
    stage: Stage,
    config: ReleaseConfig,
    manifest: Manifest,
    out_dir: Path,
    selected: set[str],
    rerun: set[str],
    dry_run: bool,
    check_hub: bool,
    reporter: StageReporter | None,
) -> StageOutcome:
    """Run one stage if its key changed (or say what would happen); `rerun` collects the stages that ran."""
    if stage.name not in selected:
        return StageOutcome(stage.name, "skipped", manifest.stages.get(stage.name))
    missing = [d for d in stage.depends_on if d not in manifest.stages]
    if missing and not dry_run:
        raise RuntimeError(f"Stage {stage.name!r} needs {', '.join(missing)} first: run without --only/--skip.")
    key, work_key = stage_keys(stage, config, manifest)
    previous = manifest.stages.get(stage.name)
    fresh = previous is not None and not any(d in rerun for d in stage.depends_on)
    if fresh and previous.work_key == work_key and (not check_hub or _still_published(previous)):
        if previous.key == key:
            return StageOutcome(stage.name, "up to date", previous)
        # Only the publication settings changed: apply them to the published repos, rebuild nothing.
        if not dry_run:
            _set_visibility(previous, private=config.hub.private)
            previous.key = key
            manifest.save()
        return StageOutcome(stage.name, "would update" if dry_run else "updated", previous)
    rerun.add(stage.name)
    if dry_run:
        return StageOutcome(stage.name, "would run", previous)
    bar = reporter.stage(stage.name, stage.description) if reporter else StageProgress()
    t0 = time.monotonic()
    work_dir = out_dir / stage.name
    work_dir.mkdir(parents=True, exist_ok=True)
    record = stage.run(StageContext(config, manifest, work_dir, bar))
    record.key, record.work_key, record.seconds = key, work_key, round(time.monotonic() - t0, 1)
    manifest.stages[stage.name] = record
    manifest.save()
    if reporter:
        reporter.finish(bar, f"ran in {record.seconds:.0f} s")
    return StageOutcome(stage.name, "ran", record)


def repo_record(result) -> RepoRecord:
    """A manifest entry from a `hub_client.hub_io.PublishResult`."""
    return RepoRecord(result.repo_id, result.repo_type, result.url, result.commit, result.tag, result.created_commit)
