"""The whole release with tiny presets, through the real CLI in a subprocess, against a real Hub.

Checks what a user would: stock clients load every artefact, the printed snippets run in a fresh process, a second
run creates no commit, an interrupted run resumes to the same result, a Hub that dies mid-upload is survived, and the
token appears nowhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from huggingface_hub import HfApi, snapshot_download

from local_hub import LocalHubProcess

TINY = [
    "--set", "dataset.n_firms=120",
    "--set", "marketbert.preset=tiny",
    "--set", "marketbert.max_steps=6",
    "--set", "twin.samples_per_class=4",
    "--set", "twin.max_steps=2",
    "--set", "twin.learning_curve_seeds=0",
]  # fmt: skip
CLI = [sys.executable, "-m", "hub_release.cli", "release"]
pytestmark = pytest.mark.slow


def _release(cwd: Path, *args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*CLI, *TINY, *args], cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=900
    )
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result


def _repos(org: str) -> list[tuple[str, str]]:
    return [
        ("dataset", f"{org}/firm-trademark-sequences"),
        ("model", f"{org}/marketbert"),
        ("dataset", f"{org}/twin-transition-labels"),
        ("model", f"{org}/twin-transition-green"),
        ("model", f"{org}/twin-transition-digital"),
        ("space", f"{org}/marketbert-explorer"),
    ]


def _commit_counts(api: HfApi, org: str) -> dict[str, int]:
    return {rid: len(api.list_repo_commits(rid, repo_type=rtype)) for rtype, rid in _repos(org)}


def _lfs_hashes(api: HfApi, repo_type: str, repo_id: str, revision: str = "main") -> dict[str, str]:
    """path -> sha256 of every LFS file (weights, parquet shards) at `revision`."""
    files = api.list_repo_tree(repo_id, repo_type=repo_type, revision=revision, recursive=True)
    return {f.path: f.lfs.sha256 for f in files if getattr(f, "lfs", None)}


@pytest.fixture(scope="module")
def finished_release(hub, tmp_path_factory):
    """One uninterrupted tiny release (shared by the tests below)."""
    org = f"rel{uuid.uuid4().hex[:8]}"
    cwd = tmp_path_factory.mktemp("release")
    result = _release(cwd, "--set", f"org={org}")
    return org, cwd, result


def test_stock_clients_load_every_published_artefact(hub, finished_release, tmp_path):
    from datasets import load_dataset
    from setfit import SetFitModel
    from transformers import AutoModelForMaskedLM, AutoTokenizer, pipeline

    org, cwd, _ = finished_release
    tag = "v0.1.0"
    sequences = load_dataset(f"{org}/firm-trademark-sequences", "sequences", revision=tag, cache_dir=str(tmp_path))
    assert set(sequences) == {"train", "validation", "test"} and sequences["train"].num_rows > 0
    scores = load_dataset(f"{org}/firm-trademark-sequences", "twin_scores", revision=tag, cache_dir=str(tmp_path))
    assert {"green_prob", "digital_prob"} <= set(scores["train"].column_names)
    tokenizer = AutoTokenizer.from_pretrained(f"{org}/marketbert", revision=tag, cache_dir=tmp_path)
    model = AutoModelForMaskedLM.from_pretrained(f"{org}/marketbert", revision=tag, cache_dir=tmp_path)
    fill = pipeline("fill-mask", model=model, tokenizer=tokenizer)
    assert len(fill("[APP] NICE_09 [APP_END] [APP] [MASK] [APP_END]", top_k=3)) == 3
    green = SetFitModel.from_pretrained(f"{org}/twin-transition-green", revision=tag, cache_dir=tmp_path)
    assert green.predict_proba(["solar panels"]).shape == (1, 2)
    space = HfApi().list_repo_files(f"{org}/marketbert-explorer", repo_type="space", revision=tag)
    assert {"app.py", "requirements.txt", "README.md"} <= set(space)
    manifest = json.loads((cwd / "release-output" / "release-manifest.json").read_text())
    assert list(manifest["stages"]) == ["dataset", "marketbert", "twin", "space", "tag"]
    assert {r["repo_id"] for r in manifest["stages"]["tag"]["repos"]} == {rid for _, rid in _repos(org)}


def test_printed_snippets_run_in_a_fresh_process(finished_release, tmp_path):
    _, cwd, result = finished_release
    script = re.search(r"python - <<'EOF'\n(.*?)\nEOF", result.stdout, re.S)
    assert script, result.stdout[-2000:]
    run = subprocess.run(
        [sys.executable, "-c", script.group(1)],
        env={**os.environ, "HF_HOME": str(tmp_path / "fresh-home")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "DatasetDict" in run.stdout and "token_str" in run.stdout


def test_the_terminal_shows_the_bars_the_summary_and_the_snippets_only(finished_release):
    _, cwd, result = finished_release
    shown = (result.stdout + result.stderr).splitlines()
    assert len(shown) <= 60, "\n".join(shown)
    assert "Full log: release-output/release.log" in result.stdout
    log = (cwd / "release-output" / "release.log").read_text()
    assert "Vocabulary:" in log and "Vocabulary:" not in result.stdout + result.stderr  # library logs: in the log
    assert "keeps serving" not in result.stdout  # HF_ENDPOINT given: no embedded Hub was started


def test_second_run_changes_nothing(hub, finished_release):
    org, cwd, _ = finished_release
    before = _commit_counts(hub.api, org)
    again = _release(cwd, "--set", f"org={org}", "--json")
    summary = json.loads(again.stdout)
    assert {s["stage"]: s["status"] for s in summary["stages"]} == dict.fromkeys(
        ["dataset", "marketbert", "twin", "space", "tag"], "up to date"
    )
    assert _commit_counts(hub.api, org) == before


def test_token_never_appears_in_output_logs_or_published_files(hub, finished_release, tmp_path):
    org, cwd, result = finished_release
    token = hub.token
    assert token not in result.stdout and token not in result.stderr
    for path in (cwd / "release-output").rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    for repo_type, repo_id in _repos(org):
        folder = snapshot_download(repo_id, repo_type=repo_type, cache_dir=tmp_path / "scan")
        for path in Path(folder).rglob("*"):
            if path.is_file():
                assert token.encode() not in path.read_bytes(), f"{repo_id}: {path.name}"


def test_changing_one_input_reruns_only_what_depends_on_it(finished_release, tmp_path):
    org, cwd, _ = finished_release
    result = _release(cwd, "--set", f"org={org}", "--set", "space.name=explorer-two", "--dry-run", "--json")
    status = {s["stage"]: s["status"] for s in json.loads(result.stdout)["stages"]}
    assert status == {
        "dataset": "up to date",
        "marketbert": "up to date",
        "twin": "up to date",
        "space": "would run",
        "tag": "would run",
    }


def test_a_version_bump_only_tags_and_repins_the_space(hub, finished_release):
    org, cwd, _ = finished_release
    before = _commit_counts(hub.api, org)
    bumped = json.loads(_release(cwd, "--set", f"org={org}", "--set", "version=v0.1.1", "--json").stdout)
    stages = {s["stage"]: s for s in bumped["stages"]}
    assert {name: s["status"] for name, s in stages.items()} == {
        **dict.fromkeys(["dataset", "marketbert", "twin"], "up to date"),
        "space": "ran",  # the Space serves the release tag: one commit re-pins it
        "tag": "ran",
    }
    assert stages["tag"]["seconds"] < 60 and stages["space"]["seconds"] < 60  # no training
    space = f"{org}/marketbert-explorer"
    assert _commit_counts(hub.api, org) == {**before, space: before[space] + 1}
    config = json.loads(Path(hub.api.hf_hub_download(space, "explorer_config.json", repo_type="space")).read_text())
    assert config["revision"] == "v0.1.1"
    _release(cwd, "--set", f"org={org}", "--json")  # back to the default version, for the other tests
    for repo_type, repo_id in _repos(org):
        tags = {t.name for t in hub.api.list_repo_refs(repo_id, repo_type=repo_type).tags}
        assert {"v0.1.0", "v0.1.1"} <= tags, repo_id


def test_a_privacy_flip_changes_visibility_without_rebuilding(hub, finished_release):
    org, cwd, _ = finished_release
    anonymous = HfApi(endpoint=hub.endpoint, token=False)
    try:
        flipped = json.loads(_release(cwd, "--set", f"org={org}", "--set", "hub.private=true", "--json").stdout)
        status = {s["stage"]: s["status"] for s in flipped["stages"]}
        assert {status[name] for name in ("dataset", "marketbert", "twin", "space")} == {"updated"}
        for repo_type, repo_id in _repos(org):
            assert hub.api.repo_info(repo_id, repo_type=repo_type).private is True, repo_id
            assert not anonymous.repo_exists(repo_id, repo_type=repo_type), repo_id
    finally:
        _release(cwd, "--set", f"org={org}", "--json")  # public again, for the other tests
    for repo_type, repo_id in _repos(org):
        assert anonymous.repo_exists(repo_id, repo_type=repo_type), repo_id


def test_killed_release_resumes_to_the_same_repos(hub, finished_release, tmp_path):
    reference_org = finished_release[0]
    org = f"res{uuid.uuid4().hex[:8]}"
    manifest = tmp_path / "release-output" / "release-manifest.json"
    process = subprocess.Popen(
        [*CLI, *TINY, "--set", f"org={org}"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:  # kill it once MarketBERT is published
        if manifest.exists() and "marketbert" in json.loads(manifest.read_text())["stages"]:
            break
        time.sleep(0.5)
    assert process.poll() is None, "the release finished before it could be interrupted"
    process.send_signal(signal.SIGKILL)
    process.wait()

    resumed = json.loads(_release(tmp_path, "--set", f"org={org}", "--json").stdout)

    status = {s["stage"]: s["status"] for s in resumed["stages"]}
    assert status["dataset"] == status["marketbert"] == "up to date"
    assert status["twin"] == status["space"] == status["tag"] == "ran"
    for repo_type, repo_id in _repos(org)[:2]:  # same data, same weights as the uninterrupted release
        reference = repo_id.replace(org, reference_org)
        assert _lfs_hashes(hub.api, repo_type, repo_id, "v0.1.0") == _lfs_hashes(
            hub.api, repo_type, reference, "v0.1.0"
        )
    for repo_type, repo_id in _repos(org):
        reference = repo_id.replace(org, reference_org)
        assert set(hub.api.list_repo_files(repo_id, repo_type=repo_type)) == set(
            hub.api.list_repo_files(reference, repo_type=repo_type)
        )


def test_release_survives_the_hub_dying_mid_upload(tmp_path):
    data_dir = tmp_path / "hub"
    server = LocalHubProcess(data_dir).start()
    env = {"HF_ENDPOINT": server.endpoint, "HF_TOKEN": server.token, "HF_HOME": str(tmp_path / "home")}
    process = subprocess.Popen(
        [*CLI, *TINY, "--only", "dataset"],
        cwd=tmp_path,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    card = tmp_path / "release-output" / "dataset" / "repo" / "README.md"
    deadline = time.monotonic() + 300
    while not card.exists() and time.monotonic() < deadline:  # the build is written: the upload starts now
        time.sleep(0.01)
    server.kill()
    time.sleep(2)
    server = LocalHubProcess(data_dir, port=server.port).start()
    output, _ = process.communicate(timeout=600)
    try:
        assert process.returncode == 0, output[-4000:]
        assert re.search(r"transient .*; retry 1/", output), output[-4000:]  # the kill hit the upload: retried
        api = HfApi(endpoint=server.endpoint, token=server.token)
        published = _lfs_hashes(api, "dataset", "marketbert/firm-trademark-sequences")
        built = tmp_path / "release-output" / "dataset" / "repo"
        assert {k: v for k, v in published.items() if k.endswith(".parquet")} == {
            str(p.relative_to(built)): hashlib.sha256(p.read_bytes()).hexdigest() for p in built.rglob("*.parquet")
        }
    finally:
        server.stop()
