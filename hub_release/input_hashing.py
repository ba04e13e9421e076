"""Content hashes of a stage's input files, with a cheap size + mtime pre-check so unchanged files are not re-read.

The cache maps a file's absolute path to `[size, mtime_ns, sha256]`; it lives in the release manifest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

CHUNK = 1 << 20


def _files(paths: Iterable[Path]) -> list[Path]:
    """Every file under `paths` (files as given, folders recursively), sorted; a missing path is an error."""
    found: set[Path] = set()
    for path in map(Path, paths):
        if path.is_file():
            found.add(path.resolve())
        elif path.is_dir():
            found.update(p.resolve() for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        else:
            raise FileNotFoundError(f"{path}: input not found (check dataset.inputs in the release config).")
    return sorted(found)


def file_sha256(path: Path, cache: dict[str, list]) -> str:
    """sha256 of `path`'s bytes; reused from `cache` while the file's size and mtime are unchanged."""
    stat = path.stat()
    cached = cache.get(str(path))
    if cached and cached[0] == stat.st_size and cached[1] == stat.st_mtime_ns:
        return cached[2]
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    cache[str(path)] = [stat.st_size, stat.st_mtime_ns, digest.hexdigest()]
    return digest.hexdigest()


def inputs_digest(paths: Iterable[Path], cache: dict[str, list], *, root: Path | None = None) -> str:
    """One hash of the names (relative to `root` when under it) and contents of every input file."""
    digest = hashlib.sha256()
    for path in _files(paths):
        name = str(path.relative_to(root)) if root and path.is_relative_to(root) else path.name
        digest.update(f"{name}\0{file_sha256(path, cache)}\n".encode())
    return digest.hexdigest()
