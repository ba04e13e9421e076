"""Publishing a folder: one commit, none when unchanged, tags moved, transient errors retried, permanent ones clear."""

from __future__ import annotations

import logging

import pytest
from huggingface_hub import HfApi, snapshot_download

from hub_client.hub_io import publish_folder, validate_repo_id
from hub_client.retry import PermanentHubError
from local_hub import LocalHubProcess


def _write(folder, text: str):
    folder.mkdir(exist_ok=True)
    (folder / "README.md").write_text(f"---\nlicense: mit\n---\n{text}\n")
    (folder / "weights.safetensors").write_bytes(text.encode() * 1000)
    return folder


def test_publish_is_one_commit_and_a_noop_when_unchanged(hub, repo_name, tmp_path):
    repo_id = f"{hub.namespace}/{repo_name}"
    folder = _write(tmp_path / "v1", "one")
    first = publish_folder(folder, repo_id, repo_type="dataset", tag="v1.0.0")
    again = publish_folder(folder, repo_id, repo_type="dataset", tag="v1.0.0")

    assert first.created_commit and not again.created_commit
    assert again.commit == first.commit
    commits = hub.api.list_repo_commits(repo_id, repo_type="dataset")
    assert len(commits) == 2  # the repo's initial commit + ours
    assert [(t.name, t.target_commit) for t in hub.api.list_repo_refs(repo_id, repo_type="dataset").tags] == [
        ("v1.0.0", first.commit)
    ]


def test_republishing_changed_content_moves_the_tag(hub, repo_name, tmp_path):
    repo_id = f"{hub.namespace}/{repo_name}"
    publish_folder(_write(tmp_path / "a", "one"), repo_id, tag="v1.0.0")
    second = publish_folder(_write(tmp_path / "b", "two"), repo_id, tag="v1.0.0")
    tags = hub.api.list_repo_refs(repo_id).tags
    assert [(t.name, t.target_commit) for t in tags] == [("v1.0.0", second.commit)]
    snapshot = snapshot_download(repo_id, revision="v1.0.0", cache_dir=tmp_path / "cache")
    assert "two" in open(f"{snapshot}/README.md").read()


def test_transient_503s_are_retried_with_a_warning(tmp_path, caplog):
    with LocalHubProcess(tmp_path / "hub", fail_commits=2) as flaky:
        api = HfApi(endpoint=flaky.endpoint, token=flaky.token)
        with caplog.at_level(logging.WARNING, logger="hub_client.retry"):
            result = publish_folder(_write(tmp_path / "f", "x"), "marketbert/flaky", api=api)
        assert result.created_commit
        assert api.list_repo_files("marketbert/flaky") == [".gitattributes", "README.md", "weights.safetensors"]
    retries = [r for r in caplog.records if "transient" in r.getMessage()]
    assert len(retries) == 2 and "503" in retries[0].getMessage()


def test_a_bad_token_fails_at_once_with_one_actionable_line(hub, repo_name, tmp_path):
    api = HfApi(endpoint=hub.endpoint, token="hf_wrong")
    with pytest.raises(PermanentHubError, match=r"rejected the token \(401\): set HF_TOKEN") as err:
        publish_folder(_write(tmp_path / "f", "x"), f"{hub.namespace}/{repo_name}", api=api)
    assert "hf_wrong" not in str(err.value)


@pytest.mark.parametrize("bad", ["noslash", "a/b/c", "a/../b", "a/b--c", "-a/b", "a/" + "x" * 97, "a/b.git"])
def test_invalid_repo_ids_are_refused_before_any_request(bad):
    with pytest.raises(ValueError, match="Invalid repo id"):
        validate_repo_id(bad)


def test_a_connection_error_wrapped_by_a_library_is_retried():
    import httpx2

    from hub_client.retry import is_transient

    try:
        try:
            raise httpx2.ConnectError("[Errno 111] Connection refused")
        except httpx2.ConnectError as err:
            raise RuntimeError("An error happened while uploading the files") from err
    except RuntimeError as wrapped:
        assert is_transient(wrapped)
    assert not is_transient(ValueError("Invalid repo id"))
