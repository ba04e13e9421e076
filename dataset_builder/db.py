"""The build's DuckDB connection (memory-bounded, spilling to disk, normalisation macros in), SQL literals and
LIMIT clauses."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import duckdb
from tqdm.auto import tqdm

from dataset_builder.normalize import install_macros


def lit(value: str | Path) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_list(values: list[str]) -> str:
    """A SQL list of string literals."""
    return "[" + ", ".join(lit(v) for v in values) + "]"


def limit_clause(limit: int | None) -> str:
    """A LIMIT clause, empty when there is no limit."""
    return "" if limit is None else f" LIMIT {int(limit)}"


def limit_left(con: duckdb.DuckDBPyConnection, limit: int | None) -> str:
    """The LIMIT clause for rows appended to `raw_t`: what `limit` leaves."""
    if limit is None:
        return ""
    return limit_clause(max(0, limit - con.execute("SELECT count(*) FROM raw_t").fetchall()[0][0]))


def connect(work: Path, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """A connection that keeps within `memory_limit` (spilling to `work/spill`), with the `normalize` macros."""
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = {lit(work / 'spill')}")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = true")  # for `query_progress` (see `run_steps`) ...
    con.execute("SET enable_progress_bar_print = false")  # ... without DuckDB's own bar on stdout
    install_macros(con)
    return con


def run_steps(
    con: duckdb.DuckDBPyConnection,
    steps: Sequence[tuple[str, Callable[[], object], float]],
    *,
    desc: str,
    rate: tuple[float, str] | None = None,
    poll_seconds: float = 0.5,
) -> None:
    """Run `steps` (name, function running SQL on `con`, weight) in order under one progress bar with rate and ETA.

    Each step runs in a helper thread while this one polls DuckDB's progress of the running statement
    (`con.query_progress()`), so the bar moves within long statements too; its total is the sum of the weights (input
    bytes, or 1 per step). The postfix names the step and, given `rate` (the amount all the steps process and its
    unit, e.g. `(n_records, "rec")`), the rate so far.
    """
    total = sum(weight for _, _, weight in steps) or 1.0
    bar = tqdm(total=total, desc=desc, mininterval=2, disable=None, bar_format=_BAR)
    started, done = time.monotonic(), 0.0

    def show(position: float, name: str) -> None:
        bar.n = min(total, position)
        speed = ""
        if rate is not None:
            per_second = rate[0] * bar.n / total / max(time.monotonic() - started, 1e-9)
            speed = f", {per_second:,.0f} {rate[1]}/s"
        bar.set_postfix_str(name + speed, refresh=False)
        bar.refresh()

    try:
        with ThreadPoolExecutor(1, thread_name_prefix="sql-step") as pool:
            for name, run, weight in steps:
                show(done, name)
                future = pool.submit(run)
                while True:
                    try:
                        future.result(timeout=poll_seconds)
                        break
                    except FutureTimeout:
                        if (percent := con.query_progress()) >= 0:
                            show(done + weight * percent / 100, name)
                    except KeyboardInterrupt:
                        con.interrupt()  # stop the statement, so that the helper thread ends
                        raise
                done += weight
                show(done, name)
    finally:
        bar.close()


_BAR = "{l_bar}{bar}| {elapsed}<{remaining}{postfix}"  # a percentage, elapsed time and ETA (weights are not units)
