"""The dataset viewer's data: a Parquet dataset repo's configs and splits, row counts, column types, pages of rows.

The layout comes from the README's `configs` front matter (`data_files` as a pattern, a list of patterns, or a list
of `{split, path}`), as the `datasets` library reads it; without one, Parquet files are grouped by the split name in
their file name (`train`, `validation`, `test`) in one `default` config. Rows are read with pyarrow from the blob
files, only the row groups that hold the requested page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_hub.storage import Entry

if TYPE_CHECKING:  # pyarrow is imported on the first viewer request, not when the Hub starts
    import pyarrow as pa
    import pyarrow.parquet as pq

PAGE_ROWS = 100
_SPLIT_WORDS = ("train", "validation", "test")
_CELL_CHARS = 300


@dataclass(frozen=True)
class Split:
    config: str
    name: str
    files: tuple[Entry, ...]


@dataclass(frozen=True)
class Page:
    """One page of a split: its columns (name, type), its rows (cells as compact text) and where it is."""

    columns: list[tuple[str, str]]
    rows: list[list[str]]
    offset: int
    total: int


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A `datasets`-style glob (`*` within a folder, `**` across folders) as a regex over repo paths."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def _matching(files: dict[str, Entry], patterns: Any) -> tuple[Entry, ...]:
    patterns = [patterns] if isinstance(patterns, str) else [p for p in patterns or [] if isinstance(p, str)]
    regexes = [_glob_regex(p.lstrip("/")) for p in patterns]
    return tuple(e for path, e in files.items() if path.endswith(".parquet") and any(r.match(path) for r in regexes))


def dataset_splits(files: dict[str, Entry], metadata: dict[str, Any]) -> list[Split]:
    """Every (config, split) of the repo whose files are Parquet, in the card's order."""
    configs = metadata.get("configs")
    out: list[Split] = []
    if isinstance(configs, list) and configs:
        for config in configs:
            if not isinstance(config, dict):
                continue
            name = str(config.get("config_name") or "default")
            data_files = config.get("data_files")
            if isinstance(data_files, list) and data_files and all(isinstance(d, dict) for d in data_files):
                for item in data_files:
                    matched = _matching(files, item.get("path"))
                    if matched:
                        out.append(Split(name, str(item.get("split") or "train"), matched))
            elif data_files is not None:
                matched = _matching(files, data_files)
                if matched:
                    out.append(Split(name, "train", matched))
        return out
    parquet = {p: e for p, e in files.items() if p.endswith(".parquet")}
    for word in _SPLIT_WORDS:
        matched = tuple(e for p, e in parquet.items() if re.search(rf"(^|[/_.-]){word}([/_.-]|$)", p))
        if matched:
            out.append(Split("default", word, matched))
    if not out and parquet:
        out.append(Split("default", "train", tuple(parquet.values())))
    return out


@lru_cache(maxsize=512)
def _metadata(path: Path) -> pq.FileMetaData:
    import pyarrow.parquet as pq

    return pq.read_metadata(path)  # blobs are immutable: their metadata can be cached by path


def split_rows(paths: list[Path]) -> int:
    """The number of rows of a split (from the Parquet footers only)."""
    return sum(_metadata(path).num_rows for path in paths)


def read_page(paths: list[Path], offset: int, limit: int = PAGE_ROWS) -> Page:
    """Rows `offset .. offset+limit` of the split made of the Parquet files `paths` (in order)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    offset = max(offset, 0)
    tables: list[pa.Table] = []
    schema = pq.read_schema(paths[0]) if paths else pa.schema([])
    start, wanted_end = 0, offset + limit
    for path in paths:
        meta = _metadata(path)
        if start >= wanted_end:
            break
        groups, group_start, first = [], start, None
        for g in range(meta.num_row_groups):
            n = meta.row_group(g).num_rows
            if group_start + n > offset and group_start < wanted_end:
                groups.append(g)
                first = group_start if first is None else first
            group_start += n
        if groups:
            table = pq.ParquetFile(path).read_row_groups(groups)
            lo = max(offset - first, 0)
            tables.append(table.slice(lo, wanted_end - first - lo))
        start += meta.num_rows
    rows: list[list[str]] = []
    for table in tables:
        rows.extend([compact(v) for v in row.values()] for row in table.to_pylist())
    columns = [(f.name, short_type(f.type)) for f in schema]
    return Page(columns, rows[:limit], offset, split_rows(paths))


def short_type(arrow_type: pa.DataType) -> str:
    """A column type as a reader wants it: `list<struct<…5 fields>>` rather than every nested field."""
    import pyarrow as pa

    if pa.types.is_struct(arrow_type):
        names = [arrow_type.field(i).name for i in range(arrow_type.num_fields)]
        shown = ", ".join(names[:4]) + (", …" if len(names) > 4 else "")
        return f"struct<{shown}>"
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type) or pa.types.is_fixed_size_list(arrow_type):
        return f"list<{short_type(arrow_type.value_type)}>"
    return str(arrow_type)


def compact(value: Any) -> str:
    """A cell as short text: scalars as they are, nested values as compact JSON cut at a few hundred characters."""
    if value is None:
        return "null"
    if isinstance(value, (list, dict)):
        text = json.dumps(_rounded(value), default=str, ensure_ascii=False, separators=(",", ":"))
    elif isinstance(value, float):
        text = f"{value:.6g}"
    else:
        text = str(value)
    return text if len(text) <= _CELL_CHARS else text[: _CELL_CHARS - 1] + "…"


def _rounded(value: Any) -> Any:
    """Floats inside nested values cut to 6 significant digits (float32 noise is not information)."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value
