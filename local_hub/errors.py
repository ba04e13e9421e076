"""The one error type of the embedded Hub: an HTTP status plus the `X-Error-Code` the clients map to exceptions."""

from __future__ import annotations


class HubError(Exception):
    """An error answered as `status` with headers `X-Error-Code: code` and `X-Error-Message`, and JSON `{"error"}`.

    Codes the clients understand: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo; others are informative.
    """

    def __init__(self, status: int, code: str, message: str, *, extra_headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra_headers = extra_headers or {}
