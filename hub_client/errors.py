"""The project's error types, in one place. Each subclasses a builtin too, so callers can catch either.

Only the CLI (`hub_release.cli`) turns errors into one-line messages; libraries raise these with a message that
says what is wrong and what to do.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix (bad input, bad config, a refused token); the message says how."""


class ConfigError(UserError, ValueError):
    """A configuration value is missing, unknown or invalid."""


class InputError(UserError, ValueError):
    """An input file or record cannot be read; the message names the file (and line or record)."""


class CardValidationError(UserError, ValueError):
    """A generated card lacks something the Hub or its readers need."""


class ClientEnvError(UserError, RuntimeError):
    """The client environment was configured too late (after a Hugging Face library was imported)."""


class PermanentHubError(UserError, RuntimeError):
    """A Hub error that retrying cannot fix (bad token, forbidden, invalid request), or retries ran out."""


class SpaceRunError(UserError, RuntimeError):
    """A published Space cannot be run locally (missing files, unmet requirements)."""


def status_of(err: BaseException) -> int | None:
    """The HTTP status of a Hub error, if it carries a response."""
    return getattr(getattr(err, "response", None), "status_code", None)


def cause_chain(err: BaseException):
    """`err`, then the exceptions it was raised from or during (libraries wrap connection errors)."""
    seen: BaseException | None = err
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def _unreachable(err: BaseException) -> BaseException | None:
    """The connection failure behind `err` (its own, or one it was raised from), if any."""
    import httpx2  # huggingface_hub's HTTP client

    refused = (httpx2.ConnectError, httpx2.ConnectTimeout, ConnectionRefusedError)
    return next((e for e in cause_chain(err) if isinstance(e, refused)), None)


def explain(err: BaseException) -> str:
    """One line that says what went wrong and, where known, what to do."""
    import os

    refused = _unreachable(err)
    if refused is not None:
        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        return (
            f"Cannot reach the Hub at {endpoint} ({refused}): start the embedded one with `hub-release hub start` "
            "(and export the HF_ENDPOINT it prints), or set HF_ENDPOINT to a running Hub."
        )
    status = status_of(err)
    if status == 401:
        return "The Hub rejected the token (401): set HF_TOKEN to a valid write token (or run `hf auth login`)."
    if status == 403:
        return "The token may not write here (403): use a write token that owns the target namespace."
    if status == 400:
        return f"The Hub refused the request (400): {err}"
    if isinstance(err, (UserError, ValueError, FileNotFoundError)):
        return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else 'no message'}"
