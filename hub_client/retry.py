"""Retry transient Hub failures with backoff; fail at once, with one actionable line, on permanent ones."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import httpx2  # huggingface_hub's HTTP client

from hub_client.errors import PermanentHubError, cause_chain, explain, status_of

T = TypeVar("T")
logger = logging.getLogger(__name__)

TRANSIENT_STATUS = {408, 409, 412, 423, 429, 500, 502, 503, 504}


def is_transient(err: BaseException) -> bool:
    """Connection refused/reset/timeouts, 429, 5xx and commit conflicts are worth retrying, also when a library
    raised them wrapped in an error of its own (e.g. huggingface_hub's upload errors)."""
    transport = (httpx2.TransportError, ConnectionError, TimeoutError)
    return any(isinstance(e, transport) or status_of(e) in TRANSIENT_STATUS for e in cause_chain(err))


def with_retries(fn: Callable[[], T], *, what: str, attempts: int = 6, base_delay: float = 1.0) -> T:
    """Call `fn`, retrying transient errors with exponential backoff and a warning per retry."""
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as err:
            if not is_transient(err):
                raise PermanentHubError(f"{what} failed: {explain(err)}") from err
            if attempt == attempts:
                raise PermanentHubError(f"{what} still failing after {attempts} attempts: {explain(err)}") from err
            delay = base_delay * 2 ** (attempt - 1)
            logger.warning("%s: transient (%s); retry %d/%d in %.0fs", what, explain(err), attempt, attempts, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")
