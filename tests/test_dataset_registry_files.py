"""The default data: synthetic filings written as registry files (EUIPO XML zips, USPTO Case Files CSVs) and built
through the real readers; their goods/services terms are official Nice indications."""

from __future__ import annotations

import zipfile
from pathlib import Path

import defusedxml.ElementTree as DET
import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard

from dataset_builder.build import REGISTRY_DIR, build_dataset
from dataset_builder.nice import class_terms
from dataset_builder.readers import EUIPO_NS, read_euipo
from dataset_builder.registry_files import ORACLE_NAME, class_parts, synthetic_registry
from dataset_builder.schema import SPLITS
from dataset_builder.synthetic import SyntheticConfig, generate
from hub_release.config import load_config
from marketbert.tokenizer import ITEM_PREFIX, build_vocabulary, item_token
from nice_classification.official import indications

EUIPO_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "euipo_sample"
CONFIG = SyntheticConfig(n_firms=120, seed=42)


def _rows(out: Path, config: str) -> list[dict]:
    return [r for s in SPLITS for f in sorted((out / "repo" / "data" / config).glob(f"{s}-*.parquet")) for r in
            pq.read_table(f).to_pylist()]  # fmt: skip


def _firm_partition(out: Path) -> dict[frozenset, list[float] | None]:
    """Each firm as the set of its application numbers, with its oracle."""
    return {
        frozenset(f["application_number"] for f in firm["filings"]): firm["oracle_last_filing_class_probs"]
        for firm in _rows(out, "sequences")
    }


def _official_terms() -> set[str]:
    """The official indications as the builder normalises a term (lower case, editorial `*` dropped)."""
    return {i.label.rstrip("*").strip().lower() for i in indications()}


@pytest.fixture(scope="module")
def direct(tmp_path_factory):
    return build_dataset(tmp_path_factory.mktemp("direct") / "out", synthetic=CONFIG, seed=42, write_card=False)


@pytest.fixture(scope="module")
def default_build(tmp_path_factory):
    """A build with the release's default dataset config (only fewer firms)."""
    cfg = load_config().dataset
    return build_dataset(
        tmp_path_factory.mktemp("default") / "out", source=cfg.source, inputs=cfg.inputs, n_firms=120, seed=42
    )


def test_default_release_builds_through_the_euipo_reader(default_build, direct):
    report, out = default_build, Path(default_build.out_dir)
    assert load_config().dataset.source == report.source == "synthetic-euipo" and report.reader == "euipo"
    zips = sorted((out / REGISTRY_DIR / "euipo").glob("*.zip"))
    assert zips and report.inputs == [str(z) for z in zips]
    n_generated = generate(CONFIG).raw.num_rows
    with_xml = sum(len(zipfile.ZipFile(z).namelist()) for z in zips)
    assert with_xml >= 1 and sum(1 for _ in (r for z in zips for r in read_euipo(z))) == n_generated
    assert report.records_read == n_generated == report.records_kept + report.records_rejected
    assert report.records_rejected == 0
    # The same firms (by identifier, not by name), the same filings and the same oracle as the direct build.
    assert _firm_partition(out) == _firm_partition(Path(direct.out_dir))
    firms = _rows(out, "sequences")
    assert all(f["firm_id"] == f"euipo:{f['firm_name']}" and f["firm_name"].isdigit() for f in firms)
    assert {r["source"] for r in _rows(out, "filings")} == {"synthetic-euipo"}
    card = DatasetCard.load(out / "repo" / "README.md")
    assert "synthetic" in card.data.tags and card.data.license == "cc0-1.0"
    assert "**This dataset is synthetic.**" in card.text and "read through the builder's EUIPO reader" in card.text
    assert "--source synthetic-euipo" in card.text and zips[0].name in card.text


def test_oracle_travels_beside_the_files_not_in_them(default_build):
    folder = Path(default_build.out_dir) / REGISTRY_DIR
    oracle = pq.read_table(folder / ORACLE_NAME)
    assert oracle.num_rows == 120 and "oracle_last_filing_class_probs" in oracle.column_names
    for z in sorted((folder / "euipo").glob("*.zip")):
        with zipfile.ZipFile(z) as archive:
            assert all(b"oracle" not in archive.read(name).lower() for name in archive.namelist())


def test_euipo_files_mirror_the_real_schema(tmp_path):
    """Every element path of a generated `TradeMark` is one the EUIPO open data files have."""

    def paths(root, prefix=""):
        for child in root:
            path = f"{prefix}/{child.tag.removeprefix(EUIPO_NS)}"
            yield path
            yield from paths(child, path)

    sample = {p for f in EUIPO_SAMPLE.glob("*.xml") for p in paths(DET.parse(f).getroot())}
    files = synthetic_registry(SyntheticConfig(n_firms=20, seed=1), tmp_path / "reg")
    with zipfile.ZipFile(files.inputs[0]) as archive:
        root = DET.fromstring(archive.read(archive.namelist()[0]))
    generated = set(paths(root))
    assert (
        "/TradeMarkTransactionBody/TransactionContentDetails/TransactionData/TradeMarkDetails/TradeMark" in generated
    )
    assert generated <= sample, generated - sample


def test_registry_files_are_cached_by_config(tmp_path):
    cfg = SyntheticConfig(n_firms=20, seed=1)
    first = synthetic_registry(cfg, tmp_path / "reg")
    digests = [p.read_bytes() for p in first.inputs]
    again = synthetic_registry(cfg, tmp_path / "reg")
    assert again.reused and not first.reused and again.oracle == first.oracle
    assert [p.read_bytes() for p in again.inputs] == digests
    other = synthetic_registry(SyntheticConfig(n_firms=20, seed=2), tmp_path / "reg")
    assert not other.reused and [p.read_bytes() for p in other.inputs] != digests
    fresh = synthetic_registry(cfg, tmp_path / "fresh")  # byte-identical for the same config
    assert [p.read_bytes() for p in fresh.inputs] == digests


def test_uspto_csv_files_give_the_same_firms_by_name(tmp_path, direct):
    report = build_dataset(tmp_path / "out", source="synthetic-uspto-csv", synthetic=CONFIG, seed=42, write_card=False)
    assert report.reader == "uspto-csv" and report.records_read == report.records_kept == direct.records_read
    assert _firm_partition(Path(report.out_dir)) == _firm_partition(Path(direct.out_dir))
    assert {f["firm_id"] for f in _rows(Path(report.out_dir), "sequences")} == {
        f["firm_id"] for f in _rows(Path(direct.out_dir), "sequences")
    }  # owner names with spelling variants normalise to the same firms


def test_terms_and_item_tokens_are_official_nice_indications(default_build):
    official = _official_terms()
    filings = _rows(Path(default_build.out_dir), "filings")
    terms = {t for f in filings for t in f["terms"]}
    assert len(terms) > 200 and terms <= official, sorted(terms - official)[:5]
    firms = _rows(Path(default_build.out_dir), "sequences")
    items = build_vocabulary(firms, min_item_frequency=2).items
    assert len(items) > 50 and set(items) <= {item_token(t) for t in official}
    assert all(i.startswith(ITEM_PREFIX) for i in items)


def test_generator_terms_per_class_are_that_class_indications():
    by_class = {c: {t.lower() for t in terms} for c, terms in class_terms().items()}
    official = {(i.nice_class, i.label.rstrip("*").strip().lower()) for i in indications()}
    assert all((c, t) in official for c, ts in by_class.items() for t in ts)
    for text in generate(SyntheticConfig(n_firms=50, seed=3)).raw["goods_services"].to_pylist():
        for c, part in class_parts(text):
            assert {t.lower() for t in part.split("; ")} <= by_class[c]
