"""Regression tests of issue #14: malformed and awkward inputs, each invented here in `tmp_path`.

Whatever the input: no traceback, every record read is kept or in rejects.jsonl (read = kept + rejected, one line
of rejects.jsonl per rejected record, with file and locator), a file that cannot be read is a file-level reject
(locator "-") unless `strict`, and then one line "<file>[!member]: <what is wrong>; <what to do>".
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from dataset_builder.build import build_dataset
from dataset_builder.readers import InputError
from hub_release.cli import app


def rows(out: Path, config: str) -> list[dict]:
    return [
        r for f in sorted((out / "repo" / "data" / config).glob("*.parquet")) for r in pq.read_table(f).to_pylist()
    ]


def rejects(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]


def build(tmp_path: Path, source: str, inputs: list[Path], **kwargs):
    """Build into tmp_path/out and check the accounting every test relies on."""
    kwargs.setdefault("write_card", False)
    report = build_dataset(tmp_path / "out", source=source, inputs=inputs, **kwargs)
    out = tmp_path / "out"
    assert report.records_read == report.records_kept + report.records_rejected
    assert len(rejects(out)) == report.records_rejected
    assert all(r["source_file"] and r["locator"] and r["reason"] for r in rejects(out))
    kept = {r["application_number"] for r in rows(out, "filings")}
    assert len(kept) == report.records_kept  # each kept record is a filing (once, or once per owner firm)
    return report


def jsonl(*objects) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objects)


def filing(number: str, owner: str | None = "Acme GmbH", **fields) -> dict:
    return {"application_number": number, "filing_date": "2020-01-01", "nice_classes": [9], "owner": owner, **fields}


def euipo(*marks: str) -> bytes:
    """An EUIPO XML file holding the given `TradeMark` elements."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Transaction xmlns="http://euipo.europa.eu/trademark/data">'
        "<TradeMarkTransactionBody><TransactionContentDetails><TransactionData><TradeMarkDetails>\n"
        + "\n".join(marks)
        + "\n</TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody>"
        + "</Transaction>"
    ).encode()


def mark(number: str, classes: dict[str, dict[str, str]], applicant: str | None = "7") -> str:
    """One `TradeMark`: `classes` maps a class number to its texts by language code."""
    descriptions = "".join(
        f"<ClassDescription><ClassNumber>{c}</ClassNumber>"
        + "".join(
            f'<GoodsServicesDescription languageCode="{k}">{t}</GoodsServicesDescription>' for k, t in by.items()
        )
        + "</ClassDescription>"
        for c, by in classes.items()
    )
    owner = f"<ApplicantDetails><ApplicantKey><Identifier>{applicant}</Identifier></ApplicantKey></ApplicantDetails>"
    return (
        f"<TradeMark><ApplicationNumber>{number}</ApplicationNumber><ApplicationDate>2021-03-04</ApplicationDate>"
        f"<GoodsServicesDetails><GoodsServices><ClassDescriptionDetails>{descriptions}</ClassDescriptionDetails>"
        f"</GoodsServices></GoodsServicesDetails>{owner if applicant else ''}</TradeMark>"
    )


# --- JSON Lines -------------------------------------------------------------------------------------------------


def test_deeply_nested_json_line_is_one_reject_not_a_crash(tmp_path):
    path = tmp_path / "deep.jsonl"
    deep = b'{"application_number": "D2", "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    path.write_bytes(jsonl(filing("D1")) + deep + b"\n" + jsonl(filing("D3")))
    report = build(tmp_path, "jsonl", [path], min_filings=1)
    assert (report.records_read, report.records_kept) == (3, 2)
    (row,) = rejects(tmp_path / "out")
    assert (row["locator"], row["reason"]) == ("line 2", "malformed_record")
    assert row["detail"] == "unreadable JSON (nested too deeply); fix or remove the line"


def test_bom_and_crlf_or_cr_line_ends(tmp_path):
    lines = [json.dumps(filing(f"B{i}")).encode() for i in range(1, 4)]
    for name, data in {
        "bom_crlf.jsonl": b"\xef\xbb\xbf" + b"\r\n".join(lines) + b"\r\n\r\n",
        "cr.jsonl": b"\r".join(lines) + b"\r",
        "mixed.jsonl": lines[0] + b"\r\n" + lines[1] + b"\n\n" + lines[2],
    }.items():
        (tmp_path / name).write_bytes(data)
        report = build(tmp_path, "jsonl", [tmp_path / name], min_filings=1)
        assert (report.records_read, report.records_kept, report.records_rejected) == (3, 3, 0), name
    # Line numbers count CRLF and CR as one line end each: the bad line is line 3.
    (tmp_path / "bad.jsonl").write_bytes(b"\xef\xbb\xbf" + lines[0] + b"\r\n\r\n" + b"{oops\r\n" + lines[1] + b"\r\n")
    build(tmp_path, "jsonl", [tmp_path / "bad.jsonl"], min_filings=1)
    assert [(r["locator"], r["reason"]) for r in rejects(tmp_path / "out")] == [("line 3", "malformed_record")]


def test_json_array_given_as_json_lines(tmp_path):
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps([filing("A1"), filing("A2")], indent=2))
    one_line = tmp_path / "one_line.jsonl"
    one_line.write_text(json.dumps([filing("A3"), filing("A4")]) + "\n")
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl(filing("A5")))
    report = build(tmp_path, "jsonl", [pretty, one_line, good], min_filings=1)
    assert (report.records_read, report.records_kept, report.rejected_by_reason) == (3, 1, {"wrong_format": 2})
    for row in rejects(tmp_path / "out"):
        assert row["locator"] == "-" and "Expecting value" not in row["detail"]
        assert row["detail"].startswith("a JSON array, not JSON Lines (one object per line); convert it, e.g. `jq")
    with pytest.raises(InputError, match=rf"^{re.escape(str(pretty))}: a JSON array, not JSON Lines .*jq -c"):
        build(tmp_path, "jsonl", [pretty, good], strict=True)


# --- USPTO ------------------------------------------------------------------------------------------------------


def test_uspto_daily_xml_without_case_files_is_no_error(tmp_path):
    empty = tmp_path / "apc200101.xml"
    empty.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<trademark-applications-daily><version><version-no>2.0</version-no>'
        "</version><creation-datetime>202001011200</creation-datetime><application-information><file-segments>"
        "<action-keys><action-key>AA</action-key></action-keys></file-segments></application-information>"
        "</trademark-applications-daily>\n"
    )
    for strict in (False, True):
        report = build(tmp_path, "uspto-xml", [empty], strict=strict)
        assert (report.records_read, report.records_rejected) == (0, 0)
    result = CliRunner().invoke(
        app,
        ["dataset", "build", "--source", "uspto-xml", "-i", str(empty), "--out", str(tmp_path / "cli"), "--strict"],
    )
    assert result.exit_code == 0 and "read 0 = kept 0 + rejected 0" in result.output, result.output


def _uspto_tables(folder: Path) -> Path:
    folder.mkdir()
    (folder / "case_file.csv").write_text("serial_no,filing_dt\n70000001,2019-01-01\n70000002,2019-02-01\n")
    (folder / "owner.csv").write_text(
        "serial_no,own_type_cd,own_name\n70000001,10,Zeta Tools Inc.\n70000002,10,Zeta Tools\n79999999,10,Ghost LLC\n"
    )
    (folder / "intl_class.csv").write_text("serial_no,intl_class_cd\n70000001,008\n79999998,009\n70000002,008\n,011\n")
    (folder / "statement.csv").write_text(
        "serial_no,statement_type_cd,statement_text\n70000001,GS0081,Hand tools\n79999999,GS0091,Software\n"
        '70000002,GS0081,"Saws, "unterminated\n'
    )
    return folder


def test_uspto_csv_rows_without_a_case_file_are_rejected(tmp_path):
    report = build(tmp_path, "uspto-csv", [_uspto_tables(tmp_path / "tables")])
    assert report.records_kept == 2 and report.rejected_by_reason == {"orphan_row": 4, "malformed_record": 1}
    got = {(Path(r["source_file"]).name, r["locator"], r["reason"]) for r in rejects(tmp_path / "out")}
    assert got == {
        ("intl_class.csv", "row 2 (79999998)", "orphan_row"),
        ("intl_class.csv", "row 4", "orphan_row"),
        ("owner.csv", "row 3 (79999999)", "orphan_row"),
        ("statement.csv", "row 2 (79999999)", "orphan_row"),
        ("statement.csv", "line 4", "malformed_record"),
    }
    detail = next(r["detail"] for r in rejects(tmp_path / "out") if r["locator"] == "row 3 (79999999)")
    assert detail == "serial number 79999999 has no row in case_file.csv; add its case file or drop the row"
    (firm,) = rows(tmp_path / "out", "sequences")
    assert firm["firm_id"] == "zeta-tools" and firm["filings"][0]["goods_services_lang"] == ["en"]


# --- Languages --------------------------------------------------------------------------------------------------


def test_text_without_english_is_labelled_with_its_language(tmp_path):
    path = tmp_path / "marks.xml"
    path.write_bytes(
        euipo(
            mark("000000011", {"9": {"de": "Computer-Software.", "en": "Computer software."}}),
            mark("000000012", {"9": {"fr": "Logiciels.", "de": "Software."}, "42": {"EN": "Cloud computing."}}),
            mark("000000013", {"25": {"it": "Abbigliamento."}}),
        )
    )
    report = build(tmp_path, "euipo", [path], min_filings=1, write_card=True)
    filings = {r["application_number"]: r for r in rows(tmp_path / "out", "filings")}
    assert filings["000000011"]["goods_services_lang"] == ["en"]
    second = filings["000000012"]
    assert second["goods_services"] == "Class 9: Logiciels; Class 42: Cloud computing"
    assert second["goods_services_lang"] == ["fr", "en"]  # the first language given, labelled, never as English
    assert filings["000000013"]["goods_services_lang"] == ["it"]
    assert report.stats["text_languages"] == {"en": 2, "fr": 1, "it": 1}
    card = (tmp_path / "out" / "repo" / "README.md").read_text()
    assert "language:\n- en\n- fr\n- it\n" in card and "| `goods_services_lang` | list of string |" in card
    assert "| goods/services texts by language | en 2, fr 1, it 1 |" in card


def test_tabular_language_column_or_unknown(tmp_path):
    path = tmp_path / "filings.csv"
    path.write_text(
        "application_number,filing_date,nice_classes,owner,goods_services,goods_services_lang\n"
        "L1,2020-01-01,9,Acme,Software,en\nL2,2020-02-01,9,Acme,Logiciel,FR\nL3,2020-03-01,9,Acme,Software,\n"
    )
    build(tmp_path, "csv", [path])
    assert [f["goods_services_lang"] for f in rows(tmp_path / "out", "sequences")[0]["filings"]] == [
        ["en"], ["fr"], [None],
    ]  # fmt: skip
    (tmp_path / "plain.jsonl").write_bytes(jsonl(filing("J1", goods_services="Software"), filing("J2")))
    build(tmp_path, "jsonl", [tmp_path / "plain.jsonl"], min_filings=1)
    assert [r["goods_services_lang"] for r in rows(tmp_path / "out", "filings")] == [[None], []]


# --- Filings without a firm -------------------------------------------------------------------------------------


def test_filings_without_an_owner_are_kept_with_a_null_firm(tmp_path):
    path = tmp_path / "filings.jsonl"
    owned = [filing(f"N{i}", "Acme GmbH") for i in range(4)]
    unowned = [filing(f"U{i}", None, goods_services=f"Thing {i}") for i in range(30)]
    path.write_bytes(jsonl(*owned, *unowned, filing("U0", "Late Owner")))  # a duplicate of an unowned filing
    report = build(tmp_path, "jsonl", [path], write_card=True)
    assert (report.records_read, report.records_kept, report.rejected_by_reason) == (35, 34, {"duplicate_filing": 1})
    assert report.filings_without_firm == 30 and sum(report.filings.values()) == 34
    assert sum(report.firms.values()) == 1 and report.stats["filings_per_firm"]["max"] == 4  # firm counts: no nulls
    out = tmp_path / "out"
    nulls = [r for r in rows(out, "filings") if r["firm_id"] is None]
    assert len(nulls) == 30 and all(r["firm_name"] is None for r in nulls)
    assert not any(f["application_number"].startswith("U") for s in rows(out, "sequences") for f in s["filings"])
    # The split of a filing without a firm is a seeded hash of its number: all three splits, and reproducible.
    split_of = {
        r["application_number"]: f.name.split("-")[0]
        for f in (out / "repo" / "data" / "filings").glob("*.parquet")
        for r in pq.read_table(f).to_pylist()
        if r["firm_id"] is None
    }
    assert set(split_of.values()) == {"train", "validation", "test"}
    assert json.loads((out / "build_report.json").read_text())["filings_without_firm"] == 30
    card = (out / "repo" / "README.md").read_text()
    assert "Filings without a firm (their record names no owner): **30**, in `filings` with a null `firm_id`" in card
    build_dataset(tmp_path / "again", source="jsonl", inputs=[path], write_card=False)
    again = {r["application_number"] for r in rows(tmp_path / "again", "filings") if r["firm_id"] is None}
    assert (
        again == set(split_of)
        and {
            r["application_number"]: f.name.split("-")[0]
            for f in (tmp_path / "again" / "repo" / "data" / "filings").glob("*.parquet")
            for r in pq.read_table(f).to_pylist()
            if r["firm_id"] is None
        }
        == split_of
    )


# --- Files that cannot be read ----------------------------------------------------------------------------------


def test_unreadable_file_as_its_own_input_next_to_good_files(tmp_path):
    good = tmp_path / "good.xml"
    good.write_bytes(euipo(mark("000000021", {"9": {"en": "Software."}}), mark("000000022", {"9": {"en": "Apps."}})))
    bad = tmp_path / "folder" / "bad.xml"
    bad.parent.mkdir()
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not XML")
    missing = tmp_path / "missing.xml"
    on_its_own = build(tmp_path, "euipo", [good, bad, missing])
    assert (on_its_own.records_kept, on_its_own.rejected_by_reason) == (2, {"malformed_xml": 1, "unreadable_file": 1})
    got = {(r["source_file"], r["locator"], r["reason"]) for r in rejects(tmp_path / "out")}
    # libxml2's position: 1-based column, at the first byte it refused
    assert got == {(str(bad), "line 1 column 1", "malformed_xml"), (str(missing), "-", "unreadable_file")}
    in_a_folder = build(tmp_path, "euipo", [good, bad.parent])  # the same file inside a folder: the same outcome
    assert (in_a_folder.records_kept, in_a_folder.rejected_by_reason) == (2, {"malformed_xml": 1})
    with pytest.raises(InputError) as raised:
        build(tmp_path, "euipo", [good, bad], strict=True)
    message = str(raised.value)
    assert message == (
        f"{bad}: no readable record; at line 1 column 1: not well-formed: Start tag expected, '<' not found; the rest "
        "of the file is lost: fix the file or pass a complete copy"
    )
    assert message.count(str(bad)) == 1 and "\n" not in message
    cli = ["dataset", "build", "--source", "euipo", "-i", str(good), "-i", str(missing), "--out", str(tmp_path / "c")]
    result = CliRunner().invoke(app, cli)
    assert result.exit_code == 0 and "rejected 1 (unreadable_file=1)" in result.output, result.output
    result = CliRunner().invoke(app, [*cli, "--strict"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{missing}: no such file or folder; check the --input path" in result.output


def test_bad_tabular_files_are_rejected_one_by_one(tmp_path):
    header = "application_number,filing_date,nice_classes,owner,goods_services\n"
    (tmp_path / "a.csv").write_text(header + "T1,2020-01-01,9,Acme,Software\nT2,2020-02-01,9,Acme,Apps\n")
    (tmp_path / "b.csv").write_text("number,date\nT3,2020-01-01\n")  # other columns
    (tmp_path / "c.csv").write_text(header.replace(",goods_services", ",goods_services,extra") + "T4,x,9,Y,z,1\n")
    report = build(tmp_path, "csv", [tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"])
    assert (report.records_kept, report.rejected_by_reason) == (2, {"wrong_format": 2})
    details = {Path(r["source_file"]).name: r["detail"] for r in rejects(tmp_path / "out")}
    assert details["b.csv"].startswith("missing column(s) ['application_number', 'filing_date'")
    assert details["b.csv"].endswith("name them with --map FIELD=COLUMN")
    assert "differs from" in details["c.csv"] and details["c.csv"].endswith("give files the same columns")
    pq.write_table(pa.Table.from_pylist([filing("P1", goods_services="Software") | {"nice_classes": "9"}]),
                   tmp_path / "ok.parquet")  # fmt: skip
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    report = build(tmp_path, "parquet", [tmp_path / "broken.parquet", tmp_path / "ok.parquet"], min_filings=1)
    assert (report.records_read, report.records_kept) == (2, 1)
    (row,) = rejects(tmp_path / "out")
    assert (Path(row["source_file"]).name, row["locator"], row["reason"]) == ("broken.parquet", "-", "unreadable_file")
    assert row["detail"].startswith("not a readable Parquet file (")


def test_csv_duckdb_cannot_scan_is_a_file_level_reject(tmp_path):
    """A CSV whose header passes but whose body DuckDB cannot parse at all (not one bad row: the scan fails)."""
    header = "application_number,filing_date,nice_classes,owner,goods_services\n"
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(header + "S1,2020-01-01,9,Acme,Software\n")
    bad.write_bytes(header.encode() + b'A1\r\r\n"""\n')
    report = build(tmp_path, "csv", [good, bad], min_filings=1)
    assert (report.records_kept, report.rejected_by_reason) == (1, {"unreadable_file": 1})
    (row,) = rejects(tmp_path / "out")
    assert (row["source_file"], row["locator"]) == (str(bad), "-") and row["detail"].startswith("cannot be scanned (")
    with pytest.raises(InputError, match=rf"^{re.escape(str(bad))}: cannot be scanned \(.*\); fix or leave it out$"):
        build(tmp_path, "csv", [good, bad], strict=True)


def test_zip_member_refused_for_its_declared_size_says_the_limit(tmp_path):
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("ok.xml", euipo(mark("000000031", {"9": {"en": "Software."}})))
        z.writestr("huge.xml", b"<a>" + b" " * (8 << 20) + b"</a>")  # 8 MiB inflated from a few KiB
    report = build(tmp_path, "euipo", [archive], min_filings=1)
    assert (report.records_kept, report.rejected_by_reason) == (1, {"unsafe_archive_member": 1})
    (row,) = rejects(tmp_path / "out")
    assert (row["source_file"], row["locator"]) == (f"{archive}!huge.xml", "-")
    with zipfile.ZipFile(archive) as z:
        packed = z.getinfo("huge.xml").compress_size
    assert row["detail"] == (
        f"declares 8388615 bytes inflated from {packed}, over the limit of {200 * packed} (200x its compressed size, "
        "at least 1 MiB, at most 4 GiB; a zip bomb?); refused: extract it and pass the file itself if you trust it"
    )
    assert str(archive) not in row["detail"]
    with pytest.raises(InputError, match=rf"^{re.escape(str(archive))}!huge.xml: declares 8388615 bytes .* the limit"):
        build(tmp_path, "euipo", [archive], strict=True)


def test_corrupt_zip_member_is_a_reject(tmp_path):
    archive = tmp_path / "crc.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("a.xml", euipo(mark("000000041", {"9": {"en": "Software."}})))
        z.writestr("b.jsonl", jsonl(filing("Z1")))
        z.writestr("c.xml", euipo(mark("000000043", {"9": {"en": "Apps."}})))
    data = bytearray(archive.read_bytes())
    at = data.index(b"000000041")
    data[at : at + 9] = b"000000042"  # the stored bytes no longer match their CRC
    archive.write_bytes(bytes(data))
    report = build(tmp_path, "euipo", [archive], min_filings=1)
    assert report.rejected_by_reason == {"unreadable_file": 1} and report.records_kept == 1
    (row,) = rejects(tmp_path / "out")
    assert row["source_file"] == f"{archive}!a.xml" and "Bad CRC-32" in row["detail"]
