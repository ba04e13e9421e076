"""The writer: kept filings in, `data/{config}/{split}-{i:05d}-of-{n:05d}.parquet` shards out, for both configs.

One sorted pass over the kept filings (by `ord`: split, then firm; then date and application number) with their
texts from `raw`, in chunks of whole firms: goods/services are split into terms per chunk (each distinct part
normalised once, `normalize.split_many`), and each chunk becomes one row group of `filings` and one of
`sequences` (typed Features from `schema.py`). Each split's filings without a firm (`unowned`) follow its firms'
filings in `filings`, with a null firm, by date and application number; they are in no sequence. The bytes are
deterministic: same rows, same files. Shards are written to `.tmp` files in background threads and renamed when
complete.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from dataset_builder.normalize import split_many
from dataset_builder.schema import FILING_FEATURES, FILINGS_FEATURES, SEQUENCES_FEATURES, SPLITS

FILINGS_PER_SHARD, FIRMS_PER_SHARD = 500_000, 50_000
ROWS_PER_GROUP = 100_000  # filings per row group (cut at a firm boundary)
_BATCH = 20_000  # rows per batch read from DuckDB


class _ShardWriter:
    """Rows in, `{prefix}-{i:05d}-of-{n:05d}.parquet` shards out (written to `.tmp`, renamed when complete).

    Writes in a thread of its own, one table at a time (Parquet encoding releases the GIL), so that encoding
    overlaps with preparing the next chunk. `options`: `pq.ParquetWriter` keyword arguments.
    """

    def __init__(self, prefix: Path, n_rows: int, per_shard: int, schema: pa.Schema, options: dict):
        n_shards = max(1, math.ceil(n_rows / per_shard))
        prefix.parent.mkdir(parents=True, exist_ok=True)
        self.paths = [prefix.parent / f"{prefix.name}-{i:05d}-of-{n_shards:05d}.parquet" for i in range(n_shards)]
        self.schema, self.per_shard, self.options = schema, per_shard, options
        self.index, self.in_shard, self.writer = 0, 0, None
        self.thread, self.pending = ThreadPoolExecutor(1, thread_name_prefix=prefix.name), None

    def _tmp(self) -> Path:
        return self.paths[self.index].with_suffix(".parquet.tmp")

    def _open(self) -> None:
        self.writer = pq.ParquetWriter(self._tmp(), self.schema, **self.options)

    def _close_shard(self) -> None:
        if self.writer is None:  # an empty shard: a valid file with no row group
            self._open()
        self.writer.close()
        self._tmp().replace(self.paths[self.index])
        self.writer, self.in_shard, self.index = None, 0, self.index + 1

    def _write(self, table: pa.Table) -> None:
        table = table.cast(self.schema)
        while table.num_rows:
            if self.writer is None:
                self._open()
            take = min(self.per_shard - self.in_shard, table.num_rows)
            self.writer.write_table(table.slice(0, take), row_group_size=take)
            self.in_shard += take
            table = table.slice(take)
            if self.in_shard == self.per_shard and self.index < len(self.paths) - 1:
                self._close_shard()

    def _wait(self) -> None:
        if self.pending is not None:
            self.pending, pending = None, self.pending
            pending.result()  # re-raises what the thread raised

    def write(self, table: pa.Table) -> None:
        """Queue `table` (one row group per shard it spans); waits for the previous one first."""
        self._wait()
        self.pending = self.thread.submit(self._write, table)

    def close(self) -> None:
        try:
            self._wait()
            while self.index < len(self.paths):
                self._close_shard()
        finally:
            self.thread.shutdown()


# Parquet writer options per config: zstd; dictionary encoding only for the columns with repeated values (smaller
# and faster to write); the mostly unique ones (numbers, texts) are plain.
PARQUET_OPTIONS = {
    "filings": {
        "compression": "zstd",
        "use_dictionary": [
            "firm_id", "firm_name", "filing_date", "nice_classes.list.element", "terms.list.element",
            "goods_services_lang.list.element", "source"
        ],
    },
    "sequences": {
        "compression": "zstd",
        "use_dictionary": [
            "n_filings", "filings.list.element.filing_date", "filings.list.element.nice_classes.list.element",
            "filings.list.element.terms.list.element", "filings.list.element.goods_services_lang.list.element",
        ],
    },
}  # fmt: skip


_FILING_FIELDS = list(FILING_FEATURES)


def _filings_sql(kept: str, where: str = "", order: str = "ord, fdate, app") -> str:
    """The filings of table `kept` (rec_id, app, fdate, classes[, ord]) with their kept texts from `raw`, sorted.

    `gs`: the goods/services texts kept (non-empty, with a valid class code or none); `goods_services`: their
    texts joined as "Class 9: ...; Class 42: ..."; `goods_services_lang`: each text's language code, in that order.
    """
    ord_ = "k.ord" if kept == "kept" else "NULL::BIGINT"
    return f"""WITH t AS (
        SELECT {ord_} AS ord, k.app, k.fdate, k.classes, CASE
            WHEN len(r.goods_services) = 1 AND r.goods_services[1].code IS NULL  -- tabular: no codes
            THEN CASE WHEN length(r.goods_services[1].text) > 0 THEN r.goods_services ELSE [] END
            ELSE list_filter(r.goods_services, lambda g: length(g.text) > 0
                             AND (g.code IS NULL OR nice_class(g.code) IS NOT NULL)) END AS gs
        FROM raw r JOIN {kept} k USING (rec_id) {where})
    SELECT ord, app AS application_number, fdate AS filing_date, classes AS nice_classes, gs,
           CASE WHEN len(gs) = 1 AND gs[1].code IS NULL THEN strip_text(gs[1].text)
           ELSE array_to_string(list_transform(gs,
               lambda g: CASE WHEN list_contains(classes, nice_class(g.code))
                              THEN 'Class ' || nice_class(g.code) || ': ' || strip_text(g.text)
                              ELSE strip_text(g.text) END), '; ') END AS goods_services,
           list_transform(gs, lambda g: g.lang) AS goods_services_lang
    FROM t ORDER BY {order}"""


class _Chunks:
    """Sorted kept filings in, `filings` and `sequences` rows out, a chunk of whole firms at a time.

    A kept filing comes with its firm's `ord` and its kept goods/services `gs`: the firms' ids and names are looked
    up in `firm_order` by `ord` range, and `gs` is split into terms (`normalize.split_many`), through a cursor of its
    own (the connection is busy streaming the filings). Also counts the terms for the card.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, source: str, oracle: dict[str, list[float]] | None):
        self.cur, self.source, self.oracle = con.cursor(), source, oracle
        self.cur.execute("CREATE OR REPLACE TABLE seen_terms (t VARCHAR)")
        self.n_terms, self.n_with_terms = 0, 0  # for the mean number of terms per filing

    def terms(self, gs: pa.Array) -> pa.ListArray:
        """The terms of each filing, from its kept goods/services (`list<struct<code, text>>`)."""
        if gs.offset:  # a slice: `from_arrays` wants the validity bitmap unsliced
            gs = pa.concat_arrays([gs])
        texts = pa.ListArray.from_arrays(
            gs.offsets, gs.values.field("text"), mask=gs.is_null() if gs.null_count else None
        )
        terms = split_many(texts, self.cur)
        self.n_terms += len(terms.values)
        self.n_with_terms += len(terms) - terms.null_count
        self.cur.register("chunk_terms", pa.table({"t": pc.unique(terms.values)}))
        self.cur.execute("INSERT INTO seen_terms SELECT t FROM chunk_terms")
        self.cur.unregister("chunk_terms")
        return terms

    def filings(self, rows: pa.Table, firm_id: pa.Array, firm_name: pa.Array) -> pa.Table:
        """Rows of the `filings` config (`rows` combined into one chunk)."""
        return pa.table(
            {
                "firm_id": firm_id,
                "firm_name": firm_name,
                "application_number": rows.column("application_number"),
                "filing_date": rows.column("filing_date"),
                "nice_classes": rows.column("nice_classes"),
                "terms": self.terms(rows.column("gs").chunk(0)),
                "goods_services": rows.column("goods_services"),
                "goods_services_lang": rows.column("goods_services_lang"),
                "source": pa.repeat(self.source, rows.num_rows),
            }
        )

    def unowned(self, rows: pa.Table) -> pa.Table:
        """Rows of the `filings` config for filings without a firm (null `firm_id` and `firm_name`)."""
        rows = rows.combine_chunks()
        return self.filings(rows, pa.nulls(rows.num_rows, pa.string()), pa.nulls(rows.num_rows, pa.string()))

    def __call__(self, rows: pa.Table) -> tuple[pa.Table, pa.Table]:
        rows = rows.combine_chunks()  # one row group from one chunk: its bytes do not depend on the batching
        ords = rows.column("ord").to_numpy()
        first = int(ords[0])
        firms = self.cur.sql(
            "SELECT firm_id, firm_name FROM firm_order WHERE ord BETWEEN ? AND ? ORDER BY ord",
            params=[first, int(ords[-1])],
        ).to_arrow_table()
        if firms.num_rows != ords[-1] - first + 1:  # every firm has filings: the ords of a chunk are consecutive
            raise RuntimeError(f"Internal error: firms {first}..{ords[-1]} are not all in firm_order.")
        firm = pa.array(ords - first)
        n = len(ords)
        filings = self.filings(rows, firms.column("firm_id").take(firm), firms.column("firm_name").take(firm))
        offsets = np.concatenate([[0], np.flatnonzero(ords[1:] != ords[:-1]) + 1, [n]]).astype(np.int32)
        cols = [filings.column(f).chunk(0) for f in _FILING_FIELDS]
        if self.oracle is None:
            probs = pa.nulls(firms.num_rows, pa.list_(pa.float32()))
        else:
            last = rows.column("application_number").take(pa.array(offsets[1:] - 1)).to_pylist()
            probs = pa.array([self.oracle.get(a) for a in last], pa.list_(pa.float32()))
        sequences = pa.table(
            {
                "firm_id": firms.column("firm_id"),
                "firm_name": firms.column("firm_name"),
                "n_filings": pa.array(np.diff(offsets), pa.int32()),
                "filings": pa.ListArray.from_arrays(
                    pa.array(offsets), pa.StructArray.from_arrays(cols, names=_FILING_FIELDS)
                ),
                "oracle_last_filing_class_probs": probs,
            }
        )
        return filings, sequences

    def term_stats(self) -> dict:
        distinct = self.cur.execute("SELECT count(DISTINCT t) FROM seen_terms").fetchall()[0][0]
        mean = self.n_terms / self.n_with_terms if self.n_with_terms else 0
        return {"terms_per_filing": round(mean, 3), "distinct_terms": distinct}


class _Rows:
    """Consecutive row ranges of a record batch stream."""

    def __init__(self, reader: pa.RecordBatchReader):
        self.batches, self.rest = iter(reader), None

    def take(self, n: int) -> Iterator[pa.RecordBatch]:
        """The next `n` rows, as batches."""
        while n > 0:
            batch = self.rest if self.rest is not None else next(self.batches)
            self.rest = batch.slice(n) if batch.num_rows > n else None
            batch = batch.slice(0, n)
            n -= batch.num_rows
            yield batch


def _write_split(
    batches: Iterator[pa.RecordBatch],
    unowned: pa.RecordBatchReader,
    split: str,
    repo: Path,
    counts: tuple[int, int, int],
    chunks: _Chunks,
    bar: tqdm,
) -> None:
    """Write one split's sorted filings, both configs (firms never straddle a row group), then its filings without
    a firm (`filings` only); `bar` counts rows."""
    n_firms, n_filings, n_unowned = counts
    filings, seqs = (
        _ShardWriter(repo / "data" / config / split, n, per_shard, features.arrow_schema, PARQUET_OPTIONS[config])
        for config, n, per_shard, features in (
            ("filings", n_filings + n_unowned, FILINGS_PER_SHARD, FILINGS_FEATURES),
            ("sequences", n_firms, FIRMS_PER_SHARD, SEQUENCES_FEATURES),
        )
    )

    def emit(rows: pa.Table) -> None:
        chunk, firms = chunks(rows)
        filings.write(chunk)
        seqs.write(firms)
        bar.update(rows.num_rows)

    pending: pa.Table | None = None
    for batch in batches:
        pending = pa.Table.from_batches([batch]) if pending is None else pa.concat_tables([pending, pa.table(batch)])
        while pending.num_rows > ROWS_PER_GROUP:
            ords = pending.column("ord")
            tail = ords.slice(ROWS_PER_GROUP - 1)
            moved = pc.not_equal(tail.slice(1), tail.slice(0, len(tail) - 1))
            first = pc.index(moved, True).as_py()
            if first < 0:
                break
            cut = ROWS_PER_GROUP + first
            emit(pending.slice(0, cut))
            pending = pending.slice(cut)
    if pending is not None and pending.num_rows:
        emit(pending)
    with unowned:  # by row groups of ROWS_PER_GROUP
        group, n = [], 0
        for batch in unowned:
            group.append(batch)
            n += batch.num_rows
            if n >= ROWS_PER_GROUP:
                rows = pa.Table.from_batches(group)
                filings.write(chunks.unowned(rows.slice(0, ROWS_PER_GROUP)))
                bar.update(ROWS_PER_GROUP)
                group, n = rows.slice(ROWS_PER_GROUP).to_batches(), n - ROWS_PER_GROUP
        if n:
            filings.write(chunks.unowned(pa.Table.from_batches(group)))
            bar.update(n)
    filings.close()
    seqs.close()


def write_outputs(
    con: duckdb.DuckDBPyConnection, source: str, repo: Path, oracle: dict | None
) -> tuple[dict, dict, dict]:
    """Write both configs; returns firms and filing rows (with and without a firm) per split, and term statistics.

    One sorted pass over the kept filings (by `ord`, i.e. split then firm, then date and application number) with
    their texts from `raw`: the splits come one after another, in name order. Each split's filings without a firm
    are read by a query of their own, after its firms.
    """
    counts = dict.fromkeys(SPLITS, (0, 0, 0)) | {
        s: (nf, nr, nu)
        for s, nf, nr, nu in con.execute(
            """SELECT split, coalesce(nf, 0), coalesce(nr, 0), coalesce(nu, 0)
               FROM (SELECT split, count(DISTINCT firm_id) AS nf, count(*) AS nr FROM kept GROUP BY split)
               FULL JOIN (SELECT split, count(*) AS nu FROM unowned GROUP BY split) USING (split)"""
        ).fetchall()
    }
    # ORDER BY fixes the order (the key is unique): no insertion-order bookkeeping, which needs more memory.
    con.execute("SET preserve_insertion_order = false")
    try:
        reader = con.sql(_filings_sql("kept")).to_arrow_reader(_BATCH)
        total = sum(nr + nu for _, nr, nu in counts.values())
        bar = tqdm(total=total, desc="Writing filings", unit=" rec", unit_scale=True, mininterval=2, disable=None)
        with reader, bar:
            rows, chunks = _Rows(reader), _Chunks(con, source, oracle)
            for split in sorted(SPLITS):  # the order of `ord`
                unowned = (
                    con.cursor()
                    .sql(_filings_sql("unowned", f"WHERE k.split = '{split}'", "fdate, app"))
                    .to_arrow_reader(_BATCH)
                )
                _write_split(rows.take(counts[split][1]), unowned, split, repo, counts[split], chunks, bar)
    finally:
        con.execute("SET preserve_insertion_order = true")
    firms = {s: counts[s][0] for s in SPLITS}
    return firms, {s: counts[s][1] + counts[s][2] for s in SPLITS}, chunks.term_stats()
