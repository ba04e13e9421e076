"""The embedded Hub's ASGI application: lifespan, error answers, and requests handed to `local_hub.routes`."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from local_hub.errors import HubError
from local_hub.routes import dispatch
from local_hub.web import Hub, error_response

logger = logging.getLogger(__name__)


class HubApp(Hub):
    """ASGI application serving one :class:`HubStorage` (`HubApp(storage, fail_commits=0)`)."""

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
            response = await dispatch(self, request)
        except HubError as err:
            response = error_response(err, request.method)
        except Exception:  # a bug: log it, answer 500 with a code so clients show a clean error
            logger.exception("internal error on %s %s", request.method, scope.get("path"))
            response = error_response(HubError(500, "InternalError", "Internal server error"), request.method)
        await response(scope, receive, send)
