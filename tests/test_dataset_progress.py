"""Progress of long builds: the SQL steps show a bar with the step, a rate and an ETA that moves within a statement
(DuckDB's own query progress), on a terminal, and nothing on a pipe."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Two steps on a real connection; the second is one statement of a few seconds on one thread.
SCRIPT = textwrap.dedent(
    """
    import functools
    from dataset_builder.db import run_steps
    import duckdb
    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    long = "CREATE TABLE t AS SELECT i % 1000003 AS k, count(*) AS n FROM range(40000000) r(i) GROUP BY 1"
    run_steps(
        con,
        [
            ("first", functools.partial(con.execute, "SELECT 1"), 1.0),
            ("aggregate", functools.partial(con.execute, long), 3.0),
        ],
        desc="Testing steps", rate=(1000, "rec"), poll_seconds=0.1,
    )
    print("rows", con.execute("SELECT count(*) FROM t").fetchall()[0][0])
    """
)


def _run_on_terminal(code: str) -> str:
    """Run `code` in a fresh interpreter whose stdout/stderr is a pseudo-terminal; its output."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))  # 200 columns: room for the bar
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=child, stderr=child, cwd=ROOT, close_fds=True)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=120) == 0, b"".join(chunks).decode(errors="replace")
    os.close(main)
    return b"".join(chunks).decode(errors="replace")


def test_bar_moves_within_a_long_statement_with_rate_and_eta():
    out = _run_on_terminal(SCRIPT)
    assert "rows 1000003" in out
    states = [s for s in re.split(r"[\r\n]", out) if s.startswith("Testing steps")]
    percents = [int(m.group(1)) for s in states if "aggregate" in s and (m := re.search(r"(\d+)%", s))]
    assert any(25 < p < 100 for p in percents), states  # past the first step's 25%, before the end
    assert percents == sorted(percents) and percents[-1] == 100
    assert re.search(r"\d\d:\d\d<\d\d:\d\d, aggregate, [\d,]+ rec/s", states[-2]), states[-2]  # elapsed<ETA, rate


def test_no_bar_on_a_pipe():
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "rows 1000003" and "Testing steps" not in out.stderr
