"""Push and pull a ~500 MB folder through the stock clients to the embedded Hub, against a plain loopback copy.

    python bench/hub_transfer.py [--size-mb 500] [--small-files 200]

Prints MB/s for: the baselines (the same files streamed over a loopback TCP socket into files on disk, same run,
with and without an fsync per file -- the Hub makes every upload durable before it acknowledges it),
`upload_folder` (push), `snapshot_download` into a fresh cache (pull), and the ratios; then times a no-op re-push
and reports the commits it created and the content bytes it uploaded (both must be 0).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub_release.client_env import configure_client_env  # noqa: E402
from hub_release.local_hub import LocalHubProcess  # noqa: E402

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


def server_bytes_read(process: LocalHubProcess) -> int:
    """Bytes the server process has read (sockets included), from /proc/PID/io."""
    assert process.process is not None
    for line in Path(f"/proc/{process.process.pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--small-files", type=int, default=200)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hub-transfer-"))
    try:
        hub = LocalHubProcess(work / "hub")
        configure_client_env(hub.endpoint, token=hub.token, hf_home=str(work / "hf-home"))
        from huggingface_hub import HfApi, snapshot_download
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
        total = make_folder(work / "src", args.size_mb, args.small_files)
        mb = total / 1e6
        print(f"folder: {mb:.0f} MB in {args.small_files + 1} files")

        base_s = loopback_copy(work / "src", work / "copy")
        durable_s = loopback_copy(work / "src", work / "copy-durable", durable=True)
        print(f"baseline loopback copy : {mb / base_s:8.1f} MB/s ({base_s:.2f} s)")
        print(f"  same, fsync per file : {mb / durable_s:8.1f} MB/s ({durable_s:.2f} s)  (the Hub fsyncs uploads)")

        with hub:
            api = HfApi(endpoint=hub.endpoint, token=hub.token)
            api.create_repo("bench/transfer")
            start = time.perf_counter()
            api.upload_folder(folder_path=work / "src", repo_id="bench/transfer")
            push_s = time.perf_counter() - start
            start = time.perf_counter()
            snapshot = snapshot_download("bench/transfer", cache_dir=work / "cache", max_workers=8)
            pull_s = time.perf_counter() - start
            pulled = (Path(snapshot) / "model.safetensors").stat().st_size
            assert pulled == (work / "src/model.safetensors").stat().st_size

            commits = len(api.list_repo_commits("bench/transfer"))
            read_before = server_bytes_read(hub)
            start = time.perf_counter()
            api.upload_folder(folder_path=work / "src", repo_id="bench/transfer")
            noop_s = time.perf_counter() - start
            received = server_bytes_read(hub) - read_before
            new_commits = len(api.list_repo_commits("bench/transfer")) - commits

        print(
            f"push (upload_folder)   : {mb / push_s:8.1f} MB/s ({push_s:.2f} s)  "
            f"ratio {base_s / push_s:.2f} (vs durable copy {durable_s / push_s:.2f})"
        )
        print(
            f"pull (snapshot_download): {mb / pull_s:7.1f} MB/s ({pull_s:.2f} s)  "
            f"ratio {base_s / pull_s:.2f} (vs durable copy {durable_s / pull_s:.2f})"
        )
        print(
            f"no-op re-push          : {noop_s:.2f} s, {new_commits} new commits, "
            f"{received / 1e6:.2f} MB received by the server (metadata only; content {total / 1e6:.0f} MB)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
