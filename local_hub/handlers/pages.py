"""The HTML pages: the index (search, filter by type, author, tag), a repo's card page (a Space's page shows its
status and embeds its app), its files at any revision, its commit history, and the dataset viewer.

Pages are Jinja templates (`local_hub/templates/`, autoescaped); the only HTML not escaped is the card, which
`local_hub.render` sanitizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from local_hub import viewer
from local_hub.errors import HubError
from local_hub.render import chips, render_card, usage_snippet
from local_hub.storage import MAIN, Commit, Entry, HubStorage, Repo
from local_hub.web import URL_PREFIX, Hub, base_url

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=select_autoescape(default=True),
)
_ENV.filters["seg"] = lambda value: quote(str(value), safe="")


def _html(template: str, status: int = 200, **context: Any) -> Response:
    return HTMLResponse(_ENV.get_template(template).render(**context), status_code=status)


@lru_cache(maxsize=1024)
def _card_text(storage_root: str, sha256: str, size: int) -> str:
    """A README's text by content hash (blobs never change, so this is safe to cache)."""
    if size > 2_000_000:
        return ""
    return (Path(storage_root) / "blobs" / sha256[:2] / sha256).read_text("utf-8", "replace")


def _readme(storage: HubStorage, files: dict[str, Entry]) -> str:
    entry = files.get("README.md")
    return _card_text(str(storage.root), entry.sha256, entry.size) if entry else ""


@dataclass(frozen=True)
class _Listed:
    type: str
    repo_id: str
    private: bool
    updated: str
    tags: list[str]
    url: str


def index_page(hub: Hub, request: Request) -> Response:
    """Every repo the caller may see, filtered by `type`, `author`, `tag` and a `search` substring."""
    token = hub.caller(request)
    query = request.query_params
    filters = {key: query.get(key, "") for key in ("type", "author", "tag", "library")}
    search = query.get("search", "").strip()
    listed = []
    for repo in hub.storage.list_repos():
        if repo.private and not (token and token.user == repo.owner):
            continue
        head = hub.storage.resolve(repo, MAIN)
        metadata = render_card(_readme(hub.storage, hub.storage.tree(head))).metadata
        tags = sorted({c.value for c in chips(metadata) if c.label in ("tag", "task", "library")})
        url = f"/{URL_PREFIX[repo.type]}{repo.repo_id}"
        listed.append(_Listed(repo.type, repo.repo_id, repo.private, head.created_at, tags, url))
    authors = sorted({r.repo_id.split("/")[0] for r in listed}, key=str.lower)
    all_tags = sorted({t for r in listed for t in r.tags}, key=str.lower)
    shown = [
        r
        for r in listed
        if (not filters["type"] or r.type == filters["type"])
        and (not filters["author"] or r.repo_id.split("/")[0].lower() == filters["author"].lower())
        and (not filters["tag"] or filters["tag"] in r.tags)
        and (not filters["library"] or filters["library"] in r.tags)
        and search.lower() in r.repo_id.lower()
    ]
    shown.sort(key=lambda r: r.updated, reverse=True)
    return _html(
        "index.html", title="Repositories", repos=shown, authors=authors, tags=all_tags, filters=filters, search=search
    )


def _context(hub: Hub, request: Request, repo: Repo, revision: str, tab: str) -> dict[str, Any]:
    """What every repo page shows: header, chips, tabs, refs, and the commit `revision` resolves to."""
    commit = hub.storage.resolve(repo, revision)
    files = hub.storage.tree(commit)
    card = render_card(_readme(hub.storage, files))
    refs: dict[str, list[dict[str, str]]] = {"branches": [], "tags": []}
    for ref, target in hub.storage.refs(repo).items():
        kind, _, name = ref.removeprefix("refs/").partition("/")
        if kind in ("heads", "tags"):
            refs["branches" if kind == "heads" else "tags"].append({"name": name, "target": target})
    return {
        "title": repo.repo_id,
        "repo": repo,
        "prefix": f"/{URL_PREFIX[repo.type]}{repo.repo_id}",
        "revision": revision,
        "commit": commit,
        "files": files,
        "card": card,
        "chips": card.chips,
        "refs": refs,
        "tab": tab,
    }


def repo_page(hub: Hub, request: Request, repo_type: str, namespace: str, name: str) -> Response:
    """The card page (`?revision=` for another branch, tag or commit); a Space's page starts and shows the app."""
    repo = hub.repo(request, repo_type, namespace, name)
    revision = request.query_params.get("revision") or MAIN
    ctx = _context(hub, request, repo, revision, "card")
    card, endpoint = ctx["card"], base_url(request)
    extra: dict[str, Any] = {}
    if repo_type == "dataset":
        extra["splits"] = _split_summaries(hub.storage, viewer.dataset_splits(ctx["files"], card.metadata))
    if repo_type == "space":
        extra.update(_space_context(hub, repo, endpoint))
    return _html(
        "repo.html",
        **ctx,
        **extra,
        card_html=card.html,
        card_error=card.error,
        results=card.results,
        snippet=usage_snippet(repo_type, repo.repo_id, endpoint, _pinned(ctx, revision), card.metadata),
    )


def _pinned(ctx: dict[str, Any], revision: str) -> str:
    """The revision a snippet should load: on `main`, the newest tag of its head (a release) if there is one."""
    if revision != MAIN:
        return revision
    tags = [t["name"] for t in ctx["refs"]["tags"] if t["target"] == ctx["commit"].oid]
    return sorted(tags)[-1] if tags else revision


def _space_context(hub: Hub, repo: Repo, endpoint: str) -> dict[str, Any]:
    if hub.spaces is None:
        return {}
    status = hub.spaces.visit(repo, page=True)
    return {
        "space": status,
        "space_url": f"{endpoint}/spaces/{repo.repo_id}",
        "log_tail": hub.spaces.log_tail(repo.repo_id) if status.word == "error" else "",
        "refresh": 3 if status.word == "building" else None,
    }


@dataclass(frozen=True)
class _TreeItem:
    name: str
    path: str
    dir: bool
    size_text: str = ""
    lfs: bool = False


def _size_text(size: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return str(size)


def tree_page(
    hub: Hub, request: Request, repo_type: str, namespace: str, name: str, revision: str, path: str
) -> Response:
    """The files under `path` at `revision` (a branch, tag or commit), with sizes and LFS marks."""
    repo = hub.repo(request, repo_type, namespace, name)
    ctx = _context(hub, request, repo, revision, "files")
    path = path.strip("/")
    prefix = f"{path}/" if path else ""
    dirs: set[str] = set()
    items: list[_TreeItem] = []
    for full, entry in ctx["files"].items():
        if not full.startswith(prefix):
            continue
        rest = full[len(prefix) :]
        if "/" in rest:
            dirs.add(rest.split("/", 1)[0])
        else:
            items.append(_TreeItem(rest, full, False, _size_text(entry.size), entry.lfs))
    if path and not items and not dirs:
        raise HubError(404, "EntryNotFound", f"{path} does not exist at {revision}")
    entries = [_TreeItem(d, prefix + d, True) for d in sorted(dirs)] + sorted(items, key=lambda i: i.name)
    parts = path.split("/") if path else []
    crumbs = [
        (part, f"{ctx['prefix']}/tree/{quote(revision, safe='')}/{'/'.join(parts[: i + 1])}")
        for i, part in enumerate(parts)
    ]
    return _html("tree.html", **ctx, entries=entries, crumbs=crumbs)


def commits_page(hub: Hub, request: Request, repo_type: str, namespace: str, name: str, revision: str) -> Response:
    """The history of `revision`, newest first, with the branches and tags that point at each commit."""
    repo = hub.repo(request, repo_type, namespace, name)
    ctx = _context(hub, request, repo, revision, "commits")
    labels: dict[str, list[str]] = {}
    for kind in ("branches", "tags"):
        for ref in ctx["refs"][kind]:
            labels.setdefault(ref["target"], []).append(ref["name"])
    commits: list[Commit] = list(hub.storage.history(ctx["commit"]))
    return _html("commits.html", **ctx, commits=commits, labels=labels)


@dataclass(frozen=True)
class _SplitSummary:
    config: str
    split: str
    rows: int


def _blob_paths(storage: HubStorage, split: viewer.Split) -> list[Path]:
    return [storage.blob_path(e.sha256) for e in sorted(split.files, key=lambda e: e.path)]


def _split_summaries(storage: HubStorage, splits: list[viewer.Split]) -> list[_SplitSummary]:
    return [_SplitSummary(s.config, s.name, viewer.split_rows(_blob_paths(storage, s))) for s in splits]


def viewer_page(hub: Hub, request: Request, namespace: str, name: str, config: str = "", split: str = "") -> Response:
    """A page of 100 rows of one config/split (`?offset=`, `?revision=`), with every split's row count."""
    repo = hub.repo(request, "dataset", namespace, name)
    revision = request.query_params.get("revision") or MAIN
    ctx = _context(hub, request, repo, revision, "viewer")
    splits = viewer.dataset_splits(ctx["files"], ctx["card"].metadata)
    summaries = _split_summaries(hub.storage, splits)
    chosen = next((s for s in splits if s.config == config and s.name == split), None)
    if chosen is None and (config or split):
        raise HubError(404, "NotFound", f"No split {config}/{split} in {repo.repo_id} at {revision}")
    chosen = chosen or (splits[0] if splits else None)
    try:
        offset = max(int(request.query_params.get("offset", "0")), 0)
    except ValueError:
        raise HubError(400, "BadRequest", "offset must be a whole number") from None
    page = viewer.read_page(_blob_paths(hub.storage, chosen), offset) if chosen else None
    rev_query = f"?revision={quote(revision, safe='')}" if revision != MAIN else ""
    return _html(
        "viewer.html",
        **ctx,
        splits=summaries,
        config=chosen.config if chosen else "",
        split=chosen.name if chosen else "",
        page=page,
        page_rows=viewer.PAGE_ROWS,
        rev_query=rev_query,
        rev_amp=rev_query.replace("?", "&"),
    )
