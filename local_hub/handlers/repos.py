"""Repo and account endpoints: whoami, health, card validation, list, info, create, delete and settings."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from local_hub.cards import front_matter, validate_card_yaml
from local_hub.errors import HubError
from local_hub.handlers.spaces import runtime_info
from local_hub.storage import MAIN, REPO_TYPES, Entry, HubStorage
from local_hub.web import Hub, base_url, read_json, repo_url


def whoami(hub: Hub, request: Request) -> Response:
    token = hub.caller(request)
    if token is None:
        raise HubError(401, "Unauthorized", "Invalid user token.")
    orgs = [{"name": ns, "type": "org"} for ns in hub.storage.namespaces_of(token.user)]
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


async def health(hub: Hub, request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def validate_yaml(hub: Hub, request: Request) -> Response:
    body = await read_json(request)
    errors = validate_card_yaml(str(body.get("content", "")))
    return JSONResponse({"errors": errors, "warnings": []}, status_code=400 if errors else 200)


def list_repos(hub: Hub, request: Request, repo_type: str) -> Response:
    token = hub.caller(request)
    author = request.query_params.get("author")
    search = (request.query_params.get("search") or "").lower()
    items = [
        {"id": r.repo_id, "author": r.namespace, "private": r.private, "createdAt": r.created_at}
        for r in hub.storage.list_repos(repo_type)
        if (not r.private or (token and token.user == r.owner))
        and (not author or r.namespace.lower() == author.lower())
        and search in r.repo_id.lower()
    ]
    limit = request.query_params.get("limit")
    return JSONResponse(items[: int(limit)] if limit and limit.isdigit() else items)


def repo_info(hub: Hub, request: Request, repo_type: str, namespace: str, name: str, revision: str = MAIN) -> Response:
    repo = hub.repo(request, repo_type, namespace, name)
    commit = hub.storage.resolve(repo, revision)
    files = hub.storage.tree(commit)
    card = _card_data(hub.storage, files.get("README.md"))
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
        info["runtime"] = runtime_info(hub, repo)
        if hub.spaces is not None:
            info["host"] = f"{base_url(request)}/spaces/{repo.repo_id}"
    return JSONResponse(info)


async def create_repo(hub: Hub, request: Request) -> Response:
    body = await read_json(request)
    token = await run_in_threadpool(hub.writer, request)
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
    url = repo_url(request, repo_type, f"{namespace}/{name}")
    existing = await run_in_threadpool(hub.storage.get_repo, repo_type, namespace, name)
    if existing is not None:
        return JSONResponse(
            {"error": "You already created this repo", "url": url},
            status_code=409,
            headers={"X-Error-Code": "RepoExists"},
        )
    try:
        await run_in_threadpool(
            hub.storage.create_repo,
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


async def delete_repo(hub: Hub, request: Request) -> Response:
    body = await read_json(request)
    repo_type = body.get("type") or "model"
    if repo_type not in REPO_TYPES:
        raise HubError(400, "BadRequest", f"Invalid repo type {repo_type!r}")
    token = await run_in_threadpool(hub.writer, request)
    repo = await run_in_threadpool(
        hub.repo, request, repo_type, body.get("organization") or token.user, str(body.get("name")), write=True
    )
    await run_in_threadpool(hub.storage.delete_repo, repo)
    if hub.spaces is not None and repo.type == "space":
        await run_in_threadpool(hub.spaces.stop, repo.repo_id)
    return JSONResponse({})


async def update_settings(hub: Hub, request: Request, repo_type: str, namespace: str, name: str) -> Response:
    body = await read_json(request)
    repo = await run_in_threadpool(hub.repo, request, repo_type, namespace, name, write=True)
    private = body.get("private")
    if body.get("visibility") in ("private", "public"):
        private = body["visibility"] == "private"
    if isinstance(private, bool):
        await run_in_threadpool(hub.storage.set_private, repo, private)
    return JSONResponse({})


def _card_data(storage: HubStorage, readme: Entry | None) -> dict[str, Any]:
    if readme is None or readme.size > 2_000_000:
        return {}
    text = storage.blob_path(readme.sha256).read_text("utf-8", errors="replace")
    data, _ = front_matter(text)
    return data if isinstance(data, dict) else {}


def _sibling(entry: Entry) -> dict[str, Any]:
    item: dict[str, Any] = {"rfilename": entry.path, "size": entry.size, "blobId": entry.sha1}
    if entry.lfs:
        item["lfs"] = {"sha256": entry.sha256, "size": entry.size, "pointerSize": 134}
    return item
