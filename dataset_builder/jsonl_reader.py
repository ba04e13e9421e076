"""The JSON Lines reader: one object per line, its keys named by a `ColumnMapping`; one raw record per line.

A UTF-8 BOM and CRLF or CR line ends are accepted; a JSON array is refused as a whole file (with how to convert
it); a line that is not a JSON object is a rejected record. Files, folders and zip members are found and opened
safely by `readers.iter_input_files`, as for the XML readers.
"""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

from dataset_builder.readers import (
    OPEN_ERRORS,
    READ_ERRORS,
    ColumnMapping,
    InflateError,
    file_reject,
    iter_input_files,
    raw_record,
    read_failure,
    reject,
)


def _as_list(value, sep: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return [part for part in re.split(sep, str(value)) if part.strip()]


def _lines(stream) -> Iterator[tuple[int, bytes]]:
    """Numbered lines of a binary stream: LF, CRLF and CR each end a line; a leading UTF-8 BOM is dropped."""
    number, first = 0, True
    for chunk in stream:  # split at each LF
        if first and chunk.startswith(codecs.BOM_UTF8):
            chunk = chunk[len(codecs.BOM_UTF8) :]
        first = False
        parts = chunk.rstrip(b"\n").split(b"\r")  # a JSON text has no raw CR: a CR ends a line
        if len(parts) > 1 and not parts[-1]:
            parts.pop()  # CRLF or CR: the CR was the line end
        for part in parts:
            number += 1
            yield number, part


_JSON_ARRAY = (
    "a JSON array, not JSON Lines (one object per line); convert it, e.g. `jq -c '.[]' FILE > FILE.jsonl`, "
    "and pass that"
)


def _parse_line(line: bytes) -> tuple[object, str | None, str | None]:
    """(the line's JSON value, or None with a reject reason and detail)."""
    try:
        return json.loads(line.decode("utf-8")), None, None
    except UnicodeDecodeError as err:
        return None, "bad_encoding", f"not UTF-8 ({err.reason} at byte {err.start}); re-encode the file as UTF-8"
    except json.JSONDecodeError as err:
        return None, "malformed_record", f"invalid JSON ({err.msg} at column {err.colno}); fix or remove the line"
    except (RecursionError, ValueError) as err:  # nesting beyond the parser's depth; a number with too many digits
        why = "nested too deeply" if isinstance(err, RecursionError) else str(err).split(";")[0]
        return None, "malformed_record", f"unreadable JSON ({why}); fix or remove the line"


def _lang_code(value) -> str | None:
    return (str(value).strip().lower() or None) if value else None


def _jsonl_record(obj: dict, m: ColumnMapping, name: str, locator: str) -> dict:
    names = _as_list(obj.get(m.owner), r"\|")
    ids = _as_list(obj.get(m.owner_id), r"\|") if m.owner_id else []
    owners = [{"id": None, "name": n.strip()} for n in names] or [{"id": i.strip(), "name": None} for i in ids]
    number, date, text = obj.get(m.application_number), obj.get(m.filing_date), obj.get(m.goods_services)
    lang = obj.get(m.goods_services_lang) if m.goods_services_lang else None
    return raw_record(
        name,
        locator,
        application_number=None if number is None else str(number),
        filing_date=None if date is None else str(date),
        class_codes=_as_list(obj.get(m.nice_classes), r"[\s,;|]+"),
        goods_services=[{"code": None, "text": str(text), "lang": _lang_code(lang)}] if text else [],
        owners=owners,
    )


def _read_jsonl_file(stream, name: str, m: ColumnMapping) -> Iterator[dict]:
    first = True
    for line_no, line in _lines(stream):
        if not line.strip():
            continue
        locator = f"line {line_no}"
        obj, reason, detail = _parse_line(line)
        if first and line.lstrip().startswith(b"[") and (reason or any(isinstance(o, dict) for o in obj)):
            yield file_reject(name, "wrong_format", _JSON_ARRAY)  # an array, over several lines or on one
            return
        first = False
        if reason:
            yield reject(name, locator, reason, detail)
        elif not isinstance(obj, dict):
            detail = f"expected an object, got {type(obj).__name__}; JSON Lines has one object per line"
            yield reject(name, locator, "malformed_record", detail)
        else:
            yield _jsonl_record(obj, m, name, locator)


def read_jsonl(path: Path, mapping: ColumnMapping | None = None) -> Iterator[dict]:
    """Raw records of JSON Lines files under `path`, one object per line (`mapping` names the keys)."""
    m = mapping or ColumnMapping()
    for item in iter_input_files(path, (".jsonl", ".json", ".ndjson")):
        if isinstance(item, dict):
            yield item
            continue
        try:
            stream = item.open()
        except OPEN_ERRORS as err:
            yield file_reject(item.name, "unreadable_file", read_failure(err))
            continue
        with stream if isinstance(stream, io.BufferedIOBase) else io.BufferedReader(stream) as lines:
            try:
                yield from _read_jsonl_file(lines, item.name, m)
            except InflateError as err:
                yield reject(item.name, "document", "unsafe_archive_member", str(err))
            except READ_ERRORS as err:
                yield file_reject(item.name, "unreadable_file", read_failure(err))
