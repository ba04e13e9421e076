"""What every HTTP handler shares: the Hub's state with its auth and repo lookups, URLs, JSON bodies, error answers."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from local_hub.errors import HubError
from local_hub.proxy import SpaceProxy
from local_hub.space_host import SpaceHost
from local_hub.storage import HubStorage, Repo, Token

URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}


class Hub:
    """The state requests are served from: one :class:`HubStorage`, the hosted Spaces (None: not hosted), plus the
    fault injection of resilience tests."""

    def __init__(self, storage: HubStorage, *, fail_commits: int = 0, spaces: SpaceHost | None = None) -> None:
        self.storage = storage
        self.spaces = spaces
        self.proxy = SpaceProxy()
        # Fault injection for resilience tests: the first `fail_commits` commit requests answer 503.
        self.fail_commits = fail_commits

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


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def repo_url(request: Request, repo_type: str, repo_id: str) -> str:
    return f"{base_url(request)}/{URL_PREFIX[repo_type]}{repo_id}"


def error_response(err: HubError, method: str) -> Response:
    safe = err.message.encode("latin-1", "replace").decode("latin-1").replace("\n", " ")[:1000]
    headers = {"X-Error-Code": err.code, "X-Error-Message": safe, **err.extra_headers}
    if method == "HEAD":
        return Response(status_code=err.status, headers=headers)
    return JSONResponse({"error": err.message}, status_code=err.status, headers=headers)


async def read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object body ({} when empty); 400 for anything else."""
    raw = await request.body()
    if not raw:
        return {}
    return json_object(raw, "Request body is not valid JSON", "Request body must be a JSON object")


def json_object(raw: bytes, not_json: str, not_object: str) -> dict[str, Any]:
    """`raw` parsed as a JSON object; a 400 BadRequest saying `not_json` or `not_object` otherwise."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise HubError(400, "BadRequest", not_json) from None
    if not isinstance(data, dict):
        raise HubError(400, "BadRequest", not_object)
    return data
