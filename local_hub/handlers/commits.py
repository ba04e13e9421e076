"""Write endpoints: preupload, the NDJSON commit, and LFS uploads (batch, signed PUT, verify)."""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from local_hub.blobs import git_blob_sha1, lfs_pointer
from local_hub.errors import HubError
from local_hub.storage import MAIN, CommitRequest, Entry, HubStorage, Repo, validate_path
from local_hub.web import Hub, base_url, json_object, read_json, repo_url

LFS_SIZE_THRESHOLD = 10 * 1024 * 1024
LFS_URL_TTL_S = 3600


async def preupload(hub: Hub, request: Request, repo_type: str, namespace: str, name: str, revision: str) -> Response:
    body = await read_json(request)
    files = body.get("files")
    if not isinstance(files, list):
        raise HubError(400, "BadRequest", "Body must be {'files': [{'path', 'sample', 'size'}, ...]}")

    def answer() -> Response:
        repo = hub.repo(request, repo_type, namespace, name, write=True)
        commit = hub.storage.resolve(repo, revision)
        tree = hub.storage.tree(commit)
        patterns = _lfs_patterns(hub.storage, tree.get(".gitattributes"))
        result = []
        for item in files:
            path = validate_path(str(item.get("path", "")))
            sample = base64.b64decode(item.get("sample") or "")
            lfs = (
                int(item.get("size") or 0) >= LFS_SIZE_THRESHOLD
                or b"\0" in sample
                or any(_matches(path, pattern) for pattern in patterns)
            )
            answer_item = {"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False}
            existing = tree.get(path)
            if existing is not None and existing.lfs == lfs:
                answer_item["oid"] = existing.oid
            result.append(answer_item)
        return JSONResponse({"files": result, "commitOid": commit.oid})

    return await run_in_threadpool(answer)


async def commit(hub: Hub, request: Request, repo_type: str, namespace: str, name: str, revision: str) -> Response:
    token = await run_in_threadpool(hub.writer, request)
    if hub.fail_commits > 0:
        hub.fail_commits -= 1
        raise HubError(503, "ServiceUnavailable", "Injected failure (LOCAL_HUB_FAIL_COMMITS): try again")
    repo = await run_in_threadpool(hub.repo, request, repo_type, namespace, name, write=True)
    commit_request = CommitRequest(summary="")
    header_seen = False
    async for line in _ndjson_lines(request):
        key, value = line.get("key"), line.get("value") or {}
        if key == "header":
            header_seen = True
            commit_request.summary = str(value.get("summary") or "").strip()
            commit_request.description = str(value.get("description") or "")
            commit_request.parent_commit = value.get("parentCommit")
        elif key == "file":
            path = validate_path(str(value.get("path", "")))
            if value.get("encoding", "base64") != "base64":
                raise HubError(400, "BadRequest", f"Unsupported encoding for {path}: use base64")
            data = base64.b64decode(value.get("content") or "")
            sha256, sha1 = await run_in_threadpool(hub.storage.put_bytes, data)
            commit_request.additions[path] = Entry(path, sha1, sha256, len(data), False)
        elif key == "lfsFile":
            path = validate_path(str(value.get("path", "")))
            commit_request.additions[path] = await run_in_threadpool(_lfs_entry, hub.storage, path, value)
        elif key == "deletedFile":
            commit_request.deleted_files.append(validate_path(str(value.get("path", ""))))
        elif key == "deletedFolder":
            commit_request.deleted_folders.append(str(value.get("path", "")))
        else:
            raise HubError(400, "BadRequest", f"Unknown commit operation {key!r}")
    if not header_seen or not commit_request.summary:
        raise HubError(400, "BadRequest", "A commit needs a header line with a non-empty summary")

    create_pr = request.query_params.get("create_pr") in ("1", "true")

    def apply() -> Response:
        ref, pr_number = _commit_target(hub.storage, repo, revision, create_pr)
        commit, created = hub.storage.commit(repo, ref, commit_request, token.user)
        if created and hub.spaces is not None and repo.type == "space" and ref == f"refs/heads/{MAIN}":
            hub.spaces.on_push(repo, commit.oid)  # a new commit on a Space's main (re)starts it
        url = repo_url(request, repo_type, repo.repo_id)
        result = {"commitUrl": f"{url}/commit/{commit.oid}", "commitOid": commit.oid, "success": True}
        if pr_number is not None:
            result["pullRequestUrl"] = f"{url}/discussions/{pr_number}"
        return JSONResponse(result)

    return await run_in_threadpool(apply)


async def lfs_batch(hub: Hub, request: Request, repo_type: str, namespace: str, name: str) -> Response:
    body = await read_json(request)
    await run_in_threadpool(hub.repo, request, repo_type, namespace, name, write=True)
    if body.get("operation") != "upload":
        raise HubError(400, "BadRequest", "Only the 'upload' LFS operation is supported; download with resolve/")
    objects = []
    for obj in body.get("objects", []):
        oid, size = str(obj.get("oid", "")), obj.get("size")
        if not isinstance(size, int) or size < 0 or len(oid) != 64:
            objects.append({"oid": oid, "size": size, "error": {"code": 422, "message": "Invalid oid or size"}})
            continue
        item: dict[str, Any] = {"oid": oid, "size": size}
        if not await run_in_threadpool(hub.storage.has_blob, oid, size):
            expires = int(time.time()) + LFS_URL_TTL_S
            signature = _sign(hub.storage, oid, size, expires)
            base = base_url(request)
            item["actions"] = {
                "upload": {"href": f"{base}/api/lfs/objects/{oid}?size={size}&expires={expires}&sig={signature}"},
                "verify": {"href": f"{base}/api/lfs/verify/{oid}"},
            }
        objects.append(item)
    return JSONResponse(
        {"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
        headers={"Content-Type": "application/vnd.git-lfs+json"},
    )


async def lfs_upload(hub: Hub, request: Request, oid: str) -> Response:
    """PUT of an LFS object: no Authorization header, so the URL carries an expiring HMAC signature."""
    query = request.query_params
    try:
        size, expires = int(query["size"]), int(query["expires"])
    except (KeyError, ValueError):
        raise HubError(400, "BadRequest", "Upload URL is missing size/expires") from None
    storage = hub.storage
    if expires < time.time() or not hmac.compare_digest(_sign(storage, oid, size, expires), query.get("sig", "")):
        raise HubError(403, "Forbidden", "Upload URL is invalid or expired: ask the LFS batch endpoint again")
    storage.blob_path(oid)  # validates the oid
    tmp, fh = storage.open_upload()
    digest, received = hashlib.sha256(), 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > size:
                raise HubError(400, "BadRequest", f"Upload is larger than the announced {size} bytes")
            digest.update(chunk)
            fh.write(chunk)
    except BaseException:
        fh.close()
        tmp.unlink(missing_ok=True)
        raise
    await run_in_threadpool(storage.finish_upload, tmp, fh, digest.hexdigest(), oid, received, size)
    return Response(status_code=200)


async def lfs_verify(hub: Hub, request: Request, oid: str) -> Response:
    body = await read_json(request)
    if not await run_in_threadpool(hub.storage.has_blob, oid, body.get("size")):
        raise HubError(404, "EntryNotFound", f"LFS object {oid} was not uploaded")
    return JSONResponse({"success": True})


def _sign(storage: HubStorage, oid: str, size: int, expires: int) -> str:
    return hmac.new(storage.secret.encode(), f"{oid}:{size}:{expires}".encode(), hashlib.sha256).hexdigest()


def _lfs_patterns(storage: HubStorage, gitattributes: Entry | None) -> list[str]:
    if gitattributes is None:
        return []
    text = storage.blob_path(gitattributes.sha256).read_text("utf-8", errors="replace")
    return [line.split()[0] for line in text.splitlines() if "filter=lfs" in line and line.split()]


def _matches(path: str, pattern: str) -> bool:
    if "/" in pattern:
        return fnmatch.fnmatchcase(path, pattern.lstrip("/"))
    return fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)


def _lfs_entry(storage: HubStorage, path: str, value: dict[str, Any]) -> Entry:
    oid = str(value.get("oid", ""))
    if value.get("algo", "sha256") != "sha256" or not storage.has_blob(oid):
        raise HubError(400, "BadRequest", f"LFS object for {path} ({oid}) was not uploaded")
    size = storage.blob_path(oid).stat().st_size
    if value.get("size") not in (None, size):
        raise HubError(400, "BadRequest", f"LFS object for {path} has size {size}, not {value.get('size')}")
    return Entry(path, git_blob_sha1(lfs_pointer(oid, size)), oid, size, True)


def _commit_target(storage: HubStorage, repo: Repo, revision: str, create_pr: bool) -> tuple[str, int | None]:
    refs = storage.refs(repo)
    if create_pr:
        start = storage.resolve(repo, revision)
        number = storage.next_pr_number(repo)
        storage.set_ref(repo, f"refs/pr/{number}", start.oid)
        return f"refs/pr/{number}", number
    for ref in (f"refs/heads/{revision}", revision):
        if ref in refs and (ref.startswith("refs/heads/") or ref.startswith("refs/pr/")):
            return ref, None
    if f"refs/tags/{revision}" in refs:
        raise HubError(400, "BadRequest", f"Cannot commit to tag {revision!r}: commit to a branch")
    raise HubError(404, "RevisionNotFound", f"Invalid rev id: {revision} (create the branch first)")


async def _ndjson_lines(request: Request) -> AsyncIterator[dict[str, Any]]:
    """Parse an NDJSON body line by line as it streams in (memory bounded by the longest line)."""
    buffer = b""
    async for chunk in request.stream():
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip():
                yield _parse_line(line)
    if buffer.strip():
        yield _parse_line(buffer)


def _parse_line(line: bytes) -> dict[str, Any]:
    return json_object(line, "Commit body is not valid NDJSON", "Each commit line must be a JSON object")
