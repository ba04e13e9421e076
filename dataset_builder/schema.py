"""The published dataset's shape: typed `datasets.Features` for the `filings` and `sequences` configs.

This is the contract between the builder and its consumers (MarketBERT, TwinTransition scoring, the Space).
"""

from __future__ import annotations

from datasets import Features, List, Value

from nice_classification import NUM_NICE_CLASSES  # noqa: F401 - re-exported for the builder's users

DATASET_NAME = "firm-trademark-sequences"
SPLITS = ("train", "validation", "test")

# One filing as it appears inside a firm's sequence (and, with firm columns, as a row of `filings`).
FILING_FEATURES = {
    "application_number": Value("string"),  # registry number, e.g. "018222204" or USPTO serial "97123456"
    "filing_date": Value("date32"),
    "nice_classes": List(Value("int8")),  # sorted, unique, each in 1..45
    "terms": List(Value("string")),  # normalised goods/services terms (lower case, ';'/','-split), all classes
    # Goods/services text, classes joined as "Class 9: ...; Class 42: ...": English where the registry has it
    "goods_services": Value("string"),
    # The ISO 639-1 code ("en", "de", ...) of each class's text, in the order of `goods_services`; null: not known
    "goods_services_lang": List(Value("string")),
}

# Config `filings`: one row per (firm, filing); a filing with two owners appears once per owner firm, a filing whose
# record names no owner once, with a null firm (it is in no sequence).
FILINGS_FEATURES = Features(
    {
        "firm_id": Value("string"),  # null: the record names no owner
        "firm_name": Value("string"),  # normalised display name; applicant id when no name is known
        **FILING_FEATURES,
        "source": Value("string"),  # "euipo", "uspto-xml", "uspto-csv", "csv", "jsonl", "synthetic"
    }
)

# Config `sequences`: one row per firm, filings in chronological order (ties broken by application number).
SEQUENCES_FEATURES = Features(
    {
        "firm_id": Value("string"),
        "firm_name": Value("string"),
        "n_filings": Value("int32"),
        "filings": List(FILING_FEATURES),
        # Synthetic data only (null otherwise): the generator's true probability of each Nice class (index 0 =
        # class 1) appearing in the firm's LAST filing given all earlier ones -- the oracle ceiling for evaluation.
        "oracle_last_filing_class_probs": List(Value("float32")),
    }
)


def dataset_layout():
    """The published layout (configs, splits, reject reasons, builder version) as the dataset card describes it."""
    from importlib.metadata import version

    from dataset_builder.report import REJECT_REASONS
    from model_cards.dataset_card import DatasetLayout

    return DatasetLayout(
        name=DATASET_NAME,
        configs={"sequences": SEQUENCES_FEATURES, "filings": FILINGS_FEATURES},
        splits=SPLITS,
        reject_reasons=REJECT_REASONS,
        builder_version=version("marketbert-release"),
    )
