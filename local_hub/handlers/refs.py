"""Ref endpoints: commit history, the list of refs, and creating or deleting branches and tags."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from local_hub.errors import HubError
from local_hub.storage import MAIN
from local_hub.web import Hub, read_json


def commits(hub: Hub, request: Request, repo_type: str, namespace: str, name: str, revision: str) -> Response:
    repo = hub.repo(request, repo_type, namespace, name)
    head = hub.storage.resolve(repo, revision)
    return JSONResponse(
        [
            {
                "id": c.oid,
                "title": c.summary,
                "message": c.description,
                "authors": [{"user": c.author}],
                "date": c.created_at,
            }
            for c in hub.storage.history(head)
        ]
    )


def list_refs(hub: Hub, request: Request, repo_type: str, namespace: str, name: str) -> Response:
    repo = hub.repo(request, repo_type, namespace, name)
    out: dict[str, list[dict[str, str]]] = {"branches": [], "converts": [], "tags": []}
    prs = []
    for ref, target in hub.storage.refs(repo).items():
        kind, _, short = ref.removeprefix("refs/").partition("/")
        item = {"name": short, "ref": ref, "targetCommit": target}
        {"heads": out["branches"], "tags": out["tags"], "convert": out["converts"], "pr": prs}[kind].append(item)
    if request.query_params.get("include_prs"):
        out["pullRequests"] = prs
    return JSONResponse(out)


async def change_ref(
    hub: Hub, request: Request, repo_type: str, namespace: str, name: str, kind: str, value: str
) -> Response:
    """POST creates, DELETE deletes the branch (`kind="branch"`) or tag (`kind="tag"`) `value`."""
    body = await read_json(request) if request.method == "POST" else {}

    def apply() -> Response:
        repo = hub.repo(request, repo_type, namespace, name, write=True)
        if request.method == "DELETE":
            hub.storage.delete_ref(repo, f"refs/{'heads' if kind == 'branch' else 'tags'}/{value}")
            return JSONResponse({})
        if kind == "branch":
            _check_ref_name(value)
            start = hub.storage.resolve(repo, body.get("startingPoint") or MAIN)
            hub.storage.set_ref(repo, f"refs/heads/{value}", start.oid)
        else:
            tag = str(body.get("tag", ""))
            _check_ref_name(tag)
            target = hub.storage.resolve(repo, value)
            hub.storage.set_ref(repo, f"refs/tags/{tag}", target.oid)
        return JSONResponse({})

    return await run_in_threadpool(apply)


def _check_ref_name(name: str) -> None:
    if not name or name.startswith(("refs/", "/", "-")) or ".." in name or any(c in name for c in " ~^:?*[\\"):
        raise HubError(400, "BadRequest", f"Invalid branch or tag name {name!r}")
