"""File endpoints: tree listings, paths-info and downloads (`resolve`, with HEAD, ETag and single Range support)."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from local_hub.errors import HubError
from local_hub.storage import Commit, Entry, HubStorage
from local_hub.web import Hub

PAGE_SIZE = 1000
CHUNK = 1 << 20


def tree(hub: Hub, request: Request, repo_type: str, namespace: str, name: str, revision: str, path: str) -> Response:
    repo = hub.repo(request, repo_type, namespace, name)
    commit = hub.storage.resolve(repo, revision)
    recursive = request.query_params.get("recursive", "false").lower() in ("1", "true")
    entries = _list_tree(hub.storage.tree(commit), commit, path.strip("/"), recursive)
    if entries is None:
        raise HubError(404, "EntryNotFound", f"{path} does not exist on {revision}")
    start = int(request.query_params.get("cursor", "0") or 0)
    page = entries[start : start + PAGE_SIZE]
    headers = {}
    if start + PAGE_SIZE < len(entries):
        query = dict(request.query_params)
        query["cursor"] = str(start + PAGE_SIZE)
        next_url = request.url.replace(query="&".join(f"{k}={v}" for k, v in query.items()))
        headers["Link"] = f'<{next_url}>; rel="next"'
    return JSONResponse(page, headers=headers)


async def paths_info(hub: Hub, request: Request, repo_type: str, namespace: str, name: str, revision: str) -> Response:
    form = await request.form()
    paths = [str(p).strip("/") for p in form.getlist("paths")]

    def answer() -> Response:
        repo = hub.repo(request, repo_type, namespace, name)
        commit = hub.storage.resolve(repo, revision)
        files = hub.storage.tree(commit)
        result = []
        for path in paths:
            if path in files:
                result.append(_file_item(files[path]))
            elif any(p.startswith(path + "/") for p in files):
                result.append(_dir_item(commit, path))
        return JSONResponse(result)

    return await run_in_threadpool(answer)


def resolve(
    hub: Hub, request: Request, repo_type: str, namespace: str, name: str, revision: str, path: str
) -> Response:
    repo = hub.repo(request, repo_type, namespace, name)
    commit = hub.storage.resolve(repo, revision)
    entry = hub.storage.entry(commit, path)
    if entry is None:
        raise HubError(
            404,
            "EntryNotFound",
            f"{path} does not exist at {revision}",
            extra_headers={"X-Repo-Commit": commit.oid},
        )
    return BlobResponse(hub.storage, entry, commit, request.headers.get("range"))


class BlobResponse(Response):
    """A file download with the headers `hf_hub_download` needs; HEAD gets the same headers; single Range support."""

    def __init__(self, storage: HubStorage, entry: Entry, commit: Commit, range_header: str | None) -> None:
        self.path = storage.blob_path(entry.sha256)
        self.size = entry.size
        self.start, self.end, status = 0, entry.size - 1, 200
        headers = {
            "X-Repo-Commit": commit.oid,
            "ETag": f'"{entry.oid}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f'inline; filename="{entry.path.rsplit("/", 1)[-1]}"'.encode(
                "ascii", "replace"
            ).decode(),
        }
        if entry.lfs:
            headers["X-Linked-Size"] = str(entry.size)
            headers["X-Linked-ETag"] = f'"{entry.sha256}"'
        if range_header:
            self.start, self.end = _parse_range(range_header, entry.size)
            headers["Content-Range"] = f"bytes {self.start}-{self.end}/{entry.size}"
            status = 206
        headers["Content-Length"] = str(max(self.end - self.start + 1, 0))
        super().__init__(status_code=status, headers=headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        remaining = self.end - self.start + 1
        with open(self.path, "rb") as fh:
            fh.seek(self.start)
            while remaining > 0:
                chunk = fh.read(min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
        if remaining > 0:
            await send({"type": "http.response.body", "body": b""})

    def init_headers(self, headers: Any = None) -> None:  # keep our Content-Length, even for HEAD
        self.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]


def _parse_range(header: str, size: int) -> tuple[int, int]:
    unit, _, spec = header.partition("=")
    first, _, last = spec.split(",")[0].strip().partition("-")
    try:
        if unit.strip() != "bytes":
            raise ValueError
        if first == "":
            start, end = max(size - int(last), 0), size - 1
        else:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
    except ValueError:
        raise HubError(416, "RangeNotSatisfiable", f"Invalid Range header {header!r}") from None
    if start > end or start >= size:
        if size == 0 and start == 0:
            return 0, -1
        raise HubError(416, "RangeNotSatisfiable", f"Range {header!r} is outside 0-{size - 1}")
    return start, end


def _file_item(entry: Entry) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "file", "oid": entry.sha1, "size": entry.size, "path": entry.path}
    if entry.lfs:
        item["lfs"] = {"oid": entry.sha256, "size": entry.size, "pointerSize": 134}
    return item


def _dir_item(commit: Commit, path: str) -> dict[str, Any]:
    return {
        "type": "directory",
        "oid": hashlib.sha1(f"{commit.tree}:{path}".encode()).hexdigest(),
        "size": 0,
        "path": path,
    }


def _list_tree(files: dict[str, Entry], commit: Commit, path: str, recursive: bool) -> list[dict[str, Any]] | None:
    """Tree entries under `path` ('' = root): direct children, or everything below when `recursive`."""
    prefix = f"{path}/" if path else ""
    if path and path in files:
        return None
    dirs: set[str] = set()
    out: list[dict[str, Any]] = []
    for full, entry in files.items():
        if not full.startswith(prefix):
            continue
        parts = full[len(prefix) :].split("/")
        for depth in range(1, len(parts) if recursive else min(len(parts), 2)):
            dirs.add(prefix + "/".join(parts[:depth]))
        if recursive or len(parts) == 1:
            out.append(_file_item(entry))
    if path and not out and not dirs:
        return None
    out.extend(_dir_item(commit, d) for d in sorted(dirs))
    return sorted(out, key=lambda item: item["path"])
