"""`hub-release release`: run every stage in order, skipping those already up to date, and summarise.

Each stage has a key: a hash of the config it reads, of its upstream stages' keys and of the package version. A
stage whose key is in the manifest, with its recorded commits still on the Hub, is skipped (no retraining, no
commit). An interrupted run resumes at the first stage that did not finish.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hub_release import __version__
from hub_release.config import ReleaseConfig
from hub_release.manifest import MANIFEST_NAME, Manifest, RepoRecord, StageRecord

logger = logging.getLogger(__name__)


@dataclass
class StageContext:
    """What a stage gets: the config, the manifest (upstream results), its own work dir."""

    config: ReleaseConfig
    manifest: Manifest
    work_dir: Path

    def upstream(self, name: str) -> StageRecord:
        return self.manifest.stages[name]


@dataclass(frozen=True)
class Stage:
    name: str
    description: str
    config_keys: tuple[str, ...]  # top-level config fields/sections the stage reads
    depends_on: tuple[str, ...]
    run: Callable[[StageContext], StageRecord]  # returns the record (its key is filled in by the runner)


@dataclass
class StageOutcome:
    name: str
    status: str  # "ran", "up to date", "would run", "skipped"
    record: StageRecord | None = None


@dataclass
class ReleaseSummary:
    endpoint: str
    manifest_path: Path
    outcomes: list[StageOutcome] = field(default_factory=list)
    seconds: float = 0.0


def stage_key(stage: Stage, config: ReleaseConfig, manifest: Manifest) -> str:
    parts = [__version__, config.section_hash("org", "version", "seed", *stage.config_keys)]
    parts += [manifest.stages[d].key if d in manifest.stages else "missing" for d in stage.depends_on]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


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
    on_stage: Callable[[Stage, str], None] | None = None,
) -> ReleaseSummary:
    """Run the selected stages in order; returns what each did. Saves the manifest after every stage."""
    out_dir = Path(config.output_dir)
    manifest = Manifest.load(out_dir / MANIFEST_NAME)
    manifest.version, manifest.endpoint, manifest.config = config.version, endpoint, config.to_dict()
    summary = ReleaseSummary(endpoint, manifest.path)
    started = time.monotonic()
    selected = {s.name for s in select_stages(stages, only, skip)}
    rerun: set[str] = set()  # stages that ran (or would run): what depends on them is stale too
    for stage in stages:
        if stage.name not in selected:
            summary.outcomes.append(StageOutcome(stage.name, "skipped", manifest.stages.get(stage.name)))
            continue
        missing = [d for d in stage.depends_on if d not in manifest.stages]
        if missing and not dry_run:
            raise RuntimeError(f"Stage {stage.name!r} needs {', '.join(missing)} first: run without --only/--skip.")
        key = stage_key(stage, config, manifest)
        previous = manifest.stages.get(stage.name)
        upstream_changed = any(d in rerun for d in stage.depends_on)
        if previous and previous.key == key and not upstream_changed and _still_published(previous):
            summary.outcomes.append(StageOutcome(stage.name, "up to date", previous))
            continue
        rerun.add(stage.name)
        if dry_run:
            summary.outcomes.append(StageOutcome(stage.name, "would run", previous))
            continue
        if on_stage:
            on_stage(stage, "start")
        t0 = time.monotonic()
        work_dir = out_dir / stage.name
        work_dir.mkdir(parents=True, exist_ok=True)
        record = stage.run(StageContext(config, manifest, work_dir))
        record.key, record.seconds = key, round(time.monotonic() - t0, 1)
        manifest.stages[stage.name] = record
        manifest.save()
        summary.outcomes.append(StageOutcome(stage.name, "ran", record))
        if on_stage:
            on_stage(stage, "done")
    if not dry_run:
        manifest.save()
    summary.seconds = round(time.monotonic() - started, 1)
    return summary


def repo_record(result) -> RepoRecord:
    """A manifest entry from a `hub_client.hub_io.PublishResult`."""
    return RepoRecord(result.repo_id, result.repo_type, result.url, result.commit, result.tag, result.created_commit)
