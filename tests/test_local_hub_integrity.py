"""Concurrent commits, and crash safety: `kill -9` of the server in the middle of commits loses nothing committed."""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from huggingface_hub import CommitOperationAdd, HfApi, snapshot_download
from huggingface_hub.errors import HfHubHTTPError
from typer.testing import CliRunner

from hub_release.cli import app
from local_hub import HubStorage, LocalHubProcess


def test_concurrent_commits_all_land_in_order(hub, repo_name):
    repo_id = f"{hub.namespace}/{repo_name}"
    hub.api.create_repo(repo_id)

    def commit(i: int) -> str:
        ops = [CommitOperationAdd(f"w{i}.safetensors", os.urandom(20_000)), CommitOperationAdd(f"f{i}.txt", b"%d" % i)]
        return hub.api.create_commit(repo_id, operations=ops, commit_message=f"commit {i}").oid

    with ThreadPoolExecutor(8) as pool:
        oids = list(pool.map(commit, range(16)))

    assert len(set(oids)) == 16
    history = [c.commit_id for c in hub.api.list_repo_commits(repo_id)]
    assert len(history) == 17 and set(oids) <= set(history)
    files = set(hub.api.list_repo_files(repo_id))
    assert {f"f{i}.txt" for i in range(16)} | {f"w{i}.safetensors" for i in range(16)} <= files


def test_concurrent_commits_on_the_same_parent_only_one_wins(hub, repo_name):
    repo_id = f"{hub.namespace}/{repo_name}"
    hub.api.create_repo(repo_id)
    parent = hub.api.model_info(repo_id).sha

    def commit(i: int) -> int:
        try:
            hub.api.create_commit(
                repo_id, operations=[CommitOperationAdd(f"{i}.txt", b"x")], commit_message="race", parent_commit=parent
            )
            return 200
        except HfHubHTTPError as err:
            return err.response.status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(commit, range(6)))
    assert sorted(statuses) == [200] + [412] * 5


def _check_integrity(data_dir: Path) -> dict[str, str]:
    """Every ref points at a stored commit whose every file is present with the right hash. Returns ref heads."""
    db = sqlite3.connect(data_dir / "hub.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    storage = HubStorage(data_dir)
    heads = {}
    for repo in storage.list_repos():
        for ref, target in storage.refs(repo).items():
            commit = storage.get_commit(target)
            for entry in storage.tree(commit).values():
                data = storage.blob_path(entry.sha256).read_bytes()
                assert hashlib.sha256(data).hexdigest() == entry.sha256 and len(data) == entry.size
            heads[f"{repo.repo_id}:{ref}"] = target
    return heads


def test_kill_9_during_commits_leaves_every_repo_at_its_old_or_new_commit(tmp_path):
    data_dir = tmp_path / "hub"
    server = LocalHubProcess(data_dir).start()
    api = HfApi(endpoint=server.endpoint, token=server.token)
    repo_id = "marketbert/crash"
    api.create_repo(repo_id)
    acknowledged: dict[str, bytes] = {}
    rng = random.Random(0)

    try:
        for round_ in range(4):
            stop = threading.Event()

            def writer(round_: int, stop: threading.Event) -> None:
                i = 0
                while not stop.is_set():
                    name, payload = f"r{round_}/f{i}.bin", os.urandom(rng.randint(1, 400_000))
                    ops = [CommitOperationAdd(name, payload), CommitOperationAdd(f"r{round_}/n{i}.txt", b"%d" % i)]
                    try:
                        api.create_commit(repo_id, operations=ops, commit_message=f"{round_}/{i}")
                    except Exception:  # the server died under us: expected
                        return
                    acknowledged[name] = payload
                    i += 1

            thread = threading.Thread(target=writer, args=(round_, stop))
            thread.start()
            time.sleep(0.3 + rng.random() * 0.5)
            server.kill()  # SIGKILL, mid-commit most of the time
            stop.set()
            _check_integrity(data_dir)
            server = LocalHubProcess(data_dir, port=server.port).start()
            thread.join(timeout=60)  # the client's retry of the interrupted commit may land on the restarted server
            assert not thread.is_alive()

        snapshot = snapshot_download(
            repo_id, cache_dir=tmp_path / "cache", endpoint=server.endpoint, token=server.token
        )
        for name, payload in acknowledged.items():  # every acknowledged commit survived the crashes
            assert (Path(snapshot) / name).read_bytes() == payload
        assert len(acknowledged) > 4
    finally:
        server.stop()


def test_cli_creates_tokens_the_server_accepts(tmp_path):
    data_dir = tmp_path / "hub"
    result = CliRunner().invoke(app, ["hub", "token", "create", "ci-bot", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("hf_")
    with LocalHubProcess(data_dir) as server:
        assert HfApi(endpoint=server.endpoint, token=token).whoami()["auth"]["accessToken"]["displayName"] == "ci-bot"
    bad = CliRunner().invoke(app, ["hub", "token", "create", "x", "--role", "admin", "--data-dir", str(data_dir)])
    assert bad.exit_code != 0 and "role must be" in bad.output
