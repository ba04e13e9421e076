"""Readers and validation on the real samples and on hand-written bad and hostile inputs.

Every input record must end up kept or in rejects.jsonl (read = kept + rejected); nothing crashes; a wholly
unreadable input is a file-level reject, or with `strict` one clear error naming the file; hostile XML/zip input
reads no local file and writes nothing outside the output folder. More malformed inputs: `test_dataset_malformed.py`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dataset_builder.build import build_dataset
from dataset_builder.readers import ColumnMapping, InputError
from tests.helpers.paths import SHARED_DATA

SAMPLES = SHARED_DATA
FIXTURES = Path(__file__).parent / "fixtures" / "dataset"
needs_samples = pytest.mark.skipif(not SAMPLES.exists(), reason="real samples not available")


def rows(out: Path, config: str) -> list[dict]:
    """All rows of a config, every split, in file order."""
    files = sorted((out / "repo" / "data" / config).glob("*.parquet"))
    return [r for f in files for r in pq.read_table(f).to_pylist()]


def rejects(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]


def build(tmp_path: Path, source: str, inputs, **kwargs):
    return build_dataset(tmp_path / "out", source=source, inputs=inputs, write_card=False, **kwargs)


# --- Real samples ---------------------------------------------------------------------------------------------


@needs_samples
def test_euipo_sample(tmp_path):
    report = build(tmp_path, "euipo", [SAMPLES / "euipo_sample"])
    assert (report.records_read, report.records_kept, report.records_rejected) == (12, 11, 1)
    assert report.rejected_by_reason == {"firm_below_min_filings": 1}
    assert report.filings_without_firm == 1
    firms = {r["firm_id"]: r for r in rows(tmp_path / "out", "sequences")}
    assert sorted(firms) == ["euipo:343794", "euipo:442287"]
    mowers = firms["euipo:343794"]
    assert mowers["firm_name"] == "343794" and mowers["n_filings"] == 4
    assert [f["application_number"] for f in mowers["filings"]] == ["018224164", "018224172", "018224918", "018224919"]
    first = mowers["filings"][0]
    assert first == {
        "application_number": "018224164",
        "filing_date": dt.date(2020, 4, 9),
        "nice_classes": [7],
        "terms": ["lawnmowers [machines]"],
        "goods_services": "Class 7: Lawnmowers [machines]",
        "goods_services_lang": ["en"],
    }
    assert mowers["oracle_last_filing_class_probs"] is None
    assert [f["nice_classes"] for f in firms["euipo:442287"]["filings"]] == [[9], [18], [26], [45], [25], [42]]
    assert {r["reason"]: r["locator"] for r in rejects(tmp_path / "out")} == {
        "firm_below_min_filings": "TradeMark #1 (018226259)",
    }
    # The record without an applicant is a filing without a firm: in `filings` (null firm), in no sequence.
    (orphan,) = [r for r in rows(tmp_path / "out", "filings") if r["firm_id"] is None]
    assert orphan["application_number"] == "018222204" and orphan["firm_name"] is None
    assert orphan["nice_classes"] == [25, 35, 36]
    assert orphan["goods_services"].startswith("Class 25: Clothing; Footwear")
    assert orphan["goods_services_lang"] == ["en", "en", "en"]
    assert sum(report.filings.values()) == 11  # 4 + 6 filings of the two firms, and the one without a firm


@needs_samples
def test_euipo_sample_two_owners_belong_to_each(tmp_path):
    report = build(tmp_path, "euipo", [SAMPLES / "euipo_sample"], min_filings=1)
    assert (report.records_read, report.records_kept, report.records_rejected) == (12, 12, 0)
    filings = rows(tmp_path / "out", "filings")
    assert len(filings) == 13 and report.filings_without_firm == 1
    shared = sorted((r["firm_id"], r["goods_services"]) for r in filings if r["application_number"] == "018226259")
    text = "Class 12: Scooters; Push scooters [vehicles]; Class 25: Clothing; Clothing for sports"
    assert shared == [("euipo:1080311", text), ("euipo:911029", text)]
    assert all(r["source"] == "euipo" for r in filings)


@needs_samples
def test_uspto_xml_sample(tmp_path):
    report = build(tmp_path, "uspto-xml", [SAMPLES / "uspto_sample" / "seed.xml"], min_filings=1)
    assert (report.records_read, report.records_kept, report.records_rejected) == (11, 11, 0)
    firms = {r["firm_id"]: r for r in rows(tmp_path / "out", "sequences")}
    assert sorted(firms) == [
        "audion-elektro", "bell-and-gossett", "carboline", "celanese-corporation-of-america", "northam-warren",
        "rock-creek-ginger-ale", "solenis-technologies", "tusimple", "united-states-envelope",
    ]  # fmt: skip
    tusimple = firms["tusimple"]
    assert [(f["application_number"], f["filing_date"]) for f in tusimple["filings"]] == [
        ("87310367", dt.date(2017, 1, 23)),
        ("87703889", dt.date(2017, 11, 30)),  # same day: ordered by application number
        ("87703896", dt.date(2017, 11, 30)),
    ]
    first = tusimple["filings"][0]
    assert first["nice_classes"] == [9, 12, 39, 42]
    assert first["goods_services"].startswith("Class 9: Computer software, computer software applications")
    assert "; Class 12: Autonomous land vehicles" in first["goods_services"]
    assert first["terms"][:3] == ["computer software", "computer software applications", "operating systems"]
    # The applicant at filing, not later assignees (Northam Warren filed; Revlon/Cutex came later).
    assert firms["northam-warren"]["firm_name"] == "NORTHAM WARREN CORPORATION"
    assert firms["northam-warren"]["filings"][0]["filing_date"] == dt.date(1918, 7, 11)
    assert firms["carboline"]["filings"][0]["nice_classes"] == [1, 2, 3, 19]


@needs_samples
def test_uspto_sample_min_filings(tmp_path):
    report = build(tmp_path, "uspto-xml", [SAMPLES / "uspto_sample"])
    assert (report.records_read, report.records_kept, report.records_rejected) == (11, 3, 8)
    assert report.rejected_by_reason == {"firm_below_min_filings": 8}
    assert report.firms_below_min_filings == 8
    assert [r["firm_id"] for r in rows(tmp_path / "out", "sequences")] == ["tusimple"]


# --- Hand-written bad input ----------------------------------------------------------------------------------


def test_euipo_bad_values_and_hostile_xml(tmp_path):
    report = build(tmp_path, "euipo", [FIXTURES / "euipo_bad"])
    assert (report.records_read, report.records_kept, report.records_rejected) == (14, 4, 10)
    assert report.rejected_by_reason == {
        "date_out_of_range": 1, "duplicate_filing": 1, "firm_below_min_filings": 1, "invalid_date": 1,
        "malformed_xml": 1, "missing_application_number": 1, "missing_date": 1, "no_valid_class": 1, "unsafe_xml": 2,
    }  # fmt: skip
    assert report.filings_without_firm == 1  # 000000007 names no applicant
    assert report.dropped_class_codes == {"46": 1}
    got = {(Path(r["source_file"]).name, r["locator"], r["reason"]) for r in rejects(tmp_path / "out")}
    assert ("b_bad_values.xml", "TradeMark #3 (000000006)", "no_valid_class") in got
    assert ("c_truncated.xml", "line 15 column 40", "malformed_xml") in got  # libxml2: 1-based, where input ended
    assert ("d_xxe.xml", "document", "unsafe_xml") in got and ("e_laughs.xml", "document", "unsafe_xml") in got
    bad_classes = next(r for r in rejects(tmp_path / "out") if r["reason"] == "no_valid_class")
    assert bad_classes["detail"] == "class codes [0, A, 200, 9a]"
    filings = rows(tmp_path / "out", "filings")
    assert sorted((r["firm_id"] or "", r["application_number"]) for r in filings) == [
        ("", "000000007"), ("euipo:100", "000000001"), ("euipo:100", "000000002"), ("euipo:200", "000000002"),
        ("euipo:200", "000000003"),
    ]  # fmt: skip
    first = next(r for r in filings if r["application_number"] == "000000001")
    assert first["nice_classes"] == [9] and first["terms"] == ["computer software", "smartphones"]
    saas = next(r for r in filings if r["application_number"] == "000000003")
    assert saas["goods_services"] == "Class 42: Software as a service [SaaS], cloud computing"  # English, not French
    assert saas["goods_services_lang"] == ["en"]
    assert "root:" not in json.dumps(filings, default=str) + (tmp_path / "out" / "rejects.jsonl").read_text()


def test_uspto_bad_values(tmp_path):
    report = build(tmp_path, "uspto-xml", [FIXTURES / "uspto_bad.xml"])
    assert (report.records_read, report.records_kept, report.records_rejected) == (6, 4, 2)
    assert report.rejected_by_reason == {"invalid_date": 1, "no_valid_class": 1}
    (unowned,) = [r for r in rows(tmp_path / "out", "filings") if r["firm_id"] is None]
    assert unowned["application_number"] == "80000005" and report.filings_without_firm == 1
    assert report.dropped_class_codes == {"A": 1}
    firms = {r["firm_id"]: r for r in rows(tmp_path / "out", "sequences")}
    assert {k: [f["application_number"] for f in v["filings"]] for k, v in firms.items()} == {
        "acme-widgets": ["80000001", "80000002"],
        "beta": ["80000002", "80000003"],  # co-applicant of 80000002; the later assignee Gamma is not an owner
    }
    assert firms["acme-widgets"]["firm_name"] in {"Acme Widgets, Inc.", "ACME WIDGETS INC"}
    assert firms["acme-widgets"]["filings"][0]["goods_services"] == (
        "Class 9: Computer software, smartphones; Class 42: Cloud computing"
    )


CSV_BAD = (
    b"application_number,filing_date,nice_classes,owner,goods_services\n"
    b'C1,2020-01-01,9;42,Acme Widgets Inc.,"Class 9: Software; Class 42: SaaS"\n'
    b"C2,2020-02-01,09,ACME WIDGETS INC,Class 9: Smartphones\n"
    b"C3,2020-03-01,9,Bad \xff\xfe name,x\n"
    b"C4,2020-04-01,9,Foo,too,many\n"
    b"C5,not a date,9,Acme Widgets,x\n"
    b"C6,,9,Acme Widgets,x\n"
    b"C7,2020-05-01,46,Acme Widgets,x\n"
    b"C8,2020-05-01,9,,x\n"
    b"C1,2020-01-01,9,Acme Widgets,duplicate\n"
    b"C9,2020-06-01,25,Solo Ltd,x\n"
    b'C10,2020-07-01,9,"Acme Wid'  # truncated file: an unterminated quote and no final newline
)


def test_csv_bad_rows(tmp_path):
    path = tmp_path / "filings.csv"
    path.write_bytes(CSV_BAD)
    report = build(tmp_path, "csv", [path])
    assert (report.records_read, report.records_kept, report.records_rejected) == (11, 3, 8)
    assert report.rejected_by_reason == {
        "bad_encoding": 1, "duplicate_filing": 1, "firm_below_min_filings": 1, "invalid_date": 1,
        "malformed_record": 2, "missing_date": 1, "no_valid_class": 1,
    }  # fmt: skip
    assert [r["application_number"] for r in rows(tmp_path / "out", "filings") if r["firm_id"] is None] == ["C8"]
    found = {(r["reason"], r["locator"]) for r in rejects(tmp_path / "out")}
    assert {("bad_encoding", "line 4"), ("malformed_record", "line 5"), ("malformed_record", "line 12")} <= found
    (firm,) = rows(tmp_path / "out", "sequences")
    assert firm["firm_id"] == "acme-widgets" and firm["n_filings"] == 2
    assert firm["filings"][0]["terms"] == ["software", "saas"] and firm["filings"][1]["nice_classes"] == [9]


def test_xml_with_bad_encoding_keeps_what_came_before(tmp_path):
    path = tmp_path / "latin1.xml"
    good = (FIXTURES / "euipo_bad" / "a_good.xml").read_bytes()
    path.write_bytes(good.replace(b"Headphones.", b"Caf\xe9 headphones."))  # a Latin-1 byte in a UTF-8 file
    report = build(tmp_path, "euipo", [path], min_filings=1)
    assert report.rejected_by_reason == {"malformed_xml": 1}
    assert [r["application_number"] for r in rows(tmp_path / "out", "filings")] == ["000000001"]
    assert "not well-formed" in rejects(tmp_path / "out")[0]["detail"]


def test_jsonl_bad_lines(tmp_path):
    path = tmp_path / "filings.jsonl"
    good = {"application_number": "J1", "filing_date": "2020-01-01", "nice_classes": [9, 42], "owner": "Acme GmbH"}
    lines = [
        json.dumps(good).encode(),
        json.dumps({**good, "application_number": "J2", "nice_classes": "9", "goods_services": "Software"}).encode(),
        b'{"application_number": "J3", "filing_date": ',  # truncated
        b"[1, 2]",
        b'{"application_number": "J4", "owner": "Bad \xff"}',
        json.dumps({**good, "application_number": "J5", "owner": None, "owner_id": "77"}).encode(),
        json.dumps({**good, "application_number": "J6", "nice_classes": ["A", "200"]}).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = build(tmp_path, "jsonl", [path], min_filings=1)
    assert (report.records_read, report.records_kept, report.records_rejected) == (7, 3, 4)
    assert report.rejected_by_reason == {"bad_encoding": 1, "malformed_record": 2, "no_valid_class": 1}
    assert [r["locator"] for r in rejects(tmp_path / "out")] == ["line 3", "line 4", "line 5", "line 7"]
    assert sorted(r["firm_id"] for r in rows(tmp_path / "out", "sequences")) == ["acme", "jsonl:77"]


def test_column_mapping(tmp_path):
    path = tmp_path / "custom.csv"
    path.write_text("No,Date,Classes,Applicant,Text\nX1,2001-01-01,9,Zeta AG,Software\nX2,2002-01-01,42,Zeta,SaaS\n")
    mapping = ColumnMapping.from_pairs(
        ["application_number=No", "filing_date=Date", "nice_classes=Classes", "owner=Applicant", "goods_services=Text"]
    )
    report = build(tmp_path, "csv", [path], mapping=mapping)
    assert report.records_kept == 2
    assert [f["terms"] for f in rows(tmp_path / "out", "sequences")[0]["filings"]] == [["software"], ["saas"]]
    with pytest.raises(ValueError, match="Invalid column mapping 'colour=x'"):
        ColumnMapping.from_pairs(["colour=x"])
    with pytest.raises(InputError, match=r"custom.csv: missing column\(s\) \['application_number'.*--map"):
        build(tmp_path, "csv", [path], strict=True)
    with pytest.raises(InputError, match=r"--map FIELD=COLUMN; no input could be read, nothing to build$"):
        build(tmp_path, "csv", [path])  # without --strict too: the only input is refused, nothing to build


# --- A limit on the records read ------------------------------------------------------------------------------


def _raw_file(tmp_path: Path, fmt: str) -> Path:
    """40 synthetic raw records as a CSV, Parquet or JSONL file."""
    import pyarrow.csv as pacsv

    from dataset_builder.synthetic import SyntheticConfig, generate

    raw = generate(SyntheticConfig(n_firms=4, seed=1)).raw.slice(0, 40)
    path = tmp_path / f"raw.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in raw.to_pylist()))
    else:
        pacsv.write_csv(raw, path) if fmt == "csv" else pq.write_table(raw, path)
    return path


@pytest.mark.parametrize(
    ("source", "inputs", "limit"),
    [
        ("synthetic", lambda tmp: [], 25),
        ("euipo", lambda tmp: [FIXTURES / "euipo_bad"], 5),
        ("uspto-xml", lambda tmp: [FIXTURES / "uspto_bad.xml"], 4),
        ("uspto-csv", lambda tmp: [FIXTURES / "uspto_csv"], 3),
        ("csv", lambda tmp: [_raw_file(tmp, "csv")], 25),
        ("parquet", lambda tmp: [_raw_file(tmp, "parquet")], 25),
        ("jsonl", lambda tmp: [_raw_file(tmp, "jsonl")], 25),
    ],
)
def test_limit_caps_the_records_read(tmp_path, source, inputs, limit):
    paths = inputs(tmp_path)
    full = build_dataset(tmp_path / "full", source=source, inputs=paths, n_firms=4, seed=1, write_card=False)
    report = build_dataset(
        tmp_path / "out", source=source, inputs=paths, n_firms=4, seed=1, write_card=False, limit=limit
    )
    assert full.records_read > limit
    assert report.records_read == report.records_kept + report.records_rejected == limit
    assert len(rejects(tmp_path / "out")) == report.records_rejected


def test_limit_reads_the_first_records(tmp_path):
    path = _raw_file(tmp_path, "csv")
    first = {r["application_number"] for r in pq.read_table(_raw_file(tmp_path, "parquet")).slice(0, 25).to_pylist()}
    report = build(tmp_path, "csv", [path], min_filings=1, limit=25)
    assert report.records_kept == 25 and {r["application_number"] for r in rows(tmp_path / "out", "filings")} == first
    # CSV rows that cannot be parsed come after the parsed ones (9 parsed rows, 2 malformed).
    bad = tmp_path / "filings.csv"
    bad.write_bytes(CSV_BAD)
    assert build(tmp_path, "csv", [bad], limit=9).rejected_by_reason.get("malformed_record") is None
    report = build(tmp_path, "csv", [bad], limit=10)
    assert report.records_read == 10 and report.rejected_by_reason["malformed_record"] == 1
    with pytest.raises(ValueError, match="limit must be >= 1"):
        build(tmp_path, "csv", [bad], limit=0)


# --- Wholly unreadable input --------------------------------------------------------------------------------


def test_wholly_unreadable_inputs_name_the_file(tmp_path):
    """One line naming the file, what is wrong and what to do; without `strict` it adds that nothing could be read
    (next to readable files the same file is a file-level reject: `test_dataset_malformed.py`)."""
    garbage = tmp_path / "garbage.xml"
    garbage.write_bytes(b"\x00\x01not xml at all\xff")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    notzip = tmp_path / "broken.zip"
    notzip.write_bytes(b"PK\x03\x04 truncated")
    cases = [
        (
            "euipo",
            garbage,
            r"no readable record; at line 1 column 1: not well-formed: Start tag expected, '<' not found; ",
        ),
        ("uspto-xml", tmp_path / "missing.xml", "no such file or folder; check the --input path"),
        ("csv", empty, "empty file, expected a CSV header; leave it out or add the header"),
        ("euipo", notzip, r"not a readable zip archive \(.*\); copy it again or unzip it first"),
    ]
    for source, path, message in cases:
        with pytest.raises(InputError, match=f"^{re.escape(str(path))}: {message}"):
            build(tmp_path, source, [path], strict=True)
        with pytest.raises(InputError, match=f"^{re.escape(str(path))}.*; no input could be read, nothing to build$"):
            build(tmp_path, source, [path])
    with pytest.raises(ValueError, match="needs at least one input"):
        build_dataset(tmp_path / "o", source="euipo")
    with pytest.raises(ValueError, match="Unknown source 'xls'"):
        build_dataset(tmp_path / "o", source="xls")


# --- Hostile archives and XML ---------------------------------------------------------------------------------


def _euipo_xml(number: str, applicant: str = "1") -> bytes:
    return (
        (FIXTURES / "euipo_bad" / "a_good.xml")
        .read_bytes()
        .replace(b"000000001", number.encode())
        .replace(b"<Identifier>100</Identifier>", f"<Identifier>{applicant}</Identifier>".encode())
    )


def test_zip_traversal_and_bomb_are_refused(tmp_path):
    archive = tmp_path / "in" / "batch.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("ok/one.xml", _euipo_xml("000000101"))
        z.writestr("../escape.xml", _euipo_xml("000000102"))
        z.writestr("/etc/absolute.xml", _euipo_xml("000000103"))
        z.writestr("bomb.xml", b"<a>" + b" " * (64 << 20) + b"</a>")  # 64 MiB of spaces, ~64 KiB compressed
        z.writestr("notes.txt", b"ignored")
    report = build(tmp_path, "euipo", [archive.parent])
    assert report.rejected_by_reason.get("unsafe_archive_member") == 3
    assert report.records_read == report.records_kept + report.records_rejected
    assert {r["application_number"] for r in rows(tmp_path / "out", "filings")} == {
        "000000101",
        "000000002",
        "000000003",
    }
    assert not (tmp_path / "escape.xml").exists() and not list(tmp_path.glob("**/escape.xml"))
    details = {r["source_file"].split("!")[-1]: r["detail"] for r in rejects(tmp_path / "out")}
    assert "leaves the archive" in details["../escape.xml"] and "absolute" in details["/etc/absolute.xml"]


def test_zip_member_that_lies_about_its_size(tmp_path, monkeypatch):
    from dataset_builder import readers

    monkeypatch.setattr(readers, "MAX_INFLATE_RATIO", 1)  # every compressible member now exceeds its bound
    archive = tmp_path / "lying.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("good.xml", _euipo_xml("000000201"))
        z.writestr("big.xml", b"<a>" + b" " * (4 << 20) + b"</a>")
    report = build(tmp_path, "euipo", [archive])
    assert report.rejected_by_reason == {"unsafe_archive_member": 1}  # big.xml declares too much; good.xml is small
    with zipfile.ZipFile(archive) as z, z.open("big.xml") as raw:
        bounded = readers._Bounded(raw, 1 << 20, "lying.zip!big.xml")
        with pytest.raises(InputError, match="inflates beyond 1048576 bytes"):
            io.BufferedReader(bounded).read()


def test_deep_nesting_and_external_dtd(tmp_path):
    deep = tmp_path / "deep.xml"
    deep.write_bytes(
        _euipo_xml("000000301").replace(b"</Transaction>", b"<x>" * 5000 + b"</x>" * 5000 + b"</Transaction>")
    )
    dtd = tmp_path / "dtd.xml"
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    dtd.write_bytes(
        _euipo_xml("000000401").replace(
            b"<Transaction ", f'<!DOCTYPE Transaction SYSTEM "file://{secret}">\n<Transaction '.encode(), 1
        )
    )
    report = build(tmp_path, "euipo", [deep, dtd], min_filings=1)
    assert report.rejected_by_reason.get("unsafe_xml", 0) == 1  # the nesting; the external DTD is never loaded
    reject = next(r for r in rejects(tmp_path / "out") if r["reason"] == "unsafe_xml")
    assert reject["source_file"].endswith("deep.xml") and "nesting deeper than" in reject["detail"]
    assert "000000401" in {r["application_number"] for r in rows(tmp_path / "out", "filings")}
    assert "TOP-SECRET" not in json.dumps(rows(tmp_path / "out", "filings"), default=str)


def test_xml_parser_hardening():
    """libxml2 via lxml: entity declarations refused up front, errors located, comments do not split text."""
    from dataset_builder import readers

    def read(xml: bytes) -> list:
        out = readers._iter_elements(io.BytesIO(xml), f"{readers.EUIPO_NS}TradeMark", "f.zip!m.xml")
        return [e if isinstance(e, dict) else readers._euipo_record(e, "f.zip!m.xml", 1) for e in out]

    good = _euipo_xml("000000501")
    external_pe = b'<!DOCTYPE Transaction [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n<Transaction '
    (refused,) = read(good.replace(b"<Transaction ", external_pe, 1))
    assert (refused["source_file"], refused["error"]) == ("f.zip!m.xml", "unsafe_xml")
    assert refused["detail"] == "the DTD declares entities (p); refused: remove the document's DTD entity declarations"
    internal_dtd = b"<!DOCTYPE Transaction [<!ELEMENT Transaction ANY>]>\n<Transaction "
    numbers = ["000000501", "000000002", "000000003"]  # a_good.xml's three trade marks
    assert [r["application_number"] for r in read(good.replace(b"<Transaction ", internal_dtd, 1))] == numbers
    assert [r["application_number"] for r in read(good.replace(b"000000501", b"0000<!-- x -->00501"))] == numbers
    (undefined,) = read(b'<Transaction xmlns="http://euipo.europa.eu/trademark/data">\n  <a>&nope;</a></Transaction>')
    assert (undefined["error"], undefined["locator"]) == ("malformed_xml", "line 2 column 12")
    assert undefined["detail"].startswith("not well-formed: Entity 'nope' not defined; the rest of the file is lost")
    (deep,) = read(b"<a>" * 300 + b"</a>" * 300)
    assert readers.MAX_XML_DEPTH == 256 and deep["detail"] == (
        "nesting deeper than 256 elements; refused: not a registry file?"
    )
