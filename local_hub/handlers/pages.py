"""The HTML pages: the index of repos at `/` and a repo's page (files and README) at `/<repo id>`."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from local_hub.storage import MAIN
from local_hub.web import URL_PREFIX, Hub


def index_page(hub: Hub, request: Request) -> Response:
    token = hub.caller(request)
    rows = "".join(
        f'<li>{r.type} <a href="/{URL_PREFIX[r.type]}{html.escape(r.repo_id)}">{html.escape(r.repo_id)}</a>'
        f"{' (private)' if r.private else ''}</li>"
        for r in hub.storage.list_repos()
        if not r.private or (token and token.user == r.owner)
    )
    return HTMLResponse(_page("Local Hub", f"<h1>Local Hub</h1><ul>{rows or '<li>No repositories yet.</li>'}</ul>"))


def repo_page(hub: Hub, request: Request, repo_type: str, namespace: str, name: str) -> Response:
    repo = hub.repo(request, repo_type, namespace, name)
    commit = hub.storage.resolve(repo, MAIN)
    files = hub.storage.tree(commit)
    readme = files.get("README.md")
    text = hub.storage.blob_path(readme.sha256).read_text("utf-8", "replace") if readme else "No README.md"
    listing = "".join(
        f'<li><a href="/{URL_PREFIX[repo_type]}{html.escape(repo.repo_id)}/resolve/{commit.oid}/{html.escape(p)}">'
        f"{html.escape(p)}</a> ({e.size:,} bytes{', LFS' if e.lfs else ''})</li>"
        for p, e in files.items()
    )
    body = (
        f'<p><a href="/">Local Hub</a></p><h1>{html.escape(repo.repo_id)}</h1><p>{repo_type} at '
        f"<code>{commit.oid}</code></p><h2>Files</h2><ul>{listing}</ul><h2>README.md</h2>"
        f"<pre>{html.escape(text)}</pre>"
    )
    return HTMLResponse(_page(repo.repo_id, body))


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}pre{white-space:pre-wrap;"
        f"background:#f6f6f6;padding:1rem}}</style></head><body>{body}</body></html>"
    )
