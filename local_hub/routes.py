"""The route table of the embedded Hub (HUB_PROTOCOL.md sections 3.1 and 3.2) and the dispatcher that matches it.

Matching works on the raw, percent-encoded path (`scope["raw_path"]`), segment by segment, because the clients send
revisions and tree paths as single encoded segments (`refs%2Fpr%2F1`, `sub%20dir%2Fx`); each segment is decoded on
its own after the split. A pattern is a `/`-separated list of tokens, each matching one segment unless said otherwise:

- `word`: exactly that segment;
- `{param}` or `{param}suffix`: any segment (ending in `suffix`, which is cut off), passed as `param`;
- `{repo_type}`: `models`, `datasets` or `spaces`, passed as `repo_type="model"` etc.;
- `{repo_type?}`: an optional `datasets` or `spaces` prefix (no prefix: `repo_type="model"`), never backtracked;
- `{param*}` / `{param+}` (last): the remaining zero / one or more segments, joined with `/`;
- `*` (last): any remaining segments, ignored.

Paths under `/api` only match `/api` patterns and the others only the rest, so a miss is a 404 `NotFound` naming the
kind of route. Async handlers run on the event loop, plain functions in the thread pool.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from local_hub.errors import HubError
from local_hub.handlers import commits, files, pages, refs, repos, spaces
from local_hub.web import Hub

TYPE_OF_SEGMENT = {"models": "model", "datasets": "dataset", "spaces": "space"}
_PREFIXED_TYPES = ("datasets", "spaces")

Handler = Callable[..., Response | Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    methods: frozenset[str] | None  # None: any method
    tokens: tuple[str, ...]
    handler: Handler
    fixed: dict[str, Any] = field(default_factory=dict)  # keyword arguments the handler always gets
    slash: bool | None = None  # True / False: only paths with / without a trailing slash; None: either

    @property
    def api(self) -> bool:
        return self.tokens[:1] == ("api",)

    def match(self, method: str, seg: list[str], slash: bool = False) -> dict[str, Any] | None:
        """The handler's keyword arguments if this route takes `method seg` (`slash`: a trailing slash), else None."""
        if self.methods is not None and method not in self.methods:
            return None
        if self.slash is not None and slash != self.slash:
            return None
        params = dict(self.fixed)
        i = 0
        for token in self.tokens:
            if token == "*":
                return params
            if token == "{repo_type?}":
                prefixed = i < len(seg) and seg[i] in _PREFIXED_TYPES
                params["repo_type"] = TYPE_OF_SEGMENT[seg[i]] if prefixed else "model"
                i += prefixed
                continue
            if token.endswith(("*}", "+}")):
                if token.endswith("+}") and i == len(seg):
                    return None
                params[token[1:-2]] = "/".join(seg[i:])
                return params
            if i == len(seg):
                return None
            part, i = seg[i], i + 1
            if token == "{repo_type}":
                if part not in TYPE_OF_SEGMENT:
                    return None
                params["repo_type"] = TYPE_OF_SEGMENT[part]
            elif token.startswith("{"):
                name, _, suffix = token[1:].partition("}")
                if not part.endswith(suffix):
                    return None
                params[name] = part[: len(part) - len(suffix)]
            elif token != part:
                return None
        return params if i == len(seg) else None


def route(methods: str, pattern: str, handler: Handler, *, slash: bool | None = None, **fixed: Any) -> Route:
    """`methods` is space-separated (`"GET HEAD"`) or `"*"` for any."""
    tokens = tuple(pattern.strip("/").split("/")) if pattern.strip("/") else ()
    return Route(None if methods == "*" else frozenset(methods.split()), tokens, handler, fixed, slash)


REPO = "/api/{repo_type}/{namespace}/{name}"
ROUTES = [
    route("GET", "/api/whoami-v2", repos.whoami),
    route("GET", "/api/health", repos.health),
    route("POST", "/api/validate-yaml", repos.validate_yaml),
    route("POST", "/api/repos/create/*", repos.create_repo),
    route("DELETE", "/api/repos/delete/*", repos.delete_repo),
    route("PUT", "/api/lfs/objects/{oid}", commits.lfs_upload),
    route("POST", "/api/lfs/verify/{oid}", commits.lfs_verify),
    route("GET", "/api/{repo_type}", repos.list_repos),
    route("GET", REPO, repos.repo_info),
    route("GET", f"{REPO}/revision/{{revision}}", repos.repo_info),
    route("PUT", f"{REPO}/settings", repos.update_settings),
    route("GET", f"{REPO}/tree/{{revision}}/{{path*}}", files.tree),
    route("POST", f"{REPO}/paths-info/{{revision}}", files.paths_info),
    route("POST", f"{REPO}/preupload/{{revision}}", commits.preupload),
    route("POST", f"{REPO}/commit/{{revision}}", commits.commit),
    route("GET", f"{REPO}/commits/{{revision}}", refs.commits),
    route("GET", f"{REPO}/refs", refs.list_refs),
    route("POST DELETE", f"{REPO}/branch/{{value}}", refs.change_ref, kind="branch"),
    route("POST DELETE", f"{REPO}/tag/{{value}}", refs.change_ref, kind="tag"),
    route("GET", "/api/spaces/{namespace}/{name}/runtime", spaces.runtime),
    route("*", "/", pages.index_page),
    route("POST", "/{repo_type?}/{namespace}/{name}.git/info/lfs/objects/batch", commits.lfs_batch),
    route("GET HEAD", "/{repo_type?}/{namespace}/{name}/resolve/{revision}/{path+}", files.resolve),
    route("GET", "/{repo_type?}/{namespace}/{name}/tree/{revision}/{path*}", pages.tree_page),
    route("GET", "/{repo_type?}/{namespace}/{name}/commits/{revision}", pages.commits_page),
    route("GET", "/datasets/{namespace}/{name}/viewer", pages.viewer_page),
    route("GET", "/datasets/{namespace}/{name}/viewer/{config}/{split}", pages.viewer_page),
    # A Space's page is `/spaces/NS/NAME`; its app is everything below `/spaces/NS/NAME/` (trailing slash included).
    route("GET", "/spaces/{namespace}/{name}", pages.repo_page, slash=False, repo_type="space"),
    route("*", "/spaces/{namespace}/{name}/{path*}", spaces.proxy),
    route("GET", "/{repo_type?}/{namespace}/{name}", pages.repo_page),
]


def _raw_path(request: Request) -> str:
    raw = request.scope.get("raw_path") or request.scope["path"].encode()
    return raw.split(b"?", 1)[0].decode("ascii", "replace")


def path_segments(request: Request) -> list[str]:
    """The request path split on `/` before percent-decoding, each segment decoded on its own."""
    raw = _raw_path(request)
    return [unquote(part) for part in raw.strip("/").split("/")] if raw.strip("/") else []


async def dispatch(hub: Hub, request: Request) -> Response:
    """Answer `request` with the first route that matches it; 404 NotFound when none does."""
    seg, method = path_segments(request), request.method
    api, slash = seg[:1] == ["api"], bool(seg) and _raw_path(request).endswith("/")
    for candidate in ROUTES:
        params = candidate.match(method, seg, slash) if candidate.api == api else None
        if params is None:
            continue
        if inspect.iscoroutinefunction(candidate.handler):
            return await candidate.handler(hub, request, **params)
        return await run_in_threadpool(candidate.handler, hub, request, **params)
    if api:
        raise HubError(404, "NotFound", f"No API route for {method} /api/{'/'.join(seg[1:])}")
    raise HubError(404, "NotFound", f"No route for {method} /{'/'.join(seg)}")
