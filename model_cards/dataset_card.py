"""The dataset card of the firm trademark sequence dataset, built from a `BuildReport`.

`DatasetCardData` carries the YAML: `configs` (data files per split, `default: true` on `sequences`),
`dataset_info` (typed features and split sizes), license, task categories, size category. The body is
`templates/dataset_card.md`; the Nice class frequency plot is a PNG written next to it. Everything is a pure
function of the build, so rebuilding unchanged data gives byte-identical files (and no new Hub commit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
from huggingface_hub import DatasetCard, DatasetCardData

from hub_client.errors import CardValidationError
from model_cards.citations import bibtex
from nice_classification import NICE_HEADINGS, NUM_NICE_CLASSES, official_heading
from nice_classification.official import EDITION

logger = logging.getLogger(__name__)

TEMPLATE = Path(__file__).parent / "templates" / "dataset_card.md"
PLOT_PATH = "images/nice_class_frequency.png"
DATASET_CITATIONS = {  # source -> what the card cites: the builder, the classification, the registry
    "euipo": ("marketbert_release", "nice", "euipo"),
    "uspto-xml": ("marketbert_release", "nice", "uspto"),
    "uspto-csv": ("marketbert_release", "nice", "uspto"),
}
REQUIRED_SECTIONS = (
    "## How to load",
    "## Dataset structure",
    "## Statistics",
    "## Provenance and processing",
    "## Citation",
)
SOURCE_DESCRIPTIONS = {
    "synthetic": "synthetic data from `dataset_builder.synthetic` (no real filing), read directly",
    "synthetic-euipo": (
        "synthetic data from `dataset_builder.synthetic` (no real filing), written as EUIPO trade mark XML "
        "(EM-TM-TradeMark-V3, zip archives as the EUIPO bulk downloads come) and read through the EUIPO reader"
    ),
    "synthetic-uspto-csv": (
        "synthetic data from `dataset_builder.synthetic` (no real filing), written as USPTO Trademark Case Files "
        "Dataset CSV tables and read through the USPTO Case Files reader"
    ),
    "euipo": "EUIPO open data, EU trade mark XML (EM-TM-TradeMark-V3); reuse allowed with credit to the EUIPO",
    "uspto-xml": "USPTO trademark daily XML v2.0 (US government work, public domain)",
    "uspto-csv": "USPTO Trademark Case Files Dataset (US government work, public domain)",
    "csv": "CSV files supplied by the builder's user",
    "parquet": "Parquet files supplied by the builder's user",
    "jsonl": "JSON Lines files supplied by the builder's user",
}


@dataclass(frozen=True)
class DatasetLayout:
    """What the builder publishes, as the card describes it: configs with their Features, splits, reject reasons."""

    name: str  # the dataset's default repo name
    configs: dict  # config name -> `datasets.Features`; the first is the default config
    splits: tuple[str, ...]
    reject_reasons: dict[str, str]  # reason -> what it means
    builder_version: str


LICENSES = {  # source: (license id, name, link, text)
    "synthetic": ("cc0-1.0", None, None, "CC0 1.0: the synthetic data is dedicated to the public domain."),
    "synthetic-euipo": ("cc0-1.0", None, None, "CC0 1.0: the synthetic data is dedicated to the public domain."),
    "synthetic-uspto-csv": ("cc0-1.0", None, None, "CC0 1.0: the synthetic data is dedicated to the public domain."),
    "euipo": (
        "other",
        "euipo-open-data",
        "https://euipo.europa.eu/ohimportal/en/open-data",
        "EUIPO open data: reuse is allowed with credit to the EUIPO as the source.",
    ),
    "uspto-xml": ("other", "us-government-work", None, "USPTO data is a US government work (public domain)."),
    "uspto-csv": ("other", "us-government-work", None, "USPTO data is a US government work (public domain)."),
}


def _size_category(n: int) -> str:
    for bound, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < bound:
            return label
    return "1M<n<10M" if n < 10_000_000 else "10M<n<100M"


def _dataset_info(repo: Path, report, layout: DatasetLayout) -> list[dict]:
    import datasets

    infos = []
    for config, features in layout.configs.items():
        counts = report.firms if config == "sequences" else report.filings
        splits, download = datasets.SplitDict(), 0
        for split in layout.splits:
            files = sorted((repo / "data" / config).glob(f"{split}-*.parquet"))
            num_bytes = 0
            for f in files:
                meta = pq.ParquetFile(f).metadata
                num_bytes += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
                download += f.stat().st_size
            splits.add(datasets.SplitInfo(split, num_bytes=num_bytes, num_examples=counts[split]))
        info = datasets.DatasetInfo(
            features=features,
            splits=splits,
            download_size=download,
            dataset_size=sum(s.num_bytes for s in splits.values()),
        )
        infos.append({"config_name": config, **info._to_yaml_dict()})
    return infos


def _configs(layout: DatasetLayout) -> list[dict]:
    default = next(iter(layout.configs))
    return [
        {
            "config_name": config,
            "data_files": [{"split": s, "path": f"data/{config}/{s}-*.parquet"} for s in layout.splits],
            **({"default": True} if config == default else {}),
        }
        for config in layout.configs
    ]


def write_class_plot(class_frequency: dict[str, int], path: Path) -> Path:
    """Bar chart of filings per Nice class (deterministic PNG bytes: no software/date metadata, fixed size)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    classes = list(range(1, NUM_NICE_CLASSES + 1))
    counts = [class_frequency.get(str(c), 0) for c in classes]
    fig, ax = plt.subplots(figsize=(10, 3.2), dpi=100)
    ax.bar(classes, counts, color=["#3b6ea5" if c <= 34 else "#d9822b" for c in classes])
    ax.set_xticks(classes, [str(c) for c in classes], fontsize=7)
    ax.set_xlim(0.3, NUM_NICE_CLASSES + 0.7)
    ax.set_xlabel("Nice class (1-34 goods, 35-45 services)")
    ax.set_ylabel("filings")
    ax.set_title("Filings per Nice class")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path


def _class_rows(class_frequency: dict[str, int]) -> list[dict]:
    """The 45 classes for the card's table: number, short label, official heading, filings."""
    return [
        {
            "number": c,
            "label": NICE_HEADINGS[c],
            "heading": official_heading(c),
            "filings": class_frequency.get(str(c), 0),
        }
        for c in range(1, NUM_NICE_CLASSES + 1)
    ]


def build_dataset_card(report, layout: DatasetLayout, repo_id: str | None = None) -> DatasetCard:
    """The card for a build (the builder's `BuildReport`) of `layout`; `repo_id` goes into the usage snippet."""
    repo = Path(report.out_dir) / "repo"
    repo_id = repo_id or f"ORG/{layout.name}"
    license_id, license_name, license_link, license_text = LICENSES.get(
        report.source, ("unknown", None, None, "The license of the input data applies; the builder adds none.")
    )
    synthetic = report.source.startswith("synthetic")
    card_data = DatasetCardData(
        pretty_name="Firm trademark sequences" + (" (synthetic)" if synthetic else ""),
        language=sorted(k for k in report.stats.get("text_languages", {}) if k != "unknown") or None,
        license=license_id,
        task_categories=["fill-mask", "time-series-forecasting"],
        size_categories=[_size_category(sum(report.firms.values()))],
        source_datasets=["original"] if synthetic else None,
        tags=["trademarks", "nice-classification", "firms", "market2vec", "marketbert"]
        + (["synthetic"] if synthetic else []),
        configs=_configs(layout),
        dataset_info=_dataset_info(repo, report, layout),
        **({"license_name": license_name} if license_name else {}),
        **({"license_link": license_link} if license_link else {}),
    )
    card = DatasetCard.from_template(
        card_data,
        template_path=str(TEMPLATE),
        pretty_name=card_data.pretty_name,
        repo_id=repo_id,
        synthetic=synthetic,
        seed=report.seed,
        n_firms=(report.synthetic or {}).get("n_firms"),
        min_filings=report.min_filings,
        splits=layout.splits,
        firms=report.firms,
        filings=report.filings,
        total_firms=sum(report.firms.values()),
        total_filings=sum(report.filings.values()),
        filings_without_firm=getattr(report, "filings_without_firm", 0),
        stats=report.stats,
        plot_path=PLOT_PATH,
        source=report.source,
        source_description=SOURCE_DESCRIPTIONS[report.source],
        reader=getattr(report, "reader", None),
        inputs=[Path(p).name for p in report.inputs],
        version=layout.builder_version,
        records_read=report.records_read,
        records_kept=report.records_kept,
        records_rejected=report.records_rejected,
        rejected_by_reason=dict(sorted(report.rejected_by_reason.items())),
        dropped_class_codes=report.dropped_class_codes,
        reason_descriptions=layout.reject_reasons,
        license_text=license_text,
        nice_edition=EDITION,
        nice_classes=_class_rows(report.stats.get("class_frequency", {})),
        citation=bibtex(
            *DATASET_CITATIONS.get(report.source, ("marketbert_release", "nice")), version=layout.builder_version
        ),
    )
    check_dataset_card(card, layout)
    return card


def check_dataset_card(card: DatasetCard, layout: DatasetLayout) -> None:
    """Offline checks: metadata round-trips, every config listed with all splits, required sections present."""
    parsed = DatasetCard(str(card))
    configs = {c["config_name"]: c for c in parsed.data.to_dict().get("configs", [])}
    default = next(iter(layout.configs))
    if set(configs) != set(layout.configs) or not configs[default].get("default"):
        raise CardValidationError(
            f"Card configs must be {list(layout.configs)} with `{default}` default; got {configs}."
        )
    for name, config in configs.items():
        if {f["split"] for f in config["data_files"]} != set(layout.splits):
            raise CardValidationError(f"Config {name!r} must list data files for {layout.splits}.")
    missing = [s for s in REQUIRED_SECTIONS if s not in parsed.text]
    if missing:
        raise CardValidationError(f"Card is missing section(s) {missing}.")


def write_dataset_card(report, layout: DatasetLayout, repo_id: str | None = None) -> Path:
    """Write `README.md` and the class-frequency plot into the build's `repo/` folder; returns the README path."""
    repo = Path(report.out_dir) / "repo"
    write_class_plot(report.stats["class_frequency"], repo / PLOT_PATH)
    card = build_dataset_card(report, layout, repo_id)
    path = repo / "README.md"
    path.write_text(str(card) if str(card).endswith("\n") else f"{card}\n", encoding="utf-8")
    logger.info("Wrote the dataset card %s", path)
    return path
