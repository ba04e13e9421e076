"""Stage keys cover exactly what a stage reads: its config fields, its input files' contents, its upstream stages.

The real release runner (`run_release`) with stages whose work is a counter, so each test runs in milliseconds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hub_release.config import load_config
from hub_release.manifest import StageRecord
from hub_release.release import Stage, run_release


@pytest.fixture
def registry_file(tmp_path) -> Path:
    path = tmp_path / "inputs" / "filings.jsonl"
    path.parent.mkdir()
    path.write_text('{"application_number": "1"}\n')
    return path


def _stages(runs: list[str], registry_file: Path) -> list[Stage]:
    def work(name: str):
        def run(ctx) -> StageRecord:
            runs.append(name)
            return StageRecord(key="")

        return run

    return [
        Stage("dataset", "d", ("org", "seed", "dataset"), (), work("dataset"), inputs=lambda cfg: [registry_file]),
        Stage("marketbert", "m", ("org", "seed", "marketbert"), ("dataset",), work("marketbert")),
        Stage("twin", "t", ("org", "seed", "twin"), ("dataset",), work("twin")),
        Stage("space", "s", ("org", "space"), ("marketbert", "twin"), work("space")),
        Stage("tag", "v", ("version",), ("dataset", "marketbert", "twin", "space"), work("tag"), publishes=False),
    ]


def _release(tmp_path: Path, registry_file: Path, *overrides: str, dry_run: bool = False) -> tuple[dict, list[str]]:
    config = load_config(None, [f"output_dir={tmp_path / 'out'}", *overrides])
    runs: list[str] = []
    summary = run_release(config, _stages(runs, registry_file), endpoint="http://hub.invalid", dry_run=dry_run)
    return {o.name: o.status for o in summary.outcomes}, runs


ALL = ["dataset", "marketbert", "twin", "space", "tag"]


def test_nothing_changed_runs_nothing(tmp_path, registry_file):
    assert _release(tmp_path, registry_file)[1] == ALL
    status, runs = _release(tmp_path, registry_file)
    assert runs == [] and set(status.values()) == {"up to date"}


def test_new_contents_at_the_same_path_rerun_the_dataset_and_everything_downstream(tmp_path, registry_file):
    _release(tmp_path, registry_file)
    stat = registry_file.stat()
    registry_file.write_text('{"application_number": "2"}\n')  # same path, same size, newer dump
    os.utime(registry_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    status, runs = _release(tmp_path, registry_file, dry_run=True)
    assert runs == [] and status == dict.fromkeys(ALL, "would run")
    assert _release(tmp_path, registry_file)[1] == ALL


def test_a_touched_file_with_the_same_contents_changes_nothing(tmp_path, registry_file):
    _release(tmp_path, registry_file)
    os.utime(registry_file, ns=(0, registry_file.stat().st_mtime_ns + 10**9))  # the pre-check misses: re-hashed
    status, runs = _release(tmp_path, registry_file)
    assert runs == [] and set(status.values()) == {"up to date"}


def test_a_version_bump_runs_only_the_tag_stage(tmp_path, registry_file):
    _release(tmp_path, registry_file)
    status, runs = _release(tmp_path, registry_file, "version=v0.1.1")
    assert runs == ["tag"] and status == {**dict.fromkeys(ALL[:4], "up to date"), "tag": "ran"}


def test_a_privacy_flip_updates_every_publishing_stage_and_rebuilds_nothing(tmp_path, registry_file):
    _release(tmp_path, registry_file)
    status, runs = _release(tmp_path, registry_file, "hub.private=true", dry_run=True)
    assert runs == [] and status == {**dict.fromkeys(ALL[:4], "would update"), "tag": "up to date"}
    status, runs = _release(tmp_path, registry_file, "hub.private=true")
    assert runs == [] and status == {**dict.fromkeys(ALL[:4], "updated"), "tag": "up to date"}
    assert set(_release(tmp_path, registry_file, "hub.private=true")[0].values()) == {"up to date"}


def test_a_stage_section_change_reruns_that_stage_and_its_dependants_only(tmp_path, registry_file):
    _release(tmp_path, registry_file)
    status, runs = _release(tmp_path, registry_file, "twin.max_steps=3")
    assert runs == ["twin", "space", "tag"]
    assert status["dataset"] == status["marketbert"] == "up to date"


def test_a_missing_input_is_one_clear_error(tmp_path, registry_file):
    registry_file.unlink()
    with pytest.raises(FileNotFoundError, match=r"filings\.jsonl: input not found \(check dataset\.inputs"):
        _release(tmp_path, registry_file, dry_run=True)
