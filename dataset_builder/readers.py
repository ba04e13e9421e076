"""Streaming readers: raw registry records in, one flat raw record (`RAW_SCHEMA`) per input record out.

Readers only extract fields; validation and normalisation happen later, in SQL (`normalize.py`, `steps.py`).
A record that cannot be read at all is still yielded, with `error` (a reason code) and `detail` set, so that
every input record ends up either kept or rejected.

* EUIPO trade mark XML (`TradeMark` elements, namespace `http://euipo.europa.eu/trademark/data`): single files,
  folders and zip archives. Owners are applicant identifiers. Each class's goods/services text is the English one,
  else the first language given, labelled with its ISO 639-1 code (`goods_services[].lang`), never as English.
* USPTO trademark daily XML v2.0 (`case-file` elements). Owners are the applicants at filing: the
  `case-file-owner`s of the lowest party-type group (10-19 applicant, else 20-29, ...), i.e. not later assignees.
* JSONL with a column mapping (`ColumnMapping`): a UTF-8 BOM and CRLF or CR line ends are accepted; a JSON array
  is refused as a whole file (with how to convert it). CSV/Parquet and the USPTO Case Files CSV tables are read by
  DuckDB directly (see `sources.py`), which is much faster than any Python loop.

XML is parsed with defusedxml on expat: no DTD or external entity is ever loaded, entity declarations are refused,
nesting is bounded. Zip members with absolute or `..` names are refused and inflated sizes are bounded.

A file that cannot be read at all (missing, not a zip, an I/O error) is one file-level reject: locator `-`
(`FILE_LEVEL`), reason `unreadable_file` or `wrong_format`. Every detail says what is wrong and what to do, without
the file's name (the reject carries it).
"""

from __future__ import annotations

import codecs
import io
import json
import logging
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET
import pyarrow as pa
from defusedxml import DefusedXmlException

from hub_client.errors import InputError

logger = logging.getLogger(__name__)

EUIPO_NS = "{http://euipo.europa.eu/trademark/data}"
MAX_XML_DEPTH = 64
MAX_MEMBER_BYTES = 4 << 30  # largest inflated zip member we read
MAX_INFLATE_RATIO = 200  # a member inflating more than this (and beyond 1 MiB) is treated as a zip bomb
FILE_LEVEL = "-"  # the locator of a reject that stands for a whole file

_GS_CODE = re.compile(r"^GS(\d{3})\d$")

RAW_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("locator", pa.string()),
        ("application_number", pa.string()),
        ("filing_date", pa.string()),
        ("class_codes", pa.list_(pa.string())),
        # lang: the text's ISO 639-1 code ("en"), null when the source does not say
        ("goods_services", pa.list_(pa.struct([("code", pa.string()), ("text", pa.string()), ("lang", pa.string())]))),
        ("owners", pa.list_(pa.struct([("id", pa.string()), ("name", pa.string())]))),
        ("error", pa.string()),  # reason code when the record could not be read
        ("detail", pa.string()),
    ]
)


@dataclass
class ColumnMapping:
    """Which input column holds each field (generic CSV, Parquet and JSONL sources).

    `owner` may hold several owners separated by `|` (or be a JSON list); `nice_classes` may be `"9;42"`,
    `"9, 42"` or a JSON list. `owner_id` is optional: owners known only by an id. `goods_services_lang`, optional
    too, holds the text's ISO 639-1 language code; without it the language is unknown (null), not assumed English.
    """

    application_number: str = "application_number"
    filing_date: str = "filing_date"
    nice_classes: str = "nice_classes"
    owner: str = "owner"
    owner_id: str | None = "owner_id"
    goods_services: str = "goods_services"
    goods_services_lang: str | None = "goods_services_lang"

    @classmethod
    def from_pairs(cls, pairs: list[str] | None) -> ColumnMapping:
        """Parse `field=column` pairs, e.g. `["owner=Applicant", "filing_date=FilingDate"]`."""
        mapping = cls()
        for pair in pairs or []:
            key, sep, value = pair.partition("=")
            if not sep or key not in cls.__dataclass_fields__:
                raise ValueError(
                    f"Invalid column mapping {pair!r}: expected FIELD=COLUMN with FIELD one of "
                    f"{', '.join(cls.__dataclass_fields__)}."
                )
            setattr(mapping, key, value)
        return mapping


def raw_record(source_file: str, locator: str, **fields) -> dict:
    """A raw record dict with every `RAW_SCHEMA` column present."""
    record = dict.fromkeys(RAW_SCHEMA.names)
    record.update(source_file=source_file, locator=locator, class_codes=[], goods_services=[], owners=[])
    record.update(fields)
    return record


def reject(source_file: str, locator: str, error: str, detail: str) -> dict:
    return raw_record(source_file, locator, error=error, detail=detail)


def file_reject(source_file: str, error: str, detail: str) -> dict:
    """A reject that stands for a whole file (locator `FILE_LEVEL`); `detail`: what is wrong; what to do."""
    return reject(source_file, FILE_LEVEL, error, detail)


# Errors while reading a file's bytes (a zip member with a bad CRC or a truncated stream, a disk error), and while
# opening one (an encrypted zip member, an unsupported compression method).
READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error)
OPEN_ERRORS = (*READ_ERRORS, RuntimeError, NotImplementedError)


def read_failure(err: BaseException) -> str:
    """The detail of a file-level reject for a read error (no file name: the reject carries it)."""
    what = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return f"could not be read ({what}); check the file (copy it again if it is truncated) or leave it out"


# --- Input files: plain files, folders, zip archives (safely) -------------------------------------------------


@dataclass
class InputFile:
    name: str  # shown in rejects and errors: "path" or "archive.zip!member"
    open: object  # () -> binary file object


class InflateError(InputError):
    """A zip member inflated beyond its bound."""


class _Bounded(io.RawIOBase):
    """A read-only stream that fails once more than `limit` bytes were read (zip bombs lie about sizes)."""

    def __init__(self, raw, limit: int, name: str, declared: int | None = None):
        super().__init__()
        self.raw, self.limit, self.name, self.declared, self.read_bytes = raw, limit, name, declared, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(min(len(buffer), 1 << 16))
        self.read_bytes += len(data)
        if self.read_bytes > self.limit:
            declared = "" if self.declared is None else f" (it declares {self.declared})"
            raise InflateError(
                f"inflates beyond {self.limit} bytes{declared}, the limit for its compressed size (a zip bomb?); "
                "refused: extract it and pass the file itself if you trust it"
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def _unsafe_member(name: str) -> str | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or re.match(r"^[A-Za-z]:", name) or ".." in path.parts:
        return f"zip member name {name!r} is absolute or leaves the archive"
    return None


def iter_input_files(path: Path, suffixes: tuple[str, ...]) -> Iterator[InputFile | dict]:
    """The files under `path` with one of `suffixes` (folders recursively, zip members).

    A missing path, an unreadable zip and unsafe zip members are yielded as file-level rejects (`file_reject`).
    """
    if not path.exists():
        yield file_reject(str(path), "unreadable_file", "no such file or folder; check the --input path")
        return
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if child.suffix.lower() in suffixes or child.suffix.lower() == ".zip":
                yield from iter_input_files(child, suffixes)
        return
    if path.suffix.lower() != ".zip":
        yield InputFile(str(path), lambda: open(path, "rb"))
        return
    try:
        archive = zipfile.ZipFile(path)
    except READ_ERRORS as err:
        yield file_reject(
            str(path), "unreadable_file", f"not a readable zip archive ({err}); copy it again or unzip it first"
        )
        return
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            name = f"{path}!{info.filename}"
            if info.is_dir():
                continue
            if problem := _unsafe_member(info.filename):
                yield file_reject(name, "unsafe_archive_member", f"{problem}; refused: rename it inside the archive")
                continue
            if PurePosixPath(info.filename).suffix.lower() not in suffixes:
                continue
            limit = min(MAX_MEMBER_BYTES, max(1 << 20, MAX_INFLATE_RATIO * max(info.compress_size, 1)))
            if info.file_size > limit:
                yield file_reject(
                    name,
                    "unsafe_archive_member",
                    f"declares {info.file_size} bytes inflated from {info.compress_size}, over the limit of {limit} "
                    f"({MAX_INFLATE_RATIO}x its compressed size, at least 1 MiB, at most {MAX_MEMBER_BYTES >> 30} "
                    "GiB; a zip bomb?); refused: extract it and pass the file itself if you trust it",
                )
                continue
            yield InputFile(
                name,
                lambda info=info, name=name, limit=limit: _Bounded(archive.open(info), limit, name, info.file_size),
            )


# --- Safe streaming XML ---------------------------------------------------------------------------------------


def _iter_elements(stream, tag: str, name: str) -> Iterator[Element | dict]:
    """Yield each complete `tag` element (then free it); a parse failure ends the file with one reject."""
    depth, stack = 0, []
    try:
        for event, elem in DET.iterparse(stream, events=("start", "end"), forbid_dtd=False):
            if event == "start":
                depth += 1
                if depth > MAX_XML_DEPTH:
                    raise InputError(f"nesting deeper than {MAX_XML_DEPTH} elements; refused: not a registry file?")
                stack.append(elem)
                continue
            depth -= 1
            stack.pop()
            if elem.tag == tag:
                yield elem
                elem.clear()
                if stack:
                    stack[-1].remove(elem)
    except DefusedXmlException as err:
        detail = f"{type(err).__name__} ({err}); refused: remove the document's DTD entity declarations"
        yield reject(name, "document", "unsafe_xml", detail)
    except ParseError as err:
        why = re.sub(r": line \d+, column \d+$", "", str(err))  # the locator has the position
        detail = f"{why}; the rest of the file is lost: fix the file or pass a complete copy"
        yield reject(name, f"line {err.position[0]} column {err.position[1]}", "malformed_xml", detail)
    except InflateError as err:
        yield reject(name, "document", "unsafe_archive_member", str(err))
    except InputError as err:
        yield reject(name, "document", "unsafe_xml", str(err))
    except READ_ERRORS as err:
        yield file_reject(name, "unreadable_file", read_failure(err))


def _text(elem: Element | None) -> str | None:
    if elem is None or elem.text is None:
        return None
    return elem.text.strip() or None


def _euipo_record(tm: Element, name: str, index: int) -> dict:
    ns = EUIPO_NS
    number = _text(tm.find(f"{ns}ApplicationNumber"))
    gs, codes = [], []
    for desc in tm.iter(f"{ns}ClassDescription"):
        code = _text(desc.find(f"{ns}ClassNumber"))
        codes.append(code or "")
        texts = [
            ((d.get("languageCode") or "").strip().lower() or None, text)
            for d in desc.findall(f"{ns}GoodsServicesDescription")
            if (text := _text(d))
        ]
        if texts:  # English, else the first language given: labelled with its code either way
            lang, text = next((t for t in texts if t[0] == "en"), texts[0])
            gs.append({"code": code, "text": text, "lang": lang})
    owners = [
        {"id": ident, "name": None}
        for key in tm.iter(f"{ns}ApplicantKey")
        if (ident := _text(key.find(f"{ns}Identifier")))
    ]
    locator = f"TradeMark #{index}" + (f" ({number})" if number else "")
    return raw_record(
        name,
        locator,
        application_number=number,
        filing_date=_text(tm.find(f"{ns}ApplicationDate")),
        class_codes=codes,
        goods_services=gs,
        owners=owners,
    )


def _uspto_owners(case: Element) -> list[dict]:
    owners = []
    for owner in case.iter("case-file-owner"):
        party = _text(owner.find("party-type")) or "99"
        group = int(party) // 10 if party.isdigit() else 99
        owners.append((group, _text(owner.find("party-name"))))
    if not owners:
        return []
    first = min(group for group, _ in owners)
    return [{"id": None, "name": n} for group, n in owners if group == first and n]


def _uspto_record(case: Element, name: str, index: int) -> dict:
    number = _text(case.find("serial-number"))
    gs = []
    for statement in case.iter("case-file-statement"):
        match = _GS_CODE.match(_text(statement.find("type-code")) or "")
        if match and (text := _text(statement.find("text"))):
            gs.append({"code": match.group(1), "text": text, "lang": "en"})  # USPTO texts are English
    return raw_record(
        name,
        f"case-file #{index}" + (f" ({number})" if number else ""),
        application_number=number,
        filing_date=_text(case.find("case-file-header/filing-date")),
        class_codes=[_text(c) or "" for c in case.iter("international-code")],
        goods_services=gs,
        owners=_uspto_owners(case),
    )


def _read_xml(path: Path, tag: str, to_record) -> Iterator[dict]:
    for item in iter_input_files(path, (".xml",)):
        if isinstance(item, dict):
            yield item
            continue
        try:
            stream = item.open()
        except OPEN_ERRORS as err:
            yield file_reject(item.name, "unreadable_file", read_failure(err))
            continue
        with stream:
            index = 0
            for elem in _iter_elements(stream, tag, item.name):
                if isinstance(elem, dict):
                    yield elem
                else:
                    index += 1
                    yield to_record(elem, item.name, index)


def read_euipo(path: Path) -> Iterator[dict]:
    """Raw records of the EUIPO trade mark XML files under `path` (file, folder or zip)."""
    return _read_xml(path, f"{EUIPO_NS}TradeMark", _euipo_record)


def read_uspto_xml(path: Path) -> Iterator[dict]:
    """Raw records of USPTO trademark daily XML v2.0 files under `path` (file, folder or zip)."""
    return _read_xml(path, "case-file", _uspto_record)


# --- JSONL --------------------------------------------------------------------------------------------------


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
