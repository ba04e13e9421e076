"""Push and pull a ~500 MB folder through the stock clients to the embedded Hub, against a plain loopback copy.

    python bench/hub_transfer.py [--size-mb 500] [--small-files 200] [--rounds 3]

Prints MB/s for: the baselines (the same files streamed over a loopback TCP socket into files on disk, with and
without an fsync per file -- the Hub makes every upload durable before it acknowledges it), `upload_folder` (push),
`snapshot_download` into a fresh cache (pull), and the ratios; then times a no-op re-push and reports the commits it
created and the content bytes it uploaded (both must be 0).

It also measures the stock clients' own floor: the same folder pushed to and pulled from a *null Hub* -- a server
that answers the same protocol but does no work (uploads are read into a reusable buffer and dropped, downloads go
out with `sendfile` from the page cache; no hashing, no disk writes, no database). No Hub implementation can make
the clients faster than that.

This machine's disk and page-cache speed swing widely from minute to minute (a VM), so every round uses fresh bytes,
each timed step starts after an `os.sync()`, and the best round of each step is compared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub_client.client_env import configure_client_env  # noqa: E402
from local_hub import LocalHubProcess  # noqa: E402

CHUNK = 1 << 20


def make_folder(root: Path, size_mb: int, small_files: int) -> int:
    """One large binary file plus `small_files` small ones (half text -> regular, half binary -> LFS)."""
    root.mkdir(parents=True)
    small_size = 250_000
    large = size_mb * 1_000_000 - small_files * small_size
    with open(root / "model.safetensors", "wb") as fh:
        for _ in range(large // CHUNK):
            fh.write(os.urandom(CHUNK))
        fh.write(os.urandom(large % CHUNK))
    for i in range(small_files):
        sub = root / f"shard_{i // 100:02d}"
        sub.mkdir(exist_ok=True)
        if i % 2:
            (sub / f"part_{i:05d}.bin").write_bytes(os.urandom(small_size))
        else:
            (sub / f"part_{i:05d}.txt").write_text(os.urandom(small_size // 2).hex())
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def loopback_copy(src: Path, dst: Path, *, durable: bool = False) -> float:
    """Baseline: stream every file over a loopback TCP socket into `dst` (fsync each file if `durable`)."""
    files = sorted(p for p in src.rglob("*") if p.is_file())
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def receive() -> None:
        conn, _ = server.accept()
        with conn, conn.makefile("rb") as stream:
            for path in files:
                size = int.from_bytes(stream.read(8), "big")
                target = dst / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as fh:
                    while size:
                        chunk = stream.read(min(CHUNK, size))
                        fh.write(chunk)
                        size -= len(chunk)
                    if durable:
                        fh.flush()
                        os.fsync(fh.fileno())

    start = time.perf_counter()
    thread = threading.Thread(target=receive)
    thread.start()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        for path in files:
            sock.sendall(path.stat().st_size.to_bytes(8, "big"))
            with open(path, "rb") as fh:
                sock.sendfile(fh)
    thread.join()
    server.close()
    return time.perf_counter() - start


class NullHubHandler(BaseHTTPRequestHandler):
    """The Hub protocol for one folder, doing no work: the stock clients' floor (see the module doc)."""

    protocol_version = "HTTP/1.1"
    commit = "0" * 40
    files: dict[str, tuple[Path, str]] = {}  # repo path -> (local file, sha256), served by resolve/
    sink = bytearray(CHUNK)

    def log_message(self, *args) -> None:  # quiet
        pass

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, answer: object) -> None:
        self.reply(200, json.dumps(answer).encode(), {"Content-Type": "application/json"})

    def do_HEAD(self) -> None:
        self.serve_file(body=False)

    def do_GET(self) -> None:
        if "/revision/" in self.path:  # repo info
            self.reply_json({"id": "null/floor", "sha": self.commit, "siblings": []})
        elif "/tree/" in self.path:
            self.reply_json(
                [
                    {
                        "type": "file",
                        "path": name,
                        "size": path.stat().st_size,
                        "oid": sha[:40],
                        "lfs": {"oid": sha, "size": path.stat().st_size, "pointerSize": 130},
                    }
                    for name, (path, sha) in self.files.items()
                ]
            )
        else:
            self.serve_file(body=True)

    def serve_file(self, body: bool) -> None:
        path, sha = self.files[unquote(self.path.split("/resolve/", 1)[1].split("/", 1)[1])]
        size = path.stat().st_size
        self.send_response(200)
        headers = {
            "X-Repo-Commit": self.commit,
            "ETag": f'"{sha}"',
            "X-Linked-ETag": f'"{sha}"',
            "X-Linked-Size": str(size),
            "Content-Length": str(size),
            "Content-Type": "application/octet-stream",
        }
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            with open(path, "rb") as fh:
                self.connection.sendfile(fh)

    def do_PUT(self) -> None:  # an LFS upload: read and drop
        remaining = int(self.headers["Content-Length"])
        view = memoryview(self.sink)
        while remaining:
            remaining -= self.rfile.readinto(view[: min(CHUNK, remaining)])
        self.reply(200)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        base = f"http://{self.headers['Host']}"
        if self.path.endswith("/info/lfs/objects/batch"):
            objects = [
                {**o, "actions": {"upload": {"href": f"{base}/upload/{o['oid']}"}}}
                for o in json.loads(body)["objects"]
            ]
            self.reply_json({"transfer": "basic", "objects": objects, "hash_algo": "sha256"})
        elif "/preupload/" in self.path:
            files = json.loads(body)["files"]
            self.reply_json(
                {"files": [{"path": f["path"], "uploadMode": "lfs", "shouldIgnore": False} for f in files]}
            )
        else:  # commit
            self.reply_json({"commitUrl": f"{base}/null/floor/commit/{self.commit}", "commitOid": self.commit})


def serve_null_hub(folder: Path, ports) -> None:
    """Run the null Hub for `folder` until killed (in its own process, like the real Hub); its port goes to `ports`."""
    NullHubHandler.files = {
        p.relative_to(folder).as_posix(): (p, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), NullHubHandler)
    ports.put(server.server_address[1])
    server.serve_forever()


def client_floor(folder: Path, cache: Path) -> tuple[float, float]:
    """Seconds the stock clients take to push `folder` to and pull it from the null Hub."""
    from huggingface_hub import HfApi, snapshot_download

    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    process = context.Process(target=serve_null_hub, args=(folder, ports), daemon=True)
    process.start()
    endpoint = f"http://127.0.0.1:{ports.get(timeout=300)}"
    try:
        os.sync()
        start = time.perf_counter()
        HfApi(endpoint=endpoint, token="null").upload_folder(folder_path=folder, repo_id="null/floor")
        push_s = time.perf_counter() - start
        os.sync()
        start = time.perf_counter()
        snapshot = snapshot_download("null/floor", cache_dir=cache, endpoint=endpoint, max_workers=8)
        pull_s = time.perf_counter() - start
        assert (Path(snapshot) / "model.safetensors").stat().st_size == (folder / "model.safetensors").stat().st_size
        return push_s, pull_s
    finally:
        process.kill()
        process.join()


def server_bytes_read(process: LocalHubProcess) -> int:
    """Bytes the server process has read (sockets included), from /proc/PID/io."""
    assert process.process is not None
    for line in Path(f"/proc/{process.process.pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def timed(action) -> float:
    """Seconds `action()` takes, after flushing earlier writes so that their writeback does not land on it."""
    os.sync()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--small-files", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="Each with fresh bytes; the best of each is compared.")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hub-transfer-"))
    try:
        hub = LocalHubProcess(work / "hub")
        configure_client_env(hub.endpoint, token=hub.token, hf_home=str(work / "hf-home"))
        from huggingface_hub import HfApi, snapshot_download
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
        rounds: list[dict[str, float]] = []
        with hub:
            api = HfApi(endpoint=hub.endpoint, token=hub.token)
            for r in range(args.rounds):
                src, repo = work / f"src-{r}", f"bench/transfer-{r}"
                mb = make_folder(src, args.size_mb, args.small_files) / 1e6  # fresh bytes: nothing deduplicated
                api.create_repo(repo)
                seconds = {
                    "copy": timed(partial(loopback_copy, src, work / "copy")),
                    "durable copy": timed(partial(loopback_copy, src, work / "copy-durable", durable=True)),
                    "push": timed(partial(api.upload_folder, folder_path=src, repo_id=repo)),
                    "pull": timed(partial(snapshot_download, repo, cache_dir=work / "cache", max_workers=8)),
                }
                seconds["null push"], seconds["null pull"] = client_floor(src, work / "null-cache")
                rounds.append({name: mb / s for name, s in seconds.items()})
                for done in ("copy", "copy-durable", "cache", "null-cache"):
                    shutil.rmtree(work / done)
                if r < args.rounds - 1:
                    shutil.rmtree(src)

            commits = len(api.list_repo_commits(repo))
            read_before = server_bytes_read(hub)
            noop_s = timed(partial(api.upload_folder, folder_path=src, repo_id=repo))
            received = server_bytes_read(hub) - read_before
            new_commits = len(api.list_repo_commits(repo)) - commits

        names = list(rounds[0])
        print(f"folder: {mb:.0f} MB in {args.small_files + 1} files; MB/s per round (fresh bytes each):")
        print("  " + "".join(f"{n:>14s}" for n in names))
        for r, speeds in enumerate(rounds, 1):
            print(f"{r} " + "".join(f"{speeds[n]:14.1f}" for n in names))
        best = {n: max(speeds[n] for speeds in rounds) for n in names}
        print("B " + "".join(f"{best[n]:14.1f}" for n in names))
        print("ratios of the best rounds (the Hub fsyncs each upload before acknowledging it, like the durable copy):")
        for name in ("push", "pull", "null push", "null pull"):
            print(
                f"  {name:10s} {best[name] / best['copy']:.2f} x copy   "
                f"{best[name] / best['durable copy']:.2f} x durable copy"
                + ("   <- the stock clients' floor: no server can do better" if name.startswith("null") else "")
            )
        print(
            f"no-op re-push: {noop_s:.2f} s, {new_commits} new commits, {received / 1e6:.2f} MB received by the "
            f"server (metadata only; content {mb:.0f} MB)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
