"""Storage of the embedded Hub: SQLite (WAL) for repos, commits, trees, refs and tokens; content-addressed blob files
(`local_hub.blobs`).

Crash safety: blobs are written to a temp file, fsynced and renamed into place before the SQLite transaction that
references them commits; a commit (tree rows + commit row + ref move) is one transaction. After `kill -9` at any
point every ref points at its old or its new commit; orphan blobs are harmless.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from local_hub.blobs import BlobStore
from local_hub.errors import HubError

REPO_TYPES = ("model", "dataset", "space")
MAIN = "main"
DEFAULT_USER = "local"  # the default token's user when the caller names none
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$")
_RESERVED_NAMESPACES = {"api", "datasets", "spaces", "models", "lfs-upload", "static"}
_HEX = re.compile(r"^[0-9a-f]{5,40}$")

# The patterns huggingface.co writes into a new repo's .gitattributes: files matching them are stored with LFS.
DEFAULT_GITATTRIBUTES = "".join(
    f"{pattern} filter=lfs diff=lfs merge=lfs -text\n"
    for pattern in (
        "*.7z",
        "*.arrow",
        "*.bin",
        "*.bz2",
        "*.ckpt",
        "*.ftz",
        "*.gz",
        "*.h5",
        "*.joblib",
        "*.lfs.*",
        "*.mlmodel",
        "*.model",
        "*.msgpack",
        "*.npy",
        "*.npz",
        "*.onnx",
        "*.ot",
        "*.parquet",
        "*.pb",
        "*.pickle",
        "*.pkl",
        "*.pt",
        "*.pth",
        "*.rar",
        "*.safetensors",
        "saved_model/**/*",
        "*.tar.*",
        "*.tar",
        "*.tflite",
        "*.tgz",
        "*.wasm",
        "*.xz",
        "*.zip",
        "*.zst",
        "*tfevents*",
        "*.png",
        "*.jpg",
        "*.jpeg",
        "*.webp",
    )
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS repos(
    id INTEGER PRIMARY KEY, type TEXT NOT NULL,
    namespace TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL COLLATE NOCASE,
    private INTEGER NOT NULL DEFAULT 0, sdk TEXT, owner TEXT NOT NULL, created_at TEXT NOT NULL,
    UNIQUE(type, namespace, name));
CREATE TABLE IF NOT EXISTS commits(
    oid TEXT PRIMARY KEY, repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE, parent TEXT,
    tree TEXT NOT NULL, summary TEXT NOT NULL, description TEXT NOT NULL, author TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS commits_repo ON commits(repo);
CREATE TABLE IF NOT EXISTS tree_entries(
    tree TEXT NOT NULL, path TEXT NOT NULL, sha1 TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    lfs INTEGER NOT NULL, PRIMARY KEY(tree, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refs(
    repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE, ref TEXT NOT NULL, target TEXT NOT NULL,
    PRIMARY KEY(repo, ref));
CREATE TABLE IF NOT EXISTS tokens(
    hash TEXT PRIMARY KEY, name TEXT NOT NULL, user TEXT NOT NULL, role TEXT NOT NULL, created_at TEXT NOT NULL);
"""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def validate_path(path: str) -> str:
    """Return `path` if it is a safe repo-relative file path, else raise a 400 `HubError`."""
    parts = path.split("/")
    if (
        not path
        or len(path) > 1024
        or "\\" in path
        or "\0" in path
        or any(part in ("", ".", "..") for part in parts)
        or ".git" in parts
    ):
        raise HubError(400, "BadRequest", f"Invalid path in repo: {path!r}")
    return path


def validate_repo_name(namespace: str, name: str) -> None:
    """Raise a 400 `HubError` unless `namespace/name` is a legal repo id."""
    for part in (namespace, name):
        if not _NAME.match(part) or ".." in part or "--" in part or part.endswith(".git"):
            raise HubError(
                400, "BadRequest", f"Invalid repo id {namespace}/{name!s}: use letters, digits, '-', '_', '.'"
            )
    if namespace.lower() in _RESERVED_NAMESPACES:
        raise HubError(400, "BadRequest", f"Namespace {namespace!r} is reserved")


@dataclass(frozen=True)
class Repo:
    id: int
    type: str
    namespace: str
    name: str
    private: bool
    sdk: str | None
    owner: str
    created_at: str

    @property
    def repo_id(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Entry:
    """A file in a tree. `sha1` is the git blob id, `sha256` the content hash (the LFS oid)."""

    path: str
    sha1: str
    sha256: str
    size: int
    lfs: bool

    @property
    def oid(self) -> str:
        """What the client compares against its local oid (sha256 for LFS, git sha1 otherwise)."""
        return self.sha256 if self.lfs else self.sha1


@dataclass(frozen=True)
class Commit:
    oid: str
    parent: str | None
    tree: str
    summary: str
    description: str
    author: str
    created_at: str


@dataclass(frozen=True)
class Token:
    name: str
    user: str
    role: str


@dataclass
class CommitRequest:
    """What a commit changes. Blobs referenced by `additions` must already be in the blob store."""

    summary: str
    description: str = ""
    parent_commit: str | None = None
    additions: dict[str, Entry] = field(default_factory=dict)
    deleted_files: list[str] = field(default_factory=list)
    deleted_folders: list[str] = field(default_factory=list)


class HubStorage(BlobStore):
    """All persistent state of one embedded Hub, rooted at `data_dir`: the SQLite database plus the blob files."""

    def __init__(self, data_dir: str | Path) -> None:
        self.root = Path(data_dir)
        super().__init__(self.root)
        self.db_path = self.root / "hub.sqlite3"
        self._local = threading.local()
        self._db().executescript(_SCHEMA)
        self.secret = self._meta("lfs_secret") or self._set_meta("lfs_secret", secrets.token_hex(32))

    # -- database plumbing -------------------------------------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: writers are serialised, readers never blocked)."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _meta(self, key: str) -> str | None:
        row = self._db().execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> str:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        return value

    # -- tokens ------------------------------------------------------------------------------------------------------
    def create_token(self, name: str, *, user: str = DEFAULT_USER, role: str = "write") -> str:
        """Create an access token and return it. Only its sha256 is stored."""
        if role not in ("read", "write"):
            raise ValueError(f"role must be 'read' or 'write', got {role!r}")
        token = "hf_" + secrets.token_urlsafe(30).replace("-", "a").replace("_", "b")
        with self._tx() as db:
            db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?)",
                (hashlib.sha256(token.encode()).hexdigest(), name, user, role, _now()),
            )
        return token

    def lookup_token(self, token: str) -> Token | None:
        row = (
            self._db()
            .execute("SELECT name, user, role FROM tokens WHERE hash=?", (hashlib.sha256(token.encode()).hexdigest(),))
            .fetchone()
        )
        return Token(*row) if row else None

    # -- repos -------------------------------------------------------------------------------------------------------
    def create_repo(
        self, repo_type: str, namespace: str, name: str, *, owner: str, private: bool, sdk: str | None
    ) -> Repo:
        """Create a repo with an initial commit holding `.gitattributes`. Raises 409 if it exists."""
        validate_repo_name(namespace, name)
        sha256, sha1 = self.put_bytes(DEFAULT_GITATTRIBUTES.encode())
        entry = Entry(".gitattributes", sha1, sha256, len(DEFAULT_GITATTRIBUTES), False)
        with self._tx() as db:
            if self._find_repo(db, repo_type, namespace, name):
                raise HubError(409, "RepoExists", f"You already created this {repo_type} repo: {namespace}/{name}")
            cur = db.execute(
                "INSERT INTO repos(type, namespace, name, private, sdk, owner, created_at) VALUES (?,?,?,?,?,?,?)",
                (repo_type, namespace, name, int(private), sdk, owner, _now()),
            )
            repo = self._find_repo(db, repo_type, namespace, name)
            assert repo is not None and repo.id == cur.lastrowid
            self._write_commit(db, repo, None, {entry.path: entry}, "initial commit", "", owner, f"refs/heads/{MAIN}")
        return repo

    def delete_repo(self, repo: Repo) -> None:
        with self._tx() as db:
            commit_trees = [row[0] for row in db.execute("SELECT DISTINCT tree FROM commits WHERE repo=?", (repo.id,))]
            db.execute("DELETE FROM repos WHERE id=?", (repo.id,))
            for tree in commit_trees:  # drop trees no other commit uses
                if not db.execute("SELECT 1 FROM commits WHERE tree=? LIMIT 1", (tree,)).fetchone():
                    db.execute("DELETE FROM tree_entries WHERE tree=?", (tree,))

    def set_private(self, repo: Repo, private: bool) -> None:
        with self._tx() as db:
            db.execute("UPDATE repos SET private=? WHERE id=?", (int(private), repo.id))

    @staticmethod
    def _find_repo(db: sqlite3.Connection, repo_type: str, namespace: str, name: str) -> Repo | None:
        row = db.execute(
            "SELECT id, type, namespace, name, private, sdk, owner, created_at FROM repos "
            "WHERE type=? AND namespace=? AND name=?",
            (repo_type, namespace, name),
        ).fetchone()
        return Repo(*row[:4], bool(row[4]), *row[5:]) if row else None

    def get_repo(self, repo_type: str, namespace: str, name: str) -> Repo | None:
        return self._find_repo(self._db(), repo_type, namespace, name)

    def list_repos(self, repo_type: str | None = None) -> list[Repo]:
        rows = self._db().execute(
            "SELECT id, type, namespace, name, private, sdk, owner, created_at FROM repos "
            + ("WHERE type=? " if repo_type else "")
            + "ORDER BY namespace, name",
            (repo_type,) if repo_type else (),
        )
        return [Repo(*row[:4], bool(row[4]), *row[5:]) for row in rows]

    def namespaces_of(self, user: str) -> list[str]:
        rows = self._db().execute("SELECT DISTINCT namespace FROM repos WHERE owner=? AND namespace<>?", (user, user))
        return sorted(row[0] for row in rows)

    # -- refs and revisions ------------------------------------------------------------------------------------------
    def refs(self, repo: Repo) -> dict[str, str]:
        rows = self._db().execute("SELECT ref, target FROM refs WHERE repo=? ORDER BY ref", (repo.id,))
        return dict(rows.fetchall())

    def resolve(self, repo: Repo, revision: str) -> Commit:
        """Resolve a branch, tag, `refs/...` name or (abbreviated) commit id; 404 RevisionNotFound otherwise."""
        db = self._db()
        candidates = (
            [revision] if revision.startswith("refs/") else [f"refs/heads/{revision}", f"refs/tags/{revision}"]
        )
        for ref in candidates:
            row = db.execute("SELECT target FROM refs WHERE repo=? AND ref=?", (repo.id, ref)).fetchone()
            if row:
                return self.get_commit(row[0])
        if _HEX.match(revision):
            rows = db.execute(
                "SELECT oid FROM commits WHERE repo=? AND oid LIKE ? LIMIT 2", (repo.id, revision + "%")
            ).fetchall()
            if len(rows) == 1:
                return self.get_commit(rows[0][0])
        raise HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")

    def get_commit(self, oid: str) -> Commit:
        row = (
            self._db()
            .execute(
                "SELECT oid, parent, tree, summary, description, author, created_at FROM commits WHERE oid=?", (oid,)
            )
            .fetchone()
        )
        if not row:
            raise HubError(404, "RevisionNotFound", f"Invalid rev id: {oid}")
        return Commit(*row)

    def history(self, commit: Commit) -> Iterator[Commit]:
        """`commit` and its ancestors, newest first."""
        current: Commit | None = commit
        while current is not None:
            yield current
            current = self.get_commit(current.parent) if current.parent else None

    def set_ref(self, repo: Repo, ref: str, target: str, *, exist_ok: bool = False) -> None:
        with self._tx() as db:
            exists = db.execute("SELECT 1 FROM refs WHERE repo=? AND ref=?", (repo.id, ref)).fetchone()
            if exists and not exist_ok:
                kind = "Branch" if ref.startswith("refs/heads/") else "Tag"
                raise HubError(409, "RefExists", f"{kind} {ref.split('/', 2)[2]} already exists")
            db.execute("INSERT OR REPLACE INTO refs VALUES (?, ?, ?)", (repo.id, ref, target))

    def delete_ref(self, repo: Repo, ref: str) -> None:
        with self._tx() as db:
            if not db.execute("DELETE FROM refs WHERE repo=? AND ref=?", (repo.id, ref)).rowcount:
                raise HubError(404, "RevisionNotFound", f"Invalid rev id: {ref.split('/', 2)[2]}")

    # -- trees -------------------------------------------------------------------------------------------------------
    def tree(self, commit: Commit) -> dict[str, Entry]:
        rows = self._db().execute(
            "SELECT path, sha1, sha256, size, lfs FROM tree_entries WHERE tree=? ORDER BY path", (commit.tree,)
        )
        return {row[0]: Entry(row[0], row[1], row[2], row[3], bool(row[4])) for row in rows}

    def entry(self, commit: Commit, path: str) -> Entry | None:
        row = (
            self._db()
            .execute(
                "SELECT path, sha1, sha256, size, lfs FROM tree_entries WHERE tree=? AND path=?", (commit.tree, path)
            )
            .fetchone()
        )
        return Entry(row[0], row[1], row[2], row[3], bool(row[4])) if row else None

    # -- commits -----------------------------------------------------------------------------------------------------
    def commit(self, repo: Repo, branch_ref: str, request: CommitRequest, author: str) -> tuple[Commit, bool]:
        """Apply `request` on top of `branch_ref`'s head atomically. Returns `(commit, created)`.

        An empty change returns the current head with `created=False` (no empty commits).
        """
        with self._tx() as db:
            row = db.execute("SELECT target FROM refs WHERE repo=? AND ref=?", (repo.id, branch_ref)).fetchone()
            if not row:
                raise HubError(404, "RevisionNotFound", f"Invalid rev id: {branch_ref.split('/', 2)[-1]}")
            head = self.get_commit(row[0])
            if request.parent_commit and not head.oid.startswith(request.parent_commit.lower()):
                raise HubError(
                    412,
                    "PreconditionFailed",
                    f"A commit has happened since: parent {request.parent_commit} is not {head.oid}",
                )
            files = self.tree(head)
            for path in request.deleted_files:
                if files.pop(path, None) is None:
                    raise HubError(404, "EntryNotFound", f"File to delete does not exist: {path}")
            for folder in request.deleted_folders:
                prefix = folder.strip("/") + "/"
                doomed = [path for path in files if path.startswith(prefix)] if prefix != "/" else list(files)
                if not doomed:
                    raise HubError(404, "EntryNotFound", f"Folder to delete does not exist: {folder}")
                for path in doomed:
                    del files[path]
            files.update(request.additions)
            _check_no_file_dir_clash(files)
            if _tree_oid(files) == head.tree:
                return head, False
            commit = self._write_commit(
                db, repo, head.oid, files, request.summary, request.description, author, branch_ref
            )
        return commit, True

    def _write_commit(
        self,
        db: sqlite3.Connection,
        repo: Repo,
        parent: str | None,
        files: dict[str, Entry],
        summary: str,
        description: str,
        author: str,
        ref: str,
    ) -> Commit:
        tree = _tree_oid(files)
        if not db.execute("SELECT 1 FROM tree_entries WHERE tree=? LIMIT 1", (tree,)).fetchone():
            db.executemany(
                "INSERT INTO tree_entries VALUES (?, ?, ?, ?, ?, ?)",
                ((tree, e.path, e.sha1, e.sha256, e.size, int(e.lfs)) for e in files.values()),
            )
        created_at = _now()
        payload = json.dumps([repo.id, parent, tree, summary, description, author, created_at, secrets.token_hex(8)])
        oid = hashlib.sha1(payload.encode()).hexdigest()
        db.execute(
            "INSERT INTO commits VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (oid, repo.id, parent, tree, summary, description, author, created_at),
        )
        db.execute("INSERT OR REPLACE INTO refs VALUES (?, ?, ?)", (repo.id, ref, oid))
        return Commit(oid, parent, tree, summary, description, author, created_at)

    def next_pr_number(self, repo: Repo) -> int:
        numbers = [int(ref.rsplit("/", 1)[1]) for ref in self.refs(repo) if ref.startswith("refs/pr/")]
        return max(numbers, default=0) + 1


def _tree_oid(files: dict[str, Entry]) -> str:
    digest = hashlib.sha1()
    for path in sorted(files):
        entry = files[path]
        digest.update(f"{path}\0{entry.sha256}\0{entry.size}\0{int(entry.lfs)}\n".encode())
    return digest.hexdigest()


def _check_no_file_dir_clash(files: Iterable[str]) -> None:
    paths = set(files)
    for path in paths:
        parts = path.split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in paths:
                raise HubError(400, "BadRequest", f"{'/'.join(parts[:i])!r} is a file, so {path!r} cannot be added")
