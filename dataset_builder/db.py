"""The build's DuckDB connection (memory-bounded, spilling to disk, normalisation macros in), SQL literals and
LIMIT clauses."""

from __future__ import annotations

from pathlib import Path

import duckdb

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
    con.execute("SET enable_progress_bar = false")
    install_macros(con)
    return con
