"""End-to-end builds: synthetic default, splits, determinism, CSV/Parquet raw input, USPTO CSV tables, CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from datasets import Features
from huggingface_hub import DatasetCard
from typer.testing import CliRunner

from dataset_builder import writer
from dataset_builder.build import BuildReport, build_dataset
from dataset_builder.schema import FILINGS_FEATURES, SEQUENCES_FEATURES, SPLITS
from dataset_builder.synthetic import SyntheticConfig, generate
from hub_release.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "dataset"


def split_rows(out: Path, config: str) -> dict[str, list[dict]]:
    return {
        split: [
            r
            for f in sorted((out / "repo" / "data" / config).glob(f"{split}-*.parquet"))
            for r in pq.read_table(f).to_pylist()
        ]
        for split in SPLITS
    }


@pytest.fixture(scope="module")
def synthetic_build(tmp_path_factory) -> BuildReport:
    return build_dataset(tmp_path_factory.mktemp("syn") / "out", n_firms=300, seed=7)


def test_synthetic_build(synthetic_build):
    report, out = synthetic_build, Path(synthetic_build.out_dir)
    seqs, filings = split_rows(out, "sequences"), split_rows(out, "filings")
    assert report.records_read == report.records_kept == sum(report.filings.values()) and report.records_rejected == 0
    ids = {s: {r["firm_id"] for r in rows} for s, rows in seqs.items()}
    assert sum(len(v) for v in ids.values()) == len(set().union(*ids.values())) == 300  # no firm in two splits
    assert 0.7 < len(ids["train"]) / 300 < 0.9 and ids["validation"] and ids["test"]
    assert {s: len(r) for s, r in seqs.items()} == report.firms
    assert {s: len(r) for s, r in filings.items()} == report.filings
    for split in SPLITS:
        assert {r["firm_id"] for r in filings[split]} == ids[split]
        assert sum(r["n_filings"] for r in seqs[split]) == len(filings[split])
    for firm in seqs["train"]:
        keys = [(f["filing_date"], f["application_number"]) for f in firm["filings"]]
        assert keys == sorted(keys) and firm["n_filings"] == len(keys) >= 2
        assert len(firm["oracle_last_filing_class_probs"]) == 45
        assert all(1 <= c <= 45 for f in firm["filings"] for c in f["nice_classes"])
    assert all(r["source"] == "synthetic" for rows in filings.values() for r in rows)
    # Files carry the typed features of the schema.
    for config, features in (("sequences", SEQUENCES_FEATURES), ("filings", FILINGS_FEATURES)):
        for path in (out / "repo" / "data" / config).glob("*.parquet"):
            assert Features.from_arrow_schema(pq.read_schema(path)) == features
            assert path.name.endswith("-00000-of-00001.parquet")
    assert json.loads((out / "build_report.json").read_text())["records_read"] == report.records_read


def test_card(synthetic_build):
    card = DatasetCard.load(Path(synthetic_build.out_dir) / "repo" / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "cc0-1.0" and "synthetic" in data["tags"] and data["size_categories"] == ["n<1K"]
    assert [c["config_name"] for c in data["configs"]] == ["sequences", "filings"]
    assert data["configs"][0]["default"] is True
    assert data["configs"][1]["data_files"][2] == {"split": "test", "path": "data/filings/test-*.parquet"}
    info = {i["config_name"]: i for i in data["dataset_info"]}
    assert {s["name"]: s["num_examples"] for s in info["sequences"]["splits"]} == synthetic_build.firms
    assert Features._from_yaml_list(info["filings"]["features"]) == FILINGS_FEATURES
    assert "**This dataset is synthetic.**" in card.text
    total = sum(synthetic_build.filings.values())
    assert f"**{total:,} records read = {total:,} kept + 0 rejected.**" in card.text
    assert "![Nice class frequency](images/nice_class_frequency.png)" in card.text
    png = Path(synthetic_build.out_dir) / "repo" / "images" / "nice_class_frequency.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_build_is_byte_deterministic(tmp_path):
    a = build_dataset(tmp_path / "a", n_firms=80, seed=3)
    b = build_dataset(tmp_path / "b", n_firms=80, seed=3)
    da, db = _digests(a.repo_dir), _digests(b.repo_dir)
    assert "README.md" in da and "images/nice_class_frequency.png" in da
    assert da == db
    c = build_dataset(tmp_path / "c", n_firms=80, seed=4)
    assert (
        _digests(c.repo_dir)["data/sequences/train-00000-of-00001.parquet"]
        != da["data/sequences/train-00000-of-00001.parquet"]
    )


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_raw_input_builds_the_same_dataset(tmp_path, fmt):
    """The synthetic filings written as raw CSV/Parquet and read back give the synthetic build's rows."""
    cfg = SyntheticConfig(n_firms=60, seed=5)
    direct = build_dataset(tmp_path / "direct", synthetic=cfg, seed=5, write_card=False)
    raw = generate(cfg).raw
    path = tmp_path / f"raw.{fmt}"
    pacsv.write_csv(raw, path) if fmt == "csv" else pq.write_table(raw, path)
    report = build_dataset(tmp_path / "raw", source=fmt, inputs=[path], seed=5, write_card=False)
    assert report.records_read == report.records_kept == raw.num_rows
    assert report.firms == direct.firms
    expected = split_rows(Path(direct.out_dir), "sequences")
    got = split_rows(Path(report.out_dir), "sequences")
    # The generator writes English; a raw file without a language column does not say (null), nor does the build.
    for split in SPLITS:
        assert got[split] == [
            {
                **r,
                "oracle_last_filing_class_probs": None,
                "filings": [{**f, "goods_services_lang": [None]} for f in r["filings"]],
            }
            for r in expected[split]
        ]
    filings = split_rows(Path(report.out_dir), "filings")["train"]
    assert filings == [
        {**r, "source": fmt, "goods_services_lang": [None]}
        for r in split_rows(Path(direct.out_dir), "filings")["train"]
    ]


def test_uspto_case_files_tables(tmp_path):
    report = build_dataset(tmp_path / "out", source="uspto-csv", inputs=[FIXTURES / "uspto_csv"], write_card=False)
    assert (report.records_read, report.records_kept, report.records_rejected) == (4, 3, 1)
    assert report.rejected_by_reason == {"invalid_date": 1} and report.filings_without_firm == 1
    (firm,) = [r for rows in split_rows(Path(report.out_dir), "sequences").values() for r in rows]
    assert firm["firm_id"] == "delta-foods" and firm["n_filings"] == 2
    assert firm["filings"][0] == {
        "application_number": "90000001",
        "filing_date": dt.date(2019, 3, 1),
        "nice_classes": [29, 30],
        "terms": ["cheese", "yoghurt", "coffee"],
        "goods_services": "Class 29: Cheese, yoghurt; Class 30: Coffee",
        "goods_services_lang": ["en", "en"],
    }
    # A case_file row that cannot be parsed is a rejected record, not a silent loss.
    broken = tmp_path / "broken"
    shutil.copytree(FIXTURES / "uspto_csv", broken)
    with open(broken / "case_file.csv", "a") as f:
        f.write("90000005,2020-01-01,,one too many\n")
    report = build_dataset(tmp_path / "out2", source="uspto-csv", inputs=[broken], write_card=False)
    assert (report.records_read, report.records_rejected, report.rejected_by_reason["malformed_record"]) == (5, 2, 1)


def test_shards_have_deterministic_names(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "FIRMS_PER_SHARD", 20)
    monkeypatch.setattr(writer, "FILINGS_PER_SHARD", 200)
    report = build_dataset(tmp_path / "out", n_firms=60, seed=1, write_card=False)
    names = sorted(p.name for p in (report.repo_dir / "data" / "sequences").glob("train-*"))
    n = -(-report.firms["train"] // 20)
    assert names == [f"train-{i:05d}-of-{n:05d}.parquet" for i in range(n)] and n > 1
    assert (
        sum(pq.read_metadata(report.repo_dir / "data" / "sequences" / f).num_rows for f in names)
        == report.firms["train"]
    )


def test_cli_build(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "dataset",
            "build",
            "--source",
            "uspto-xml",
            "--input",
            str(FIXTURES / "uspto_bad.xml"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "read 6 = kept 4 + rejected 2 (invalid_date=1, no_valid_class=1)" in result.output
    result = CliRunner().invoke(
        app,
        ["dataset", "build", "--source", "uspto-xml", "--input", str(FIXTURES / "uspto_bad.xml"), "--out",
         str(tmp_path / "o"), "--limit", "2"],
    )  # fmt: skip
    assert result.exit_code == 0 and "read 2 = " in result.output, result.output
    nope = ["dataset", "build", "--source", "euipo", "--input", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(app, [*nope, "--strict"])
    assert result.exit_code == 1 and "nope: no such file or folder; check the --input path" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(app, nope)  # without --strict too: no input could be read at all, nothing to build
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "nope: no such file or folder; check the --input path; no input could be read" in result.output
