"""The reverse proxy in front of hosted Spaces: a request to `/spaces/<ns>/<name>/<path>` goes to the Space's
process as `/<path>`, streamed both ways (Gradio's Server-Sent Events pass through as they come).

The Space sees `X-Forwarded-Host`/`-Proto` (with `GRADIO_ROOT_PATH` it builds its public URLs through the Hub) and
never the caller's Hub token: `Authorization` headers are not forwarded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

if TYPE_CHECKING:  # httpx is imported on the first proxied request, not when the Hub starts
    import httpx

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
}
_NOT_FORWARDED = _HOP_BY_HOP | {"host", "authorization", "x-hf-authorization", "content-length"}


class SpaceProxy:
    """One pooled HTTP client to every Space process (created in the event loop on first use)."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(None, connect=10.0),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=256),
                follow_redirects=False,
                trust_env=False,  # loopback only: never through an HTTP(S)_PROXY of the environment
            )
        return self._client

    async def forward(self, request: Request, port: int, path: str) -> Response:
        """Send `request` to the Space on `port` as `path` (with the query string) and stream its answer back;
        `ConnectionError` when the Space does not answer."""
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED]
        client_host = request.client.host if request.client else ""
        headers += [
            ("x-forwarded-host", request.headers.get("host", "")),
            ("x-forwarded-proto", request.url.scheme),
            ("x-forwarded-for", client_host),
        ]
        length = request.headers.get("content-length")
        has_body = request.method not in ("GET", "HEAD", "OPTIONS") or bool(length and length != "0")
        if length and has_body:
            headers.append(("content-length", length))
        query = request.url.query
        upstream = self.client.build_request(
            request.method,
            f"http://127.0.0.1:{port}{path}{'?' + query if query else ''}",
            headers=headers,
            content=request.stream() if has_body else None,
        )
        try:
            answer = await self.client.send(upstream, stream=True)
        except Exception as err:  # httpx.HTTPError (httpx is imported lazily): one builtin error for callers
            raise ConnectionError(f"{type(err).__name__}: {err}") from err
        response = StreamingResponse(
            answer.aiter_raw(), status_code=answer.status_code, background=BackgroundTask(answer.aclose)
        )
        response.raw_headers = [  # every header as the Space sent it (several Set-Cookie included)
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in answer.headers.multi_items()
            if k.lower() not in _HOP_BY_HOP
        ]
        return response
