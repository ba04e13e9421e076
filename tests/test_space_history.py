"""The Space's history text format: parsing, normalisation and the error messages a user sees."""

from __future__ import annotations

import datetime as dt

import pytest

from explorer.history import MAX_HISTORY_CHARS, format_history, parse_filing, parse_history, split_terms


def test_parse_history_reads_dates_classes_terms_and_sorts_by_date():
    text = (
        "# a comment line\n"
        "2017/11/20 | 35 | Advertising;  Retail  services\n"
        "\n"
        "2015-04-01 | 42, 9 9 | Class 9: computer software, cloud computing; Class 42: SaaS\n"
        "20160102 | 1\n"
        "2018-06 | 12 |\n"
    )
    filings = parse_history(text)
    assert [f["filing_date"] for f in filings] == [
        dt.date(2015, 4, 1),
        dt.date(2016, 1, 2),
        dt.date(2017, 11, 20),
        dt.date(2018, 6, 1),
    ]
    assert [f["nice_classes"] for f in filings] == [[9, 42], [1], [35], [12]]
    assert filings[0]["terms"] == ["computer software", "cloud computing", "saas"]
    assert filings[2]["terms"] == ["advertising", "retail services"]
    assert filings[1]["terms"] == [] and filings[3]["terms"] == []


def test_split_terms_drops_class_markers_and_duplicates():
    assert split_terms("Class 9: Software; class 42 : software, Design  services.") == ["software", "design services"]
    assert split_terms(None) == []


@pytest.mark.parametrize(
    "text",
    [
        "Class 9: Computer software; Class 42: SaaS services, software design.",
        "  Beer;; ale , - lager -  ;CLASS 33: wine",
        "first class 9: travel services; Café   crème",
        "",
    ],
)
def test_split_terms_matches_the_dataset_builder(text):
    from dataset_builder.normalize import split_terms as builder_split_terms

    assert split_terms(text) == builder_split_terms(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "history is empty"),
        ("  \n# only a comment\n", "history is empty"),
        ("2019-03-01 | 46 | x", r"Line 1: unknown Nice class 46; Nice classes are numbered 1 to 45"),
        ("2019-03-01 | 9\n2019-04-01 | 0", r"Line 2: unknown Nice class 0"),
        ("2019-03-01 | nine", r"Line 1: 'nine' is not a Nice class number"),
        ("2019-13-01 | 9", r"Line 1: cannot read the date '2019-13-01'; write it as YYYY-MM-DD"),
        ("yesterday | 9", r"cannot read the date 'yesterday'"),
        ("2019-03-01 |  | software", r"Line 1: no Nice class given"),
        ("2019-03-01 9 42", r"Line 1: expected `DATE \| CLASSES \| GOODS/SERVICES`"),
        (
            "2019-03-01 | 9 | " + "x" * (MAX_HISTORY_CHARS + 1),
            r"history is too long \(\d+ characters; at most 20000\)",
        ),
        ("2019-03-01 | 9 | " + "software; " * 300, r"Line 1 is too long"),
    ],
)
def test_bad_history_gives_a_clear_error(text, message):
    with pytest.raises(ValueError, match=message):
        parse_history(text)


def test_format_history_round_trips_dataset_filings():
    filings = [
        {"filing_date": dt.date(2010, 1, 5), "nice_classes": [9, 42], "terms": ["computer software", "saas"]},
        {"filing_date": dt.date(2012, 7, 1), "nice_classes": [35], "terms": []},
    ]
    text = format_history(filings)
    assert text.splitlines() == ["2010-01-05 | 9, 42 | computer software; saas", "2012-07-01 | 35"]
    parsed = parse_history(text)
    assert [(f["filing_date"], f["nice_classes"], f["terms"]) for f in parsed] == [
        (f["filing_date"], f["nice_classes"], f["terms"]) for f in filings
    ]


def test_parse_filing_names_the_candidate_in_errors():
    with pytest.raises(ValueError, match="Candidate filing: unknown Nice class 99"):
        parse_filing("2020-01-01 | 99", "Candidate filing")
