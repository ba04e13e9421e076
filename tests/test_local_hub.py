"""The embedded Hub through the unmodified huggingface_hub client, over HTTP."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationCopy,
    CommitOperationDelete,
    HfApi,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)


def _folder(root: Path) -> Path:
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "README.md").write_text("---\nlicense: apache-2.0\ntags:\n- smoke\n---\n# Smoke\n")
    (root / "config.json").write_text('{"hidden_size": 8}')
    (root / "nested" / "notes.txt").write_text("plain text\n")
    (root / "nested" / "deeper" / "weights.safetensors").write_bytes(os.urandom(300_000))
    (root / "blob.dat").write_bytes(b"\0binary" + os.urandom(1000))  # binary sample -> LFS even without a pattern
    return root


def test_upload_folder_then_download_everything_back(hub, repo_name, tmp_path):
    repo_id = f"{hub.namespace}/{repo_name}"
    src = _folder(tmp_path / "src")
    url = hub.api.create_repo(repo_id)
    assert url == f"{hub.endpoint}/{repo_id}"

    info = hub.api.upload_folder(folder_path=src, repo_id=repo_id, commit_message="first upload")

    assert len(info.oid) == 40
    files = sorted(hub.api.list_repo_files(repo_id))
    assert files == sorted(
        [".gitattributes", "README.md", "config.json", "nested/notes.txt", "nested/deeper/weights.safetensors"]
        + ["blob.dat"]
    )
    tree = {f.path: f for f in hub.api.list_repo_tree(repo_id, recursive=True) if hasattr(f, "lfs")}
    assert tree["nested/deeper/weights.safetensors"].lfs is not None  # *.safetensors pattern
    assert tree["blob.dat"].lfs is not None  # binary sample
    assert tree["config.json"].lfs is None
    snapshot = Path(snapshot_download(repo_id, cache_dir=tmp_path / "cache"))
    for path in src.rglob("*"):
        if path.is_file():
            assert (snapshot / path.relative_to(src)).read_bytes() == path.read_bytes()
    model = hub.api.model_info(repo_id)
    assert model.sha == info.oid
    assert model.card_data["license"] == "apache-2.0" and "smoke" in model.tags


def test_reupload_of_unchanged_folder_creates_no_commit(hub, repo_name, tmp_path):
    repo_id = f"{hub.namespace}/{repo_name}"
    src = _folder(tmp_path / "src")
    hub.api.create_repo(repo_id)
    first = hub.api.upload_folder(folder_path=src, repo_id=repo_id)
    commits_before = len(hub.api.list_repo_commits(repo_id))

    second = hub.api.upload_folder(folder_path=src, repo_id=repo_id)

    assert second.oid == first.oid
    assert len(hub.api.list_repo_commits(repo_id)) == commits_before


def test_create_commit_adds_copies_and_deletes(hub, repo_name, tmp_path):
    repo_id = f"{hub.namespace}/{repo_name}"
    hub.api.create_repo(repo_id, repo_type="dataset")
    big = os.urandom(50_000)
    hub.api.create_commit(
        repo_id,
        repo_type="dataset",
        commit_message="add",
        operations=[
            CommitOperationAdd("data/a.parquet", big),
            CommitOperationAdd("data/b.txt", b"bee"),
            CommitOperationAdd("keep.txt", b"keep"),
        ],
    )
    hub.api.create_commit(
        repo_id,
        repo_type="dataset",
        commit_message="copy and delete",
        operations=[
            CommitOperationCopy("data/a.parquet", "copy/a.parquet"),
            CommitOperationDelete("data/"),
            CommitOperationDelete("keep.txt"),
        ],
    )

    files = sorted(hub.api.list_repo_files(repo_id, repo_type="dataset"))
    assert files == [".gitattributes", "copy/a.parquet"]
    path = hf_hub_download(repo_id, "copy/a.parquet", repo_type="dataset", cache_dir=tmp_path)
    assert Path(path).read_bytes() == big
    with pytest.raises(EntryNotFoundError):
        hub.api.delete_file("missing.txt", repo_id, repo_type="dataset")


def test_download_at_branch_tag_and_sha(hub, repo_name, tmp_path):
    repo_id = f"{hub.namespace}/{repo_name}"
    hub.api.create_repo(repo_id)
    v1 = hub.api.upload_file(path_or_fileobj=b"one", path_in_repo="x.txt", repo_id=repo_id).oid
    hub.api.create_tag(repo_id, tag="v1.0", tag_message="first")
    hub.api.create_branch(repo_id, branch="dev")
    hub.api.upload_file(path_or_fileobj=b"two", path_in_repo="x.txt", repo_id=repo_id)
    hub.api.upload_file(path_or_fileobj=b"dev!", path_in_repo="x.txt", repo_id=repo_id, revision="dev")

    def read(revision: str) -> bytes:
        return Path(hf_hub_download(repo_id, "x.txt", revision=revision, cache_dir=tmp_path)).read_bytes()

    assert read("main") == b"two"
    assert read("v1.0") == b"one"
    assert read(v1) == b"one"
    assert read(v1[:7]) == b"one"
    assert read("dev") == b"dev!"
    refs = hub.api.list_repo_refs(repo_id)
    assert {b.name for b in refs.branches} == {"main", "dev"}
    assert [(t.name, t.target_commit) for t in refs.tags] == [("v1.0", v1)]
    snapshot = Path(snapshot_download(repo_id, revision="v1.0", cache_dir=tmp_path / "snap"))
    assert snapshot.name == v1 and (snapshot / "x.txt").read_bytes() == b"one"

    with pytest.raises(HfHubHTTPError) as conflict:
        hub.api.create_tag(repo_id, tag="v1.0")
    assert conflict.value.response.status_code == 409
    hub.api.create_branch(repo_id, branch="dev", exist_ok=True)
    hub.api.delete_branch(repo_id, branch="dev")
    hub.api.delete_tag(repo_id, tag="v1.0")
    refs = hub.api.list_repo_refs(repo_id)
    assert [b.name for b in refs.branches] == ["main"] and refs.tags == []


def test_error_classes_match_the_real_hub(hub, repo_name, tmp_path):
    repo_id = f"{hub.namespace}/{repo_name}"
    hub.api.create_repo(repo_id)
    hub.api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)

    with pytest.raises(RepositoryNotFoundError):
        hub.api.model_info(f"{hub.namespace}/does-not-exist")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(f"{hub.namespace}/does-not-exist", "x.txt", cache_dir=tmp_path)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(repo_id, "x.txt", revision="no-such-branch", cache_dir=tmp_path)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo_id, "missing.txt", cache_dir=tmp_path)
    with pytest.raises(RepositoryNotFoundError):
        hub.api.dataset_info(repo_id)  # same name, other repo type


def test_writes_need_a_valid_token(hub, repo_name):
    anonymous = HfApi(endpoint=hub.endpoint, token=False)
    with pytest.raises(HfHubHTTPError) as missing:
        anonymous.create_repo(f"{hub.namespace}/{repo_name}")
    assert missing.value.response.status_code == 401
    bad = HfApi(endpoint=hub.endpoint, token="hf_not_a_real_token")
    with pytest.raises(HfHubHTTPError) as invalid:
        bad.create_repo(f"{hub.namespace}/{repo_name}")
    assert invalid.value.response.status_code == 401
    assert hub.api.whoami()["name"] == hub.namespace


def test_private_repos_are_invisible_without_a_token(hub, repo_name):
    repo_id = f"{hub.namespace}/{repo_name}"
    hub.api.create_repo(repo_id, private=True)
    assert hub.api.model_info(repo_id).private is True
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub.endpoint, token=False).model_info(repo_id)
    assert repo_id not in {m.id for m in HfApi(endpoint=hub.endpoint, token=False).list_models(author=hub.namespace)}


def test_create_repo_twice_is_a_409_unless_exist_ok(hub, repo_name):
    repo_id = f"{hub.namespace}/{repo_name}"
    hub.api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
    assert hub.api.create_repo(repo_id, repo_type="space", space_sdk="gradio", exist_ok=True).repo_id == repo_id
    with pytest.raises(HfHubHTTPError) as conflict:
        hub.api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
    assert conflict.value.response.status_code == 409
    assert hub.api.space_info(repo_id).sdk == "gradio"


def test_parent_commit_conflict_is_a_412(hub, repo_name):
    repo_id = f"{hub.namespace}/{repo_name}"
    hub.api.create_repo(repo_id)
    stale = hub.api.model_info(repo_id).sha
    hub.api.upload_file(path_or_fileobj=b"a", path_in_repo="a.txt", repo_id=repo_id)
    with pytest.raises(HfHubHTTPError) as conflict:
        hub.api.create_commit(
            repo_id, operations=[CommitOperationAdd("b.txt", b"b")], commit_message="stale", parent_commit=stale
        )
    assert conflict.value.response.status_code == 412


def test_malformed_ids_and_paths_are_rejected(hub, repo_name):
    headers = {"authorization": f"Bearer {hub.token}"}
    for bad_name in ("..", "a/b", "bad--name", "x" * 200, "name.git", ""):
        response = httpx.post(
            f"{hub.endpoint}/api/repos/create", json={"name": bad_name, "organization": hub.namespace}, headers=headers
        )
        assert 400 <= response.status_code < 500, bad_name
    repo_id = f"{hub.namespace}/{repo_name}"
    hub.api.create_repo(repo_id)
    for bad_path in ("../escape.txt", "/abs.txt", "a/../../b", ".git/config", "x/.git/y", "a//b", "a\\\\b"):
        body = (
            '{"key":"header","value":{"summary":"evil"}}\n'
            f'{{"key":"file","value":{{"path":"{bad_path}","content":"eA==","encoding":"base64"}}}}\n'
        )
        response = httpx.post(
            f"{hub.endpoint}/api/models/{repo_id}/commit/main",
            content=body,
            headers={**headers, "content-type": "application/x-ndjson"},
        )
        assert response.status_code == 400, bad_path
    traversal = httpx.get(f"{hub.endpoint}/{repo_id}/resolve/main/..%2F..%2Fhub.sqlite3")
    assert traversal.status_code == 404


def test_range_requests_and_head_headers(hub, repo_name):
    repo_id = f"{hub.namespace}/{repo_name}"
    hub.api.create_repo(repo_id)
    payload = bytes(range(256)) * 40
    sha = hub.api.upload_file(path_or_fileobj=payload, path_in_repo="w.bin", repo_id=repo_id).oid
    url = f"{hub.endpoint}/{repo_id}/resolve/main/w.bin"

    head = httpx.head(url)
    assert head.status_code == 200
    assert head.headers["x-repo-commit"] == sha
    assert int(head.headers["content-length"]) == len(payload)
    assert head.headers["etag"].strip('"') == hub.api.model_info(repo_id, files_metadata=True).siblings[1].lfs.sha256
    part = httpx.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == payload[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(payload)}"
    assert httpx.get(url, headers={"Range": "bytes=-5"}).content == payload[-5:]
    missing = httpx.head(f"{hub.endpoint}/{repo_id}/resolve/main/nope.bin")
    assert missing.status_code == 404 and missing.headers["x-error-code"] == "EntryNotFound"
    assert missing.headers["x-repo-commit"] == sha


def test_tree_listing_paths_info_and_pagination(hub, repo_name):
    repo_id = f"{hub.namespace}/{repo_name}"
    hub.api.create_repo(repo_id)
    operations = [CommitOperationAdd(f"many/f{i:04d}.txt", str(i).encode()) for i in range(1203)]
    operations.append(CommitOperationAdd("sub dir/x y.txt", b"spaces"))
    hub.api.create_commit(repo_id, operations=operations, commit_message="many files")

    listed = list(hub.api.list_repo_tree(repo_id, path_in_repo="many"))
    assert len(listed) == 1203  # three pages of 1000 + 203 through the Link header
    top = {item.path for item in hub.api.list_repo_tree(repo_id)}
    assert top == {".gitattributes", "many", "sub dir"}
    assert [i.path for i in hub.api.list_repo_tree(repo_id, path_in_repo="sub dir")] == ["sub dir/x y.txt"]
    info = hub.api.get_paths_info(repo_id, ["sub dir/x y.txt", "many", "absent.txt"])
    assert [(type(i).__name__, i.path) for i in info] == [("RepoFile", "sub dir/x y.txt"), ("RepoFolder", "many")]
    with pytest.raises(EntryNotFoundError):
        list(hub.api.list_repo_tree(repo_id, path_in_repo="absent"))


def test_validate_yaml_rejects_broken_front_matter(hub, repo_name):
    repo_id = f"{hub.namespace}/{repo_name}"
    hub.api.create_repo(repo_id)
    with pytest.raises(ValueError, match="Invalid metadata"):
        hub.api.upload_file(path_or_fileobj=b"---\nlicense: [oops\n---\n", path_in_repo="README.md", repo_id=repo_id)


def test_html_index_lists_public_repos_and_renders_readme(hub, repo_name):
    repo_id = f"{hub.namespace}/{repo_name}"
    hub.api.create_repo(repo_id)
    hub.api.upload_file(path_or_fileobj=b"# Hello <world>", path_in_repo="README.md", repo_id=repo_id)
    index = httpx.get(f"{hub.endpoint}/")
    assert index.status_code == 200 and repo_id in index.text
    page = httpx.get(f"{hub.endpoint}/{repo_id}")
    assert "<h1>Hello" in page.text and "<world>" not in page.text  # rendered, unknown tags sanitized away
