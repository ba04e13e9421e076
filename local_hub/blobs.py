"""The content-addressed blob files of the embedded Hub (`blobs/<sha256[:2]>/<sha256>`) and the git/LFS ids of data.

A blob is written to a temp file, fsynced and renamed into place, so a crash leaves either no blob or a whole one.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path
from typing import BinaryIO

from local_hub.errors import HubError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def git_blob_sha1(data: bytes) -> str:
    """The git blob id of `data` (what the Hub calls a regular file's oid)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The git-lfs pointer file that stands in the git tree for an LFS object."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


class BlobStore:
    """Blob files under `root/blobs`, with uploads staged in `root/tmp`."""

    def __init__(self, root: Path) -> None:
        self.blob_dir = root / "blobs"
        self.tmp_dir = root / "tmp"
        for folder in (root, self.blob_dir, self.tmp_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def blob_path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise HubError(400, "BadRequest", f"Invalid sha256 oid {sha256!r}")
        return self.blob_dir / sha256[:2] / sha256

    def has_blob(self, sha256: str, size: int | None = None) -> bool:
        path = self.blob_path(sha256)
        return path.is_file() and (size is None or path.stat().st_size == size)

    def put_bytes(self, data: bytes) -> tuple[str, str]:
        """Store `data`; return `(sha256, git_sha1)`."""
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has_blob(sha256, len(data)):
            tmp = self.tmp_dir / f"{sha256}.{secrets.token_hex(4)}"
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            self._install(tmp, sha256)
        return sha256, git_blob_sha1(data)

    def open_upload(self) -> tuple[Path, BinaryIO]:
        """A temp file to stream an upload into; finish with :meth:`finish_upload`."""
        tmp = self.tmp_dir / f"upload.{secrets.token_hex(8)}"
        return tmp, open(tmp, "wb")

    def finish_upload(
        self, tmp: Path, fh: BinaryIO, sha256: str, expected_sha256: str, size: int, expected: int
    ) -> None:
        """Check a streamed upload against its announced oid and size, then move it into the store."""
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        if sha256 != expected_sha256 or size != expected:
            tmp.unlink(missing_ok=True)
            raise HubError(
                400,
                "BadRequest",
                f"Upload does not match its oid/size: got {sha256}/{size}, expected {expected_sha256}/{expected}",
            )
        self._install(tmp, sha256)

    def _install(self, tmp: Path, sha256: str) -> None:
        final = self.blob_path(sha256)
        final.parent.mkdir(exist_ok=True)
        os.replace(tmp, final)
