"""Hosted Space endpoints: the app behind `/spaces/<ns>/<name>/...` (proxied to its process) and the runtime API
(`GET /api/spaces/<ns>/<name>/runtime`, what `HfApi.get_space_runtime` reads)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from local_hub.errors import HubError
from local_hub.space_host import SpaceHost, SpaceStatus
from local_hub.storage import Repo
from local_hub.web import Hub

logger = logging.getLogger(__name__)

BUILD_WAIT = 600.0  # how long a proxied request waits for a building Space


def host_of(hub: Hub) -> SpaceHost:
    if hub.spaces is None:
        raise HubError(404, "SpacesDisabled", "This Hub does not host Spaces (it was started with --no-spaces)")
    return hub.spaces


def runtime_info(hub: Hub, repo: Repo) -> dict[str, Any]:
    """The Space's runtime as the Hub API describes it (`stage`, `hardware`, `gcTimeout`)."""
    if hub.spaces is None:
        return {"stage": "STOPPED", "hardware": {"current": None, "requested": None}, "gcTimeout": None}
    status = hub.spaces.status(repo)
    return {
        "stage": status.stage,
        "hardware": {"current": "cpu-basic" if status.stage == "RUNNING" else None, "requested": "cpu-basic"},
        "gcTimeout": int(hub.spaces.idle_timeout),
        "errorMessage": status.message if status.word == "error" else None,
        "sha": status.commit,
    }


def runtime(hub: Hub, request: Request, namespace: str, name: str) -> Response:
    repo = hub.repo(request, "space", namespace, name)
    return JSONResponse(runtime_info(hub, repo))


async def proxy(hub: Hub, request: Request, namespace: str, name: str, path: str) -> Response:
    """Forward a request for the Space's app, starting the Space (and waiting while it builds) when needed."""
    host = host_of(hub)
    # On the event loop: two indexed SQLite reads cost less than a hop to the thread pool, on every request.
    repo = hub.repo(request, "space", namespace, name)
    status = host.status(repo)
    if status.stage != "RUNNING":  # start it (page visits also restart it on a newer commit)
        status = await _wait_running(host, repo, await run_in_threadpool(host.visit, repo, page=False))
    host.touch(repo.repo_id)
    try:
        return await hub.proxy.forward(request, status.port or 0, _upstream_path(request))
    except ConnectionError as err:
        logger.warning("Space %s did not answer: %s", repo.repo_id, type(err).__name__)
        raise HubError(502, "SpaceUnavailable", f"The Space {repo.repo_id} did not answer; see its page") from None


async def _wait_running(host: SpaceHost, repo: Repo, status: SpaceStatus) -> SpaceStatus:
    deadline = time.monotonic() + BUILD_WAIT
    while status.stage == "BUILDING" and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        status = host.status(repo)
    if status.stage != "RUNNING" or status.port is None:
        detail = f": {status.message}" if status.message else ""
        raise HubError(503, "SpaceNotRunning", f"The Space {repo.repo_id} is {status.word}{detail}")
    return status


def _upstream_path(request: Request) -> str:
    """The request's raw path less `/spaces/<ns>/<name>` (kept percent-encoded, trailing slash included)."""
    raw = (request.scope.get("raw_path") or request.scope["path"].encode()).split(b"?", 1)[0].decode("latin-1")
    rest = raw.split("/", 4)[4] if raw.count("/") >= 4 else ""
    return "/" + rest
