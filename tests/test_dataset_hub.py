"""Round trip through the local Hub: build, push, `load_dataset` with the stock library in a fresh cache."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from datasets import load_dataset
from huggingface_hub import DatasetCard
from typer.testing import CliRunner

from dataset_builder.build import build_dataset
from dataset_builder.publish import push_dataset
from dataset_builder.schema import FILINGS_FEATURES, SEQUENCES_FEATURES, SPLITS
from hub_release.cli import app


def _built(out: Path, config: str, split: str) -> list[dict]:
    files = sorted((out / "repo" / "data" / config).glob(f"{split}-*.parquet"))
    return [r for f in files for r in pq.read_table(f).to_pylist()]


def test_push_then_load_dataset(hub, repo_name, tmp_path):
    repo_id = f"{hub.namespace}/{repo_name}"
    report = build_dataset(tmp_path / "out", n_firms=60, seed=11)
    first = push_dataset(tmp_path / "out", repo_id, tag="v0.1.0")
    assert first.created_commit and first.repo_type == "dataset" and first.tag == "v0.1.0"

    for config, features in (("sequences", SEQUENCES_FEATURES), ("filings", FILINGS_FEATURES)):
        loaded = load_dataset(repo_id, config, cache_dir=str(tmp_path / "cache" / config))
        assert list(loaded) == list(SPLITS)
        for split in SPLITS:
            assert loaded[split].features == features
            assert loaded[split].to_list() == _built(tmp_path / "out", config, split)
    default = load_dataset(repo_id, split="test", cache_dir=str(tmp_path / "cache" / "default"))
    assert default.features == SEQUENCES_FEATURES and default.num_rows == report.firms["test"]

    card = DatasetCard.load(repo_id, repo_type="dataset")
    assert f'load_dataset("{repo_id}", "sequences")' in card.text
    files = set(hub.api.list_repo_files(repo_id, repo_type="dataset"))
    assert {"README.md", "images/nice_class_frequency.png", "data/sequences/train-00000-of-00001.parquet"} <= files
    assert not any("rejects" in f or "build_report" in f for f in files)

    # Rebuilding the same data and pushing again changes nothing: no new commit.
    build_dataset(tmp_path / "out", n_firms=60, seed=11)
    second = push_dataset(tmp_path / "out", repo_id, tag="v0.1.0")
    assert not second.created_commit and second.commit == first.commit
    assert len(hub.api.list_repo_commits(repo_id, repo_type="dataset")) == len(
        hub.api.list_repo_commits(repo_id, repo_type="dataset", revision="v0.1.0")
    )


def test_smaller_rebuild_leaves_no_stale_shards(hub, repo_name, tmp_path, monkeypatch):
    from dataset_builder import writer

    repo_id = f"{hub.namespace}/{repo_name}"
    monkeypatch.setattr(writer, "FIRMS_PER_SHARD", 10)
    build_dataset(tmp_path / "out", n_firms=40, seed=2)
    push_dataset(tmp_path / "out", repo_id)
    monkeypatch.setattr(writer, "FIRMS_PER_SHARD", 1000)
    report = build_dataset(tmp_path / "out", n_firms=40, seed=2)
    assert push_dataset(tmp_path / "out", repo_id).created_commit
    shards = [f for f in hub.api.list_repo_files(repo_id, repo_type="dataset") if f.startswith("data/sequences/train")]
    assert shards == ["data/sequences/train-00000-of-00001.parquet"]
    assert (
        load_dataset(repo_id, "sequences", split="train", cache_dir=str(tmp_path / "c")).num_rows
        == report.firms["train"]
    )


def test_cli_push(hub, repo_name, tmp_path):
    repo_id = f"{hub.namespace}/{repo_name}"
    runner = CliRunner()
    assert runner.invoke(app, ["dataset", "build", "--n-firms", "30", "--out", str(tmp_path / "o")]).exit_code == 0
    result = runner.invoke(app, ["dataset", "push", str(tmp_path / "o"), "--repo-id", repo_id, "--tag", "v1.0.0"])
    assert result.exit_code == 0, result.output
    assert "(new commit), tag v1.0.0" in result.output
    again = runner.invoke(app, ["dataset", "push", str(tmp_path / "o"), "--repo-id", repo_id])
    assert "(unchanged, no commit)" in again.output
    missing = runner.invoke(app, ["dataset", "push", str(tmp_path / "nothing"), "--repo-id", repo_id])
    assert missing.exit_code == 1 and "build the dataset first" in missing.output
