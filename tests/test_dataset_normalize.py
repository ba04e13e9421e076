"""Normalisation rules (the SQL macros every source goes through)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from dataset_builder.normalize import install_macros, nice_class, owner_firm_id, parse_date, split_many, split_terms


@pytest.mark.parametrize(
    ("name", "firm_id"),
    [
        ("TuSimple", "tusimple"),
        ("Solenis Technologies, L.P.", "solenis-technologies"),
        ("ROCK CREEK GINGER ALE CO., INC.", "rock-creek-ginger-ale"),
        ("CUTEX COMPANY, THE", "cutex"),
        ("Bell & Gossett Company", "bell-and-gossett"),
        ("Müller GmbH & Co. KG", "muller"),
        ("Maersk A/S", "maersk"),
        ("Ferrari S.p.A.", "ferrari"),
        ("Audion Elektro N.V.", "audion-elektro"),
        ("  Norvex   Robotics Co., Ltd. ", "norvex-robotics"),
        ("Celanese Corporation of America", "celanese-corporation-of-america"),
        ("AG", "ag"),  # a name that is only a legal form keeps it
        ("株式会社 東芝", "株式会社-東芝"),
        (" ,. ", None),
        (None, None),
    ],
)
def test_owner_firm_id(name, firm_id):
    assert owner_firm_id(name) == firm_id


def test_spellings_of_one_firm_agree():
    spellings = ["Acme Widgets, Inc.", "ACME WIDGETS INC", "acme widgets", "Acme Widgets Incorporated", "Ácme Widgets"]
    assert {owner_firm_id(s) for s in spellings} == {"acme-widgets"}


@pytest.mark.parametrize(
    ("code", "cls"),
    [("9", 9), ("09", 9), ("009", 9), (" 45 ", 45), ("1", 1), ("0", None), ("46", None), ("9a", None),
     ("A", None), ("B", None), ("200", None), ("", None), (None, None), ("-3", None)],
)  # fmt: skip
def test_nice_class(code, cls):
    assert nice_class(code) == cls


@pytest.mark.parametrize(
    ("text", "date"),
    [("2020-04-08", dt.date(2020, 4, 8)), ("20170123", dt.date(2017, 1, 23)),
     ("2020-04-08T10:00:00", dt.date(2020, 4, 8)), ("2021-02-30", None), ("20170230", None), ("1/2/2020", None),
     ("", None), (None, None), ("yesterday", None)],
)  # fmt: skip
def test_parse_date(text, date):
    assert parse_date(text) == date


def test_split_terms():
    text = "Class 9: Computer software; Smartphones; Class 42: Cloud computing, computer software."
    assert split_terms(text) == ["computer software", "smartphones", "cloud computing"]
    assert split_terms("Lawnmowers [machines].") == ["lawnmowers [machines]"]
    assert split_terms(" ;  , ") == [] and split_terms(None) == []


TEXTS = [
    ["Class 9: Software; class 42 : software, Design  services."],
    None,
    [],
    [None],
    ["", " ;  , "],
    ["a;b", "b; A,c"],
    ["Class 9:  Software,,  Hardware ; ;", "CLASS 12 : Cars"],
    ["a\tb;  c  d", "line\nbreak; x"],
    ["a\fb;a\f b"],  # a lone form feed is not collapsed
    ["Ü Über; über; İSTANBUL"],
    ["class 9: class 3: x;class 9:;class 3: y"],
]


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    install_macros(con)
    return con


def test_split_many_is_split_terms_per_row(con):
    want = [None if t is None else list(dict.fromkeys(x for s in t for x in split_terms(s))) for t in TEXTS]
    assert split_many(pa.array(TEXTS, pa.list_(pa.string())), con).to_pylist() == want
    assert split_many(pa.array(TEXTS, pa.list_(pa.string())).slice(5, 3), con).to_pylist() == want[5:8]
    assert split_many(pa.array([], pa.list_(pa.string())), con).to_pylist() == []


@pytest.mark.parametrize(
    "text",
    ["", " ", ".", " a..", "a. ", " a", "a", "\ta\t", "\u00a0a.\u00a0", " é.", "\u3000a\u3000", "x .", "e\u0301"],
)
def test_strip_text_is_rtrim_trim(con, text):
    assert con.execute("SELECT strip_text(?) = rtrim(trim(?), '.')", [text, text]).fetchall() == [(True,)]
