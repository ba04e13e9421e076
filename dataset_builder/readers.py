"""Streaming readers: raw registry records in, one flat raw record (`RAW_SCHEMA`) per input record out.

Readers only extract fields; validation and normalisation happen later, in SQL (`normalize.py`, `steps.py`).
A record that cannot be read at all is still yielded, with `error` (a reason code) and `detail` set, so that
every input record ends up either kept or rejected.

* EUIPO trade mark XML (`TradeMark` elements, namespace `http://euipo.europa.eu/trademark/data`): single files,
  folders and zip archives. Owners are applicant identifiers. Each class's goods/services text is the English one,
  else the first language given, labelled with its ISO 639-1 code (`goods_services[].lang`), never as English.
* USPTO trademark daily XML v2.0 (`case-file` elements). Owners are the applicants at filing: the
  `case-file-owner`s of the lowest party-type group (10-19 applicant, else 20-29, ...), i.e. not later assignees.
* JSONL with a column mapping (`ColumnMapping`), in `jsonl_reader.py`: a UTF-8 BOM and CRLF or CR line ends are
  accepted; a JSON array is refused as a whole file (with how to convert it). CSV/Parquet and the USPTO Case Files
  CSV tables are read by DuckDB directly (see `sources.py`, `uspto_csv.py`), which is much faster than any Python
  loop.

XML is parsed with lxml (libxml2) hardened: no entity is substituted, no DTD or external entity is ever loaded, no
network; a document whose DTD declares entities is refused; nesting, text nodes and entity amplification are bounded
by libxml2's default limits. Zip members with absolute or `..` names are refused and inflated sizes are bounded.

A file that cannot be read at all (missing, not a zip, an I/O error) is one file-level reject: locator `-`
(`FILE_LEVEL`), reason `unreadable_file` or `wrong_format`. Every detail says what is wrong and what to do, without
the file's name (the reject carries it).
"""

from __future__ import annotations

import io
import logging
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyarrow as pa
from lxml import etree
from lxml.etree import _Element as Element

from hub_client.errors import InputError

logger = logging.getLogger(__name__)

EUIPO_NS = "{http://euipo.europa.eu/trademark/data}"
MAX_XML_DEPTH = 256  # libxml2's nesting limit without XML_PARSE_HUGE (lxml's huge_tree=False); deeper is refused
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
    path: str = ""  # the file, or the zip archive of a member
    member: str | None = None  # the zip member's name
    size: int = 0  # bytes (inflated, for a member)


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
    if "\\" not in name and ".." not in name and not name.startswith("/") and name[1:2] != ":":
        return None  # the common case, without a path object per member
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
        yield InputFile(str(path), lambda: open(path, "rb"), str(path), None, path.stat().st_size)
        return
    archive = open_zip(path)
    if isinstance(archive, dict):
        yield archive
        return
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if (item := zip_member(archive, path, info, suffixes)) is not None:
                yield item


def open_zip(path: Path) -> zipfile.ZipFile | dict:
    """The zip archive at `path`, or its file-level reject when it cannot be read as one."""
    try:
        return zipfile.ZipFile(path)
    except READ_ERRORS as err:
        return file_reject(
            str(path), "unreadable_file", f"not a readable zip archive ({err}); copy it again or unzip it first"
        )


def zip_member(
    archive: zipfile.ZipFile, path: Path, info: zipfile.ZipInfo, suffixes: tuple[str, ...]
) -> InputFile | dict | None:
    """One member of an open zip archive at `path`: its `InputFile`, a file-level reject when unsafe, None when
    skipped."""
    name = f"{path}!{info.filename}"
    if info.is_dir():
        return None
    if problem := _unsafe_member(info.filename):
        return file_reject(name, "unsafe_archive_member", f"{problem}; refused: rename it inside the archive")
    if os.path.splitext(info.filename)[1].lower() not in suffixes:
        return None
    limit = min(MAX_MEMBER_BYTES, max(1 << 20, MAX_INFLATE_RATIO * max(info.compress_size, 1)))
    if info.file_size > limit:
        return file_reject(
            name,
            "unsafe_archive_member",
            f"declares {info.file_size} bytes inflated from {info.compress_size}, over the limit of {limit} "
            f"({MAX_INFLATE_RATIO}x its compressed size, at least 1 MiB, at most {MAX_MEMBER_BYTES >> 30} "
            "GiB; a zip bomb?); refused: extract it and pass the file itself if you trust it",
        )
    return InputFile(
        name,
        lambda: _Bounded(archive.open(info), limit, name, info.file_size),
        str(path),
        info.filename,
        info.file_size,
    )


# --- Safe streaming XML ---------------------------------------------------------------------------------------


def _iter_elements(stream, tag: str, name: str) -> Iterator[Element | dict]:
    """Yield each complete `tag` element (then free it and its earlier siblings); a failure ends the file in a reject.

    A document whose DTD declares entities (billion laughs, external entities) is refused before any of its elements
    is yielded; an internal DTD subset without entities (the USPTO daily XML's) is fine. Parse errors are located at
    libxml2's position (1-based line and column, where the parser stopped); hitting a libxml2 limit (nesting deeper
    than `MAX_XML_DEPTH`, a text node over 10 MB, entity amplification) is `unsafe_xml`.
    """
    context = etree.iterparse(
        stream, events=("end",), tag=tag, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        remove_comments=True, remove_pis=True,  # so that text around a comment is one text, as with ElementTree
    )  # fmt: skip
    checked = False
    try:
        for _, elem in context:
            if not checked:
                checked = True
                if declared := _declared_entities(elem):
                    yield reject(name, "document", "unsafe_xml", _ENTITIES_REFUSED.format(declared))
                    return
            yield elem
            elem.clear()
            while elem.getprevious() is not None:  # what the document held before it (all yielded already)
                del elem.getparent()[0]
    except etree.XMLSyntaxError as err:
        yield _xml_error(name, context, err)
        return
    except InflateError as err:  # the zip member inflated beyond its bound (`_Bounded`)
        yield reject(name, "document", "unsafe_archive_member", str(err))
        return
    except READ_ERRORS as err:  # a bad CRC, a truncated member, a disk error
        yield file_reject(name, "unreadable_file", read_failure(err))
        return
    if not checked and context.root is not None and (declared := _declared_entities(context.root)):
        yield reject(name, "document", "unsafe_xml", _ENTITIES_REFUSED.format(declared))


_ENTITIES_REFUSED = "the DTD declares entities ({}); refused: remove the document's DTD entity declarations"


def _declared_entities(elem: Element) -> str:
    """The entities the document's internal DTD subset declares (the external subset is never loaded), or ''."""
    dtd = elem.getroottree().docinfo.internalDTD
    return "" if dtd is None else ", ".join(e.name for e in dtd.iterentities())


_LIMIT_ERRORS = {getattr(etree.ErrorTypes, "ERR_RESOURCE_LIMIT", -1), etree.ErrorTypes.ERR_ENTITY_LOOP}


def _xml_error(name: str, context: etree.iterparse, err: etree.XMLSyntaxError) -> dict:
    """The reject for a libxml2 error: its first fatal error as logged (`err` itself may be lxml's generic one).

    One line, "<what is wrong>; <what to do>", without the position (the locator has it).
    """
    entry = next((e for e in context.error_log if e.level == etree.ErrorLevels.FATAL), None)
    line, column = (entry.line, entry.column) if entry else err.position
    message = " ".join((entry.message if entry else err.msg).split())  # one line
    if (entry.type if entry else err.code) in _LIMIT_ERRORS or re.search("depth|amplification", message):
        if "depth" in message:
            why = f"nesting deeper than {MAX_XML_DEPTH} elements; refused: not a registry file?"
        elif "amplification" in message or "loop" in message:
            why = (
                f"entities expand beyond libxml2's limits, a billion laughs? ({message.split(',')[0]}); "
                "refused: remove the document's DTD entity declarations"
            )
        else:
            why = f"over a libxml2 limit ({message.split(',')[0]}); refused: not a registry file?"
        return reject(name, "document", "unsafe_xml", why)
    detail = f"not well-formed: {message}; the rest of the file is lost: fix the file or pass a complete copy"
    return reject(name, f"line {line} column {column}" if line else "document", "malformed_xml", detail)


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
        yield from _read_xml_item(item, tag, to_record)


def _read_xml_item(item: InputFile | dict, tag: str, to_record) -> Iterator[dict]:
    if isinstance(item, dict):
        yield item
        return
    try:
        stream = item.open()
    except OPEN_ERRORS as err:
        yield file_reject(item.name, "unreadable_file", read_failure(err))
        return
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


def read_xml_item(source: str, item: InputFile | dict) -> Iterator[dict]:
    """Raw records of one item of `iter_input_files` (a file or zip member) of the `euipo` or `uspto-xml` source."""
    if source == "euipo":
        return _read_xml_item(item, f"{EUIPO_NS}TradeMark", _euipo_record)
    return _read_xml_item(item, "case-file", _uspto_record)
