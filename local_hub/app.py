"""The HTTP API of the embedded Hub: the endpoints of HUB_PROTOCOL.md (sections 3.1 and 3.2) as an ASGI app.

Routing works on the raw, percent-encoded path (`scope["raw_path"]`), segment by segment, because the clients send
revisions and tree paths as single encoded segments (`refs%2Fpr%2F1`, `sub%20dir%2Fx`).
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import hmac
import html
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import yaml
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send

from local_hub.errors import HubError
from local_hub.storage import (
    MAIN,
    REPO_TYPES,
    Commit,
    CommitRequest,
    Entry,
    HubStorage,
    Repo,
    Token,
    git_blob_sha1,
    validate_path,
)

logger = logging.getLogger(__name__)

TYPE_OF_SEGMENT = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
LFS_SIZE_THRESHOLD = 10 * 1024 * 1024
PAGE_SIZE = 1000
CHUNK = 1 << 20
LFS_URL_TTL_S = 3600

Handler = Callable[..., Awaitable[Response]]


def _error_response(err: HubError, method: str) -> Response:
    safe = err.message.encode("latin-1", "replace").decode("latin-1").replace("\n", " ")[:1000]
    headers = {"X-Error-Code": err.code, "X-Error-Message": safe, **err.extra_headers}
    if method == "HEAD":
        return Response(status_code=err.status, headers=headers)
    return JSONResponse({"error": err.message}, status_code=err.status, headers=headers)


class HubApp:
    """ASGI application serving one :class:`HubStorage`."""

    def __init__(self, storage: HubStorage, *, fail_commits: int = 0) -> None:
        self.storage = storage
        # Fault injection for resilience tests: the first `fail_commits` commit requests answer 503.
        self.fail_commits = fail_commits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            response = await self.dispatch(request)
        except HubError as err:
            response = _error_response(err, request.method)
        except Exception:  # a bug: log it, answer 500 with a code so clients show a clean error
            logger.exception("internal error on %s %s", request.method, scope.get("path"))
            response = _error_response(HubError(500, "InternalError", "Internal server error"), request.method)
        await response(scope, receive, send)

    # -- routing -----------------------------------------------------------------------------------------------------
    async def dispatch(self, request: Request) -> Response:
        raw = request.scope.get("raw_path") or request.scope["path"].encode()
        raw = raw.split(b"?", 1)[0].decode("ascii", "replace")
        seg = [unquote(part) for part in raw.strip("/").split("/")] if raw.strip("/") else []
        method = request.method
        if not seg:
            return await run_in_threadpool(self.index_page, request)
        if seg[0] == "api":
            return await self.dispatch_api(request, method, seg[1:])
        repo_type = TYPE_OF_SEGMENT.get(seg[0]) if seg[0] in ("datasets", "spaces") else "model"
        rest = seg[1:] if repo_type != "model" else seg
        if len(rest) >= 2 and rest[1].endswith(".git") and rest[2:] == ["info", "lfs", "objects", "batch"]:
            if method == "POST":
                return await self.lfs_batch(request, repo_type, rest[0], rest[1][: -len(".git")])
        if len(rest) >= 5 and rest[2] == "resolve" and method in ("GET", "HEAD"):
            return await run_in_threadpool(
                self.resolve, request, repo_type, rest[0], rest[1], rest[3], "/".join(rest[4:])
            )
        if len(rest) == 2 and method == "GET":
            return await run_in_threadpool(self.repo_page, request, repo_type, rest[0], rest[1])
        raise HubError(404, "NotFound", f"No route for {method} /{'/'.join(seg)}")

    async def dispatch_api(self, request: Request, method: str, seg: list[str]) -> Response:
        route = (method, *seg[:2])
        if route == ("GET", "whoami-v2"):
            return await run_in_threadpool(self.whoami, request)
        if route == ("GET", "health"):
            return JSONResponse({"status": "ok"})
        if route == ("POST", "validate-yaml"):
            return await self.validate_yaml(request)
        if route == ("POST", "repos", "create"):
            return await self.create_repo(request)
        if route == ("DELETE", "repos", "delete"):
            return await self.delete_repo(request)
        if method == "PUT" and seg[:2] == ["lfs", "objects"] and len(seg) == 3:
            return await self.lfs_upload(request, seg[2])
        if method == "POST" and seg[:2] == ["lfs", "verify"] and len(seg) == 3:
            return await self.lfs_verify(request, seg[2])
        if not seg or seg[0] not in TYPE_OF_SEGMENT:
            raise HubError(404, "NotFound", f"No API route for {method} /api/{'/'.join(seg)}")
        repo_type = TYPE_OF_SEGMENT[seg[0]]
        if len(seg) == 1 and method == "GET":
            return await run_in_threadpool(self.list_repos, request, repo_type)
        if len(seg) < 3:
            raise HubError(404, "NotFound", f"No API route for {method} /api/{'/'.join(seg)}")
        namespace, name, action, args = seg[1], seg[2], (seg[3] if len(seg) > 3 else None), seg[4:]
        key = (method, action)
        if key == ("GET", None) or (key == ("GET", "revision") and len(args) == 1):
            revision = args[0] if args else MAIN
            return await run_in_threadpool(self.repo_info, request, repo_type, namespace, name, revision)
        if key == ("GET", "tree") and args:
            return await run_in_threadpool(self.tree, request, repo_type, namespace, name, args[0], "/".join(args[1:]))
        if key == ("POST", "paths-info") and len(args) == 1:
            return await self.paths_info(request, repo_type, namespace, name, args[0])
        if key == ("POST", "preupload") and len(args) == 1:
            return await self.preupload(request, repo_type, namespace, name, args[0])
        if key == ("POST", "commit") and len(args) == 1:
            return await self.commit(request, repo_type, namespace, name, args[0])
        if key == ("GET", "commits") and len(args) == 1:
            return await run_in_threadpool(self.commits, request, repo_type, namespace, name, args[0])
        if key == ("GET", "refs") and not args:
            return await run_in_threadpool(self.list_refs, request, repo_type, namespace, name)
        if action in ("branch", "tag") and len(args) == 1 and method in ("POST", "DELETE"):
            return await self.change_ref(request, repo_type, namespace, name, action, args[0])
        if key == ("PUT", "settings") and not args:
            return await self.update_settings(request, repo_type, namespace, name)
        raise HubError(404, "NotFound", f"No API route for {method} /api/{'/'.join(seg)}")

    # -- auth and lookup helpers -------------------------------------------------------------------------------------
    def caller(self, request: Request) -> Token | None:
        """The token's owner, None without a token; 401 for a token the Hub does not know."""
        header = request.headers.get("authorization", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        found = self.storage.lookup_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if found is None:
            raise HubError(401, "Unauthorized", "Invalid credentials in Authorization header")
        return found

    def writer(self, request: Request) -> Token:
        token = self.caller(request)
        if token is None:
            raise HubError(401, "Unauthorized", "You must be authenticated to write: pass a write token")
        if token.role != "write":
            raise HubError(403, "Forbidden", f"Token {token.name!r} is read-only: use a write token")
        return token

    def repo(self, request: Request, repo_type: str, namespace: str, name: str, *, write: bool = False) -> Repo:
        token = self.writer(request) if write else self.caller(request)
        repo = self.storage.get_repo(repo_type, namespace, name)
        if repo is None or (repo.private and (token is None or token.user != repo.owner)):
            raise HubError(404, "RepoNotFound", f"Repository not found: {URL_PREFIX[repo_type]}{namespace}/{name}")
        if write and token.user != repo.owner:
            raise HubError(403, "Forbidden", f"You cannot write to {repo.repo_id}: it belongs to {repo.owner}")
        return repo

    @staticmethod
    def base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def repo_url(self, request: Request, repo_type: str, repo_id: str) -> str:
        return f"{self.base_url(request)}/{URL_PREFIX[repo_type]}{repo_id}"

    # -- read side ---------------------------------------------------------------------------------------------------
    def whoami(self, request: Request) -> Response:
        token = self.caller(request)
        if token is None:
            raise HubError(401, "Unauthorized", "Invalid user token.")
        orgs = [{"name": ns, "type": "org"} for ns in self.storage.namespaces_of(token.user)]
        return JSONResponse(
            {
                "type": "user",
                "id": token.user,
                "name": token.user,
                "fullname": token.user,
                "email": None,
                "orgs": orgs,
                "auth": {"type": "access_token", "accessToken": {"displayName": token.name, "role": token.role}},
            }
        )

    def list_repos(self, request: Request, repo_type: str) -> Response:
        token = self.caller(request)
        author = request.query_params.get("author")
        search = (request.query_params.get("search") or "").lower()
        items = [
            {"id": r.repo_id, "author": r.namespace, "private": r.private, "createdAt": r.created_at}
            for r in self.storage.list_repos(repo_type)
            if (not r.private or (token and token.user == r.owner))
            and (not author or r.namespace.lower() == author.lower())
            and search in r.repo_id.lower()
        ]
        limit = request.query_params.get("limit")
        return JSONResponse(items[: int(limit)] if limit and limit.isdigit() else items)

    def repo_info(self, request: Request, repo_type: str, namespace: str, name: str, revision: str) -> Response:
        repo = self.repo(request, repo_type, namespace, name)
        commit = self.storage.resolve(repo, revision)
        files = self.storage.tree(commit)
        card = self._card_data(files.get("README.md"))
        info: dict[str, Any] = {
            "_id": f"{repo.id:024x}",
            "id": repo.repo_id,
            "author": repo.namespace,
            "sha": commit.oid,
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "createdAt": repo.created_at,
            "lastModified": commit.created_at,
            "tags": card.get("tags", []) if isinstance(card.get("tags"), list) else [],
            "siblings": [_sibling(entry) for entry in files.values()],
        }
        if card:
            info["cardData"] = card
        for key in ("library_name", "pipeline_tag"):
            if isinstance(card.get(key), str):
                info[key] = card[key]
        if repo_type == "space":
            info["sdk"] = card.get("sdk") or repo.sdk
            info["runtime"] = {"stage": "NO_APP_FILE" if "app.py" not in files else "STOPPED", "hardware": None}
        return JSONResponse(info)

    def _card_data(self, readme: Entry | None) -> dict[str, Any]:
        if readme is None or readme.size > 2_000_000:
            return {}
        text = self.storage.blob_path(readme.sha256).read_text("utf-8", errors="replace")
        data, _ = _front_matter(text)
        return data if isinstance(data, dict) else {}

    def tree(self, request: Request, repo_type: str, namespace: str, name: str, revision: str, path: str) -> Response:
        repo = self.repo(request, repo_type, namespace, name)
        commit = self.storage.resolve(repo, revision)
        recursive = request.query_params.get("recursive", "false").lower() in ("1", "true")
        entries = _list_tree(self.storage.tree(commit), commit, path.strip("/"), recursive)
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

    async def paths_info(self, request: Request, repo_type: str, namespace: str, name: str, revision: str) -> Response:
        form = await request.form()
        paths = [str(p).strip("/") for p in form.getlist("paths")]

        def answer() -> Response:
            repo = self.repo(request, repo_type, namespace, name)
            commit = self.storage.resolve(repo, revision)
            files = self.storage.tree(commit)
            result = []
            for path in paths:
                if path in files:
                    result.append(_file_item(files[path]))
                elif any(p.startswith(path + "/") for p in files):
                    result.append(_dir_item(commit, path))
            return JSONResponse(result)

        return await run_in_threadpool(answer)

    def commits(self, request: Request, repo_type: str, namespace: str, name: str, revision: str) -> Response:
        repo = self.repo(request, repo_type, namespace, name)
        head = self.storage.resolve(repo, revision)
        return JSONResponse(
            [
                {
                    "id": c.oid,
                    "title": c.summary,
                    "message": c.description,
                    "authors": [{"user": c.author}],
                    "date": c.created_at,
                }
                for c in self.storage.history(head)
            ]
        )

    def list_refs(self, request: Request, repo_type: str, namespace: str, name: str) -> Response:
        repo = self.repo(request, repo_type, namespace, name)
        out: dict[str, list[dict[str, str]]] = {"branches": [], "converts": [], "tags": []}
        prs = []
        for ref, target in self.storage.refs(repo).items():
            kind, _, short = ref.removeprefix("refs/").partition("/")
            item = {"name": short, "ref": ref, "targetCommit": target}
            {"heads": out["branches"], "tags": out["tags"], "convert": out["converts"], "pr": prs}[kind].append(item)
        if request.query_params.get("include_prs"):
            out["pullRequests"] = prs
        return JSONResponse(out)

    def resolve(
        self, request: Request, repo_type: str, namespace: str, name: str, revision: str, path: str
    ) -> Response:
        repo = self.repo(request, repo_type, namespace, name)
        commit = self.storage.resolve(repo, revision)
        entry = self.storage.entry(commit, path)
        if entry is None:
            raise HubError(
                404,
                "EntryNotFound",
                f"{path} does not exist at {revision}",
                extra_headers={"X-Repo-Commit": commit.oid},
            )
        return BlobResponse(self.storage, entry, commit, request.headers.get("range"))

    # -- write side --------------------------------------------------------------------------------------------------
    async def validate_yaml(self, request: Request) -> Response:
        body = await _json(request)
        errors = _validate_card_yaml(str(body.get("content", "")))
        return JSONResponse({"errors": errors, "warnings": []}, status_code=400 if errors else 200)

    async def create_repo(self, request: Request) -> Response:
        body = await _json(request)
        token = await run_in_threadpool(self.writer, request)
        repo_type = body.get("type") or "model"
        if repo_type not in REPO_TYPES:
            raise HubError(400, "BadRequest", f"Invalid repo type {repo_type!r}: use model, dataset or space")
        name = body.get("name")
        namespace = body.get("organization") or token.user
        if not isinstance(name, str) or not isinstance(namespace, str):
            raise HubError(400, "BadRequest", "'name' (and 'organization' if given) must be strings")
        private = body.get("private") is True or body.get("visibility") == "private"
        if repo_type == "space" and body.get("sdk") not in ("gradio", "streamlit", "docker", "static"):
            raise HubError(400, "BadRequest", "A Space needs 'sdk': gradio, streamlit, docker or static")
        url = self.repo_url(request, repo_type, f"{namespace}/{name}")
        existing = await run_in_threadpool(self.storage.get_repo, repo_type, namespace, name)
        if existing is not None:
            return JSONResponse(
                {"error": "You already created this repo", "url": url},
                status_code=409,
                headers={"X-Error-Code": "RepoExists"},
            )
        try:
            await run_in_threadpool(
                self.storage.create_repo,
                repo_type,
                namespace,
                name,
                owner=token.user,
                private=private,
                sdk=body.get("sdk"),
            )
        except HubError as err:
            if err.status == 409:  # lost a race with a concurrent create
                return JSONResponse({"error": err.message, "url": url}, status_code=409)
            raise
        return JSONResponse({"url": url, "name": f"{namespace}/{name}"})

    async def delete_repo(self, request: Request) -> Response:
        body = await _json(request)
        repo_type = body.get("type") or "model"
        if repo_type not in REPO_TYPES:
            raise HubError(400, "BadRequest", f"Invalid repo type {repo_type!r}")
        token = await run_in_threadpool(self.writer, request)
        repo = await run_in_threadpool(
            self.repo, request, repo_type, body.get("organization") or token.user, str(body.get("name")), write=True
        )
        await run_in_threadpool(self.storage.delete_repo, repo)
        return JSONResponse({})

    async def update_settings(self, request: Request, repo_type: str, namespace: str, name: str) -> Response:
        body = await _json(request)
        repo = await run_in_threadpool(self.repo, request, repo_type, namespace, name, write=True)
        private = body.get("private")
        if body.get("visibility") in ("private", "public"):
            private = body["visibility"] == "private"
        if isinstance(private, bool):
            await run_in_threadpool(self.storage.set_private, repo, private)
        return JSONResponse({})

    async def preupload(self, request: Request, repo_type: str, namespace: str, name: str, revision: str) -> Response:
        body = await _json(request)
        files = body.get("files")
        if not isinstance(files, list):
            raise HubError(400, "BadRequest", "Body must be {'files': [{'path', 'sample', 'size'}, ...]}")

        def answer() -> Response:
            repo = self.repo(request, repo_type, namespace, name, write=True)
            commit = self.storage.resolve(repo, revision)
            tree = self.storage.tree(commit)
            patterns = self._lfs_patterns(tree.get(".gitattributes"))
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

    def _lfs_patterns(self, gitattributes: Entry | None) -> list[str]:
        if gitattributes is None:
            return []
        text = self.storage.blob_path(gitattributes.sha256).read_text("utf-8", errors="replace")
        return [line.split()[0] for line in text.splitlines() if "filter=lfs" in line and line.split()]

    async def lfs_batch(self, request: Request, repo_type: str, namespace: str, name: str) -> Response:
        body = await _json(request)
        await run_in_threadpool(self.repo, request, repo_type, namespace, name, write=True)
        if body.get("operation") != "upload":
            raise HubError(400, "BadRequest", "Only the 'upload' LFS operation is supported; download with resolve/")
        objects = []
        for obj in body.get("objects", []):
            oid, size = str(obj.get("oid", "")), obj.get("size")
            if not isinstance(size, int) or size < 0 or len(oid) != 64:
                objects.append({"oid": oid, "size": size, "error": {"code": 422, "message": "Invalid oid or size"}})
                continue
            item: dict[str, Any] = {"oid": oid, "size": size}
            if not await run_in_threadpool(self.storage.has_blob, oid, size):
                expires = int(time.time()) + LFS_URL_TTL_S
                signature = self._sign(oid, size, expires)
                base = self.base_url(request)
                item["actions"] = {
                    "upload": {"href": f"{base}/api/lfs/objects/{oid}?size={size}&expires={expires}&sig={signature}"},
                    "verify": {"href": f"{base}/api/lfs/verify/{oid}"},
                }
            objects.append(item)
        return JSONResponse(
            {"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
            headers={"Content-Type": "application/vnd.git-lfs+json"},
        )

    def _sign(self, oid: str, size: int, expires: int) -> str:
        return hmac.new(self.storage.secret.encode(), f"{oid}:{size}:{expires}".encode(), hashlib.sha256).hexdigest()

    async def lfs_upload(self, request: Request, oid: str) -> Response:
        """PUT of an LFS object: no Authorization header, so the URL carries an expiring HMAC signature."""
        query = request.query_params
        try:
            size, expires = int(query["size"]), int(query["expires"])
        except (KeyError, ValueError):
            raise HubError(400, "BadRequest", "Upload URL is missing size/expires") from None
        if expires < time.time() or not hmac.compare_digest(self._sign(oid, size, expires), query.get("sig", "")):
            raise HubError(403, "Forbidden", "Upload URL is invalid or expired: ask the LFS batch endpoint again")
        storage = self.storage
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

    async def lfs_verify(self, request: Request, oid: str) -> Response:
        body = await _json(request)
        if not await run_in_threadpool(self.storage.has_blob, oid, body.get("size")):
            raise HubError(404, "EntryNotFound", f"LFS object {oid} was not uploaded")
        return JSONResponse({"success": True})

    async def commit(self, request: Request, repo_type: str, namespace: str, name: str, revision: str) -> Response:
        token = await run_in_threadpool(self.writer, request)
        if self.fail_commits > 0:
            self.fail_commits -= 1
            raise HubError(503, "ServiceUnavailable", "Injected failure (LOCAL_HUB_FAIL_COMMITS): try again")
        repo = await run_in_threadpool(self.repo, request, repo_type, namespace, name, write=True)
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
                sha256, sha1 = await run_in_threadpool(self.storage.put_bytes, data)
                commit_request.additions[path] = Entry(path, sha1, sha256, len(data), False)
            elif key == "lfsFile":
                path = validate_path(str(value.get("path", "")))
                commit_request.additions[path] = await run_in_threadpool(self._lfs_entry, path, value)
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
            ref, pr_number = self._commit_target(repo, revision, create_pr)
            commit, _created = self.storage.commit(repo, ref, commit_request, token.user)
            url = self.repo_url(request, repo_type, repo.repo_id)
            result = {"commitUrl": f"{url}/commit/{commit.oid}", "commitOid": commit.oid, "success": True}
            if pr_number is not None:
                result["pullRequestUrl"] = f"{url}/discussions/{pr_number}"
            return JSONResponse(result)

        return await run_in_threadpool(apply)

    def _lfs_entry(self, path: str, value: dict[str, Any]) -> Entry:
        oid = str(value.get("oid", ""))
        if value.get("algo", "sha256") != "sha256" or not self.storage.has_blob(oid):
            raise HubError(400, "BadRequest", f"LFS object for {path} ({oid}) was not uploaded")
        size = self.storage.blob_path(oid).stat().st_size
        if value.get("size") not in (None, size):
            raise HubError(400, "BadRequest", f"LFS object for {path} has size {size}, not {value.get('size')}")
        pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n".encode()
        return Entry(path, git_blob_sha1(pointer), oid, size, True)

    def _commit_target(self, repo: Repo, revision: str, create_pr: bool) -> tuple[str, int | None]:
        refs = self.storage.refs(repo)
        if create_pr:
            start = self.storage.resolve(repo, revision)
            number = self.storage.next_pr_number(repo)
            self.storage.set_ref(repo, f"refs/pr/{number}", start.oid)
            return f"refs/pr/{number}", number
        for ref in (f"refs/heads/{revision}", revision):
            if ref in refs and (ref.startswith("refs/heads/") or ref.startswith("refs/pr/")):
                return ref, None
        if f"refs/tags/{revision}" in refs:
            raise HubError(400, "BadRequest", f"Cannot commit to tag {revision!r}: commit to a branch")
        raise HubError(404, "RevisionNotFound", f"Invalid rev id: {revision} (create the branch first)")

    async def change_ref(
        self, request: Request, repo_type: str, namespace: str, name: str, kind: str, value: str
    ) -> Response:
        body = await _json(request) if request.method == "POST" else {}

        def apply() -> Response:
            repo = self.repo(request, repo_type, namespace, name, write=True)
            if request.method == "DELETE":
                self.storage.delete_ref(repo, f"refs/{'heads' if kind == 'branch' else 'tags'}/{value}")
                return JSONResponse({})
            if kind == "branch":
                _check_ref_name(value)
                start = self.storage.resolve(repo, body.get("startingPoint") or MAIN)
                self.storage.set_ref(repo, f"refs/heads/{value}", start.oid)
            else:
                tag = str(body.get("tag", ""))
                _check_ref_name(tag)
                target = self.storage.resolve(repo, value)
                self.storage.set_ref(repo, f"refs/tags/{tag}", target.oid)
            return JSONResponse({})

        return await run_in_threadpool(apply)

    # -- HTML --------------------------------------------------------------------------------------------------------
    def index_page(self, request: Request) -> Response:
        token = self.caller(request)
        rows = "".join(
            f'<li>{r.type} <a href="/{URL_PREFIX[r.type]}{html.escape(r.repo_id)}">{html.escape(r.repo_id)}</a>'
            f"{' (private)' if r.private else ''}</li>"
            for r in self.storage.list_repos()
            if not r.private or (token and token.user == r.owner)
        )
        return HTMLResponse(
            _page("Local Hub", f"<h1>Local Hub</h1><ul>{rows or '<li>No repositories yet.</li>'}</ul>")
        )

    def repo_page(self, request: Request, repo_type: str, namespace: str, name: str) -> Response:
        repo = self.repo(request, repo_type, namespace, name)
        commit = self.storage.resolve(repo, MAIN)
        files = self.storage.tree(commit)
        readme = files.get("README.md")
        text = self.storage.blob_path(readme.sha256).read_text("utf-8", "replace") if readme else "No README.md"
        listing = "".join(
            f'<li><a href="/{URL_PREFIX[repo_type]}{html.escape(repo.repo_id)}/resolve/{commit.oid}/{html.escape(p)}">'
            f"{html.escape(p)}</a> ({e.size:,} bytes{', LFS' if e.lfs else ''})</li>"
            for p, e in files.items()
        )
        body = (
            f'<p><a href="/">Local Hub</a></p><h1>{html.escape(repo.repo_id)}</h1><p>{repo_type} at '
            f"<code>{commit.oid}</code></p><h2>Files</h2><ul>{listing}</ul><h2>README.md</h2>"
            f"<pre>{html.escape(text)}</pre>"
        )
        return HTMLResponse(_page(repo.repo_id, body))


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


# -- pure helpers ----------------------------------------------------------------------------------------------------
def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}pre{white-space:pre-wrap;"
        f"background:#f6f6f6;padding:1rem}}</style></head><body>{body}</body></html>"
    )


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise HubError(400, "BadRequest", "Request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise HubError(400, "BadRequest", "Request body must be a JSON object")
    return data


async def _ndjson_lines(request: Request):
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
    try:
        item = json.loads(line)
    except ValueError:
        raise HubError(400, "BadRequest", "Commit body is not valid NDJSON") from None
    if not isinstance(item, dict):
        raise HubError(400, "BadRequest", "Each commit line must be a JSON object")
    return item


def _front_matter(text: str) -> tuple[Any, str | None]:
    """Parse a README's YAML front matter; returns `(data, error)`."""
    if not text.startswith("---"):
        return {}, None
    end = text.find("\n---", 3)
    if end < 0:
        return {}, "YAML front matter is not closed with '---'"
    try:
        return yaml.safe_load(text[3:end]) or {}, None
    except yaml.YAMLError as err:
        return {}, f"Invalid YAML in front matter: {err}"


def _validate_card_yaml(content: str) -> list[dict[str, str]]:
    data, error = _front_matter(content)
    errors = [error] if error else []
    if not error and not isinstance(data, dict):
        errors.append("YAML front matter must be a mapping")
    elif not error:
        for key in ("tags", "datasets", "language"):
            value = data.get(key)
            if value is not None and not isinstance(value, (str, list)):
                errors.append(f"'{key}' must be a string or a list of strings")
        license_ = data.get("license")
        if license_ is not None and not isinstance(license_, (str, list)):
            errors.append("'license' must be a string")
        index = data.get("model-index")
        if index is not None and not (
            isinstance(index, list) and all(isinstance(m, dict) and "name" in m and "results" in m for m in index)
        ):
            errors.append("'model-index' must be a list of {name, results}")
    return [{"message": message} for message in errors]


def _check_ref_name(name: str) -> None:
    if not name or name.startswith(("refs/", "/", "-")) or ".." in name or any(c in name for c in " ~^:?*[\\"):
        raise HubError(400, "BadRequest", f"Invalid branch or tag name {name!r}")


def _matches(path: str, pattern: str) -> bool:
    if "/" in pattern:
        return fnmatch.fnmatchcase(path, pattern.lstrip("/"))
    return fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)


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


def _sibling(entry: Entry) -> dict[str, Any]:
    item: dict[str, Any] = {"rfilename": entry.path, "size": entry.size, "blobId": entry.sha1}
    if entry.lfs:
        item["lfs"] = {"sha256": entry.sha256, "size": entry.size, "pointerSize": 134}
    return item


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
