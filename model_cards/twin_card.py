"""Cards for the TwinTransition release: SetFit's model card enriched with the project's facts, and the card of the
labelled few-shot dataset.

The model card starts from the `README.md` SetFit writes at `save_pretrained` (its template, hyperparameters and
label examples) and adds: the label and its definition, the training-data link, per-label counts, SetFit against
the baselines on the held-out split, `model-index` built by `huggingface_hub.EvalResult`, and the pickle-free
loading path. Validate with `card.validate()` (the Hub's validate-yaml endpoint) before pushing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from huggingface_hub import DatasetCard, DatasetCardData, EvalResult, ModelCard
from huggingface_hub import constants as hub_constants

from model_cards.citations import bibtex
from nice_classification.official import SOURCE_CREDIT

BASE_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
METRICS = (("accuracy", "Accuracy"), ("f1", "F1"), ("precision", "Precision"), ("recall", "Recall"), ("mcc", "MCC"))
# `model-index` metric types (the Hub's metric ids); MCC is "matthews_correlation".
METRIC_TYPES = {
    "accuracy": "accuracy",
    "f1": "f1",
    "precision": "precision",
    "recall": "recall",
    "mcc": "matthews_correlation",
}
METHOD_NAMES = {
    "item_setfit": "**Item-level SetFit + share rule (this model)**",
    "whole_text_setfit": "Whole-text SetFit (same contrastive budget, calibrated threshold)",
    "item_embedding_logreg": "Item-level logistic regression on frozen embeddings + share rule",
    "embedding_logreg": "Logistic regression on frozen all-MiniLM-L6-v2 embeddings of whole descriptions",
    "tfidf_logreg": "TF-IDF (word 1-2 grams) + logistic regression",
    "keyword_rule": "Keyword rule (no training)",
}
SPLIT_NAMES = {"test": "hard test split", "real_validation": "real registry descriptions"}
RUBRIC = {
    "green": (
        "the goods/services are mainly about environmental sustainability: renewable generation or storage, "
        "energy efficiency, e-mobility and charging, recycling, waste and circular economy, pollution control, water "
        "or sewage treatment, environmental consulting or monitoring, biodegradable or recycled materials, carbon "
        "management. Ordinary agriculture, cleaning products, ordinary vehicles, energy or fuel trading and indoor "
        "heating, ventilation or air purifiers are 0 unless an environmental purpose is explicit, and so are keyword "
        'traps such as "energy drinks", "solarium" or "environmental control apparatus" (climate control)'
    ),
    "digital": (
        "the goods/services are mainly digital technology: software or SaaS, computer hardware and peripherals, data "
        "processing, IT services, telecom and network services, online platforms and marketplaces (payment and "
        "crypto included), AI, downloadable or online content, data storage, apps. Online retail of physical goods, "
        "digital marketing, and class-9 lists that are mostly protective, optical, audio or phone-case items are 0, "
        'and so are keyword traps such as "digital thermometers" or e-cigarettes'
    ),
}
DATASET_PRETTY_NAME = "TwinTransition labelled goods/services"
SECTION_MARKER = "<!-- twin-transition -->"


def _hub_url(repo_id: str, repo_type: str = "model") -> str:
    prefix = "" if repo_type == "model" else f"{repo_type}s/"
    return f"{hub_constants.ENDPOINT}/{prefix}{repo_id}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def eval_results(results: dict, *, dataset_repo_id: str | None) -> list[EvalResult]:
    """`model-index` entries: this model's metrics on the hard test split and on the real registry descriptions."""
    entries = []
    for split, metrics in results["evaluations"]["item_setfit"].items():
        if metrics.get("positives") == 0:  # F1, precision and recall are undefined without a positive
            continue
        for key, name in METRICS:
            entries.append(
                EvalResult(
                    task_type="text-classification",
                    task_name="Text Classification",
                    dataset_type=dataset_repo_id or "twin-transition-labelled",
                    dataset_name=f"{DATASET_PRETTY_NAME} ({SPLIT_NAMES.get(split, split)})",
                    dataset_config="default",
                    dataset_split=split,
                    metric_type=METRIC_TYPES[key],
                    metric_name=name,
                    metric_value=round(float(metrics[key]), 4),
                )
            )
    return entries


def comparison_table(results: dict) -> str:
    """Precision, recall and F1 of every method on every evaluated split."""
    evaluations = results["evaluations"]
    splits = list(evaluations["item_setfit"])
    header = ["Method"] + [f"{SPLIT_NAMES.get(s, s)}: {m}" for s in splits for m in ("P", "R", "F1")]

    def cell(metrics: dict | None, key: str) -> str:
        if metrics is None:
            return ""
        if metrics.get("positives") == 0:
            return "n/a"  # no positive description in the split: nothing to find, accuracy is in twin_results.json
        return f"{metrics[key]:.3f}"

    rows = [
        [METHOD_NAMES.get(method, method)]
        + [cell(by_split.get(s), m) for s in splits for m in ("precision", "recall", "f1")]
        for method, by_split in evaluations.items()
    ]
    return _table(header, rows)


def twin_section(
    results: dict,
    *,
    repo_id: str,
    dataset_repo_id: str | None,
    label_definition: str,
    has_learning_curve: bool = False,
) -> str:
    """The project's section of the model card (markdown)."""
    label = results["label"]
    data_link = (
        f"[{dataset_repo_id}]({_hub_url(dataset_repo_id, 'dataset')})"
        if dataset_repo_id
        else "the labelled data shipped in the `twin_transition` package"
    )
    decision = results["decision"]
    share, raw = decision["min_share"], decision.get("calibrated_item_threshold")
    sizes = results.get("split_sizes", {})
    config = results.get("config", {})
    ours = results["evaluations"]["item_setfit"]["test"]
    whole = results["evaluations"].get("whole_text_setfit", {}).get("test")
    if whole and ours["f1"] >= whole["f1"]:
        verdict = (
            f"**Decision:** on the hard test split the item-level model scores F1 {ours['f1']:.3f} and whole-text "
            f"SetFit {whole['f1']:.3f} with the same contrastive budget, so the item-level model is the one published."
        )
    elif whole:
        verdict = (
            f"**Note:** on the hard test split whole-text SetFit scores F1 {whole['f1']:.3f}, above the item-level "
            f"model's {ours['f1']:.3f}; the item-level model is published for its explanations (item scores)."
        )
    else:
        verdict = f"On the hard test split the item-level model scores F1 {ours['f1']:.3f}."
    frozen = results["evaluations"].get("item_embedding_logreg", {}).get("test")
    if frozen and frozen["f1"] >= ours["f1"]:
        verdict += (
            f" The same items, head and rule on the frozen body score F1 {frozen['f1']:.3f}: on this split the short "
            "contrastive phase adds nothing measurable; the gain over whole-text methods comes from scoring items."
        )
    split_counts = "; ".join(
        f"{SPLIT_NAMES.get(split, split)}: {m.get('n', '?')} descriptions, {m.get('positives', '?')} {label}"
        for split, m in results["evaluations"]["item_setfit"].items()
    )
    curve = (
        "\n### Learning curve\n\nF1 on the hard test split against the number of labelled examples per class "
        "(mean ± std over seeds; `learning_curve.md` in this repository has the numbers):\n\n"
        "![learning curve](learning_curve.png)\n"
        if has_learning_curve
        else ""
    )
    counts = [
        [f"`{name}`", str(idx), str(results["train_counts"][name]), str(results["test_counts"][name])]
        for idx, name in ((1, label), (0, f"not_{label}"))
    ]
    rubric = RUBRIC.get(label, label_definition)
    return f"""{SECTION_MARKER}
## TwinTransition: {label}

This classifier tells whether a trademark's goods/services description (one Nice class of one filing, usually a
list of terms) is **{label}**. A 1 means that {rubric}. "Mainly" is the rubric's "substantially": the {label} items
are the main theme of the list (roughly a third of the items or more), not one or two items in a list about
something else. It is one of the two TwinTransition classifiers (green, digital) of this release.

### How it decides

1. The description is split into its items (`;`-separated, or top-level `,` when there is no `;`; "Class 9:"
   markers and trailing periods removed; official Nice indications with commas kept whole).
2. SetFit scores every item: `p_item` = the probability that the item alone is {label}.
3. The description is `{label}` when at least **{share:.0%}** of its items have `p_item >= 0.5`.

Both numbers were calibrated on the validation split ({sizes.get("validation", "?")} descriptions, best F1): the
item threshold found there ({f"{raw:.3f}" if raw is not None else "0.5"}) is folded into the head's intercept, so that
`p_item >= 0.5` in this repository is the calibrated threshold, for a stock `SetFitModel` as for the project's
loader; the share is saved in `twin_decision.json`. A description with no English text is **unknown** (null):
the project's loader never scores it as if it were English.

- **Labels:** `{label}` (1) and `not_{label}` (0); `predict` on an item returns these names.
- **Training data:** {data_link}: the contrastive phase on {results["contrastive_counts"][label]} {label} and
  {results["contrastive_counts"][f"not_{label}"]} other examples (train-pool Nice items first, half of the others
  keyword traps), {config.get("max_steps", "?")} steps at most; the logistic-regression head on all
  {sum(results["train_counts"].values())} training examples (every train-pool Nice item and the hand-written train
  descriptions; class weights balanced). Test descriptions are composed only from test-pool items.
- **Training time:** {results["train_seconds"]:.0f} s wall clock for the contrastive phase, the head and the
  calibration ({results["train_cpu_seconds"]:.0f} CPU-seconds) on CPU.

### Usage with a stock `SetFitModel`

```python
import json
from huggingface_hub import hf_hub_download
from setfit import SetFitModel

model = SetFitModel.from_pretrained("{repo_id}")
rule = json.load(open(hf_hub_download("{repo_id}", "twin_decision.json")))

def is_{label}(description: str) -> bool:
    items = [i.strip(" .") for i in description.split(";") if i.strip(" .")]
    counted = model.predict_proba(items, as_numpy=True)[:, 1] >= rule["item_threshold"]  # 0.5
    return counted.mean() >= rule["min_share"]

print(is_{label}("Photovoltaic solar modules; wind turbines; installation of solar energy systems"))
```

The project's loader does the same with its item splitter, flags non-English text and explains the decision:
`clf = twin_transition.load_twin_classifier("{repo_id}")`; `clf.predict(texts)`, `clf.predict_proba(texts)` (column
1 >= 0.5 exactly when the rule says 1), `clf.explain(text)` -> `[(item, p_item, counted)]`. It loads the head from
`twin_head.safetensors`, without unpickling anything.

### Results

Item-level SetFit against whole-text SetFit and the baselines (positive class `{label}`; P = precision, R =
recall). Every trained method saw the same train split, thresholds were calibrated on the validation split; the
real registry descriptions are hand-labelled EUIPO/USPTO lists, never trained on ({split_counts}).
{verdict}

{comparison_table(results)}

### Examples per label

{_table(["Label", "Id", "Training examples", "Test descriptions"], counts)}
{curve}"""


def _with_limitations_and_citations(text: str, results: dict) -> str:
    """Fill SetFit's commented-out limitations section, and cite the body and the classification next to SetFit."""
    label = results["label"]
    keyword = results["evaluations"].get("keyword_rule", {}).get("test", {}).get("f1")
    limitations = f"""## Bias, Risks and Limitations

- The labels follow the project's labelling guide, not a legal or official definition of the {label} transition;
  a 1 means the description is substantially about it (the main theme), not that it mentions it.
- Trained on official Nice indications: items in other wording (national lists, free text) are scored, but less
  reliably; a description that is not a list is one item, judged as a whole.
- The share rule counts items, whatever their importance: a long list padded with generic items can hide a
  {label} headline service.
- English only: a description without English text is unknown (null), not scored.
- The hard test split is composed from Nice items unseen in training{
        f"; the keyword rule scores F1 {keyword:.3f} on it" if keyword is not None else ""
    }; the real registry descriptions are the closer estimate of what users get{
        f", but they hold no {label} description yet: the real-data F1 of this label is not measured"
        if results["evaluations"]["item_setfit"].get("real_validation", {}).get("positives") == 0
        else ""
    }.
"""
    text = re.sub(r"<!--\n## Bias, Risks and Limitations.*?-->\n", lambda _: limitations, text, count=1, flags=re.S)
    ours = bibtex("marketbert_release", "sbert", "nice", version=_package_version())
    if "@misc{wipo2024nice," in text:  # re-publishing a card that has them already
        return text
    return re.sub(
        r"(## Citation\n.*?```bibtex\n.*?```\n)",
        lambda m: f"{m.group(1)}\n```bibtex\n{ours}\n```\n",
        text,
        count=1,
        flags=re.S,
    )


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("marketbert-release")
    except PackageNotFoundError:
        return "unknown"


def build_twin_model_card(
    model_dir: str | Path,
    *,
    repo_id: str,
    dataset_repo_id: str | None = None,
    label_definition: str = "",
) -> ModelCard:
    """SetFit's card from `model_dir/README.md`, enriched with `model_dir/twin_results.json` (see module docstring)."""
    model_dir = Path(model_dir)
    results = json.loads((model_dir / "twin_results.json").read_text(encoding="utf-8"))
    card = ModelCard.load(model_dir / "README.md")
    label = results["label"]

    data = card.data
    data.language = "en"
    data.license = "apache-2.0"
    data.library_name = "setfit"
    data.pipeline_tag = "text-classification"
    data.base_model = BASE_MODEL_ID
    data.tags = sorted({*(data.tags or []), "twin-transition", f"{label}-transition", "trademarks", "setfit"})
    data.metrics = [METRIC_TYPES[key] for key, _ in METRICS]
    if dataset_repo_id:
        data.datasets = [dataset_repo_id]
    data.model_name = repo_id.split("/")[-1]
    data.eval_results = eval_results(results, dataset_repo_id=dataset_repo_id)

    # SetFit fills its usage snippet with a placeholder (or the save folder's last two parts): use the repo id.
    text = re.sub(r'SetFitModel\.from_pretrained\("[^"]*"\)', f'SetFitModel.from_pretrained("{repo_id}")', card.text)
    if SECTION_MARKER in text:  # re-publishing: replace the previous section
        text = text[: text.index(SECTION_MARKER)] + text[text.index("## Model Details") :]
    section = twin_section(
        results,
        repo_id=repo_id,
        dataset_repo_id=dataset_repo_id,
        label_definition=label_definition,
        has_learning_curve=(model_dir / "learning_curve.png").is_file(),
    )
    text = text.replace("## Model Details", section + "\n## Model Details", 1)
    text = _with_limitations_and_citations(text, results)
    if dataset_repo_id:  # SetFit could not check the dataset id at training time; fill in its comment
        link = f"- **Training Dataset:** [{DATASET_PRETTY_NAME}]({_hub_url(dataset_repo_id, 'dataset')})"
        text = re.sub(r"<!-- - \*\*Training Dataset:\*\* \[Unknown\]\([^)]*\) -->", link, text)
    return ModelCard(f"---\n{data.to_yaml()}\n---\n{text}")


def build_twin_dataset_card(
    counts: dict[str, dict[str, dict[str, int]]],
    categories: dict[str, dict[str, int]],
    *,
    repo_id: str,
    label_definitions: dict[str, str],
) -> DatasetCard:
    """Card of the labelled few-shot dataset: `counts` from `label_counts`, `categories` = {split: {category: n}}."""
    data = DatasetCardData(
        language=["en"],
        license="cc-by-4.0",
        pretty_name=DATASET_PRETTY_NAME,
        task_categories=["text-classification"],
        size_categories=["n<1K" if sum(sum(c.values()) for c in categories.values()) < 1000 else "1K<n<10K"],
        annotations_creators=["expert-generated"],
        language_creators=["expert-generated"],
        multilinguality=["monolingual"],
        source_datasets=["original"],
        tags=["twin-transition", "green-transition", "digital-transition", "trademarks", "few-shot", "setfit"],
        configs=[
            {
                "config_name": "default",
                "data_files": [{"split": split, "path": f"data/{split}.jsonl"} for split in counts],
            }
        ],
    )
    splits = list(counts)
    label_rows = [
        [f"`{label}`", f"`{name}`"] + [str(counts[split][label][name]) for split in splits]
        for label in label_definitions
        for name in (label, f"not_{label}")
    ]
    all_categories = sorted({c for split in splits for c in categories[split]})
    category_rows = [[f"`{c}`"] + [str(categories[split].get(c, 0)) for split in splits] for c in all_categories]
    definitions = "\n".join(f"- **{label}**: {text}." for label, text in label_definitions.items())
    total = sum(sum(categories[split].values()) for split in splits)
    content = f"""---
{data.to_yaml()}
---

# {DATASET_PRETTY_NAME}

{total} goods/services descriptions in the style of trademark specifications (Nice-class wording, terms separated by
`;`), each labelled **green** yes/no and **digital** yes/no. They train and evaluate the SetFit TwinTransition
classifiers of the marketbert-release project. Some were written by the project team (`source: hand_written`); the
others (`source: composed_nice`) are lists of official indications of the {SOURCE_CREDIT}, each indication
labelled by the project team, the description labelled by the share of its items (1 when at least a third are 1).

{definitions}

The data includes hard negatives: ordinary vehicles, generic energy retail and fossil fuels (not green); class 9
goods that process no data, computer accessories and printed matter (not digital). The full rules are in
[LABELLING_GUIDE.md](LABELLING_GUIDE.md).

## Usage

```python
from datasets import load_dataset

data = load_dataset("{repo_id}")
```

## Fields

- `id` (string): stable example id, e.g. `tt-train-0001`.
- `text` (string): the goods/services description.
- `green`, `digital` (int8): 1 when the description belongs to the green / digital transition, else 0.
- `category` (string): how the example was written: a positive for one label (`green`, `digital`), for both
  (`green_and_digital`), a hard negative (`hard_negative_green`, `hard_negative_digital`, `keyword_trap`), one or two
  positive items in a longer list (`few_green`, `few_digital`), a share near the one-third threshold
  (`near_threshold_green`, `near_threshold_digital`), `long_list` or `neither`.
- `source` (string): `hand_written` or `composed_nice`; `nice_class` (int or null): the class of a composed list
  (null when it spans classes).
- `items` (list of strings), `item_green`, `item_digital` (lists of 0/1, null for hand-written rows): the composed
  list's indications and their labels.

## Splits and label counts

The split is fixed, so that results stay comparable across releases. The indications were split into pools first:
the test descriptions use only indications that no train description contains.

{_table(["Label", "Class"] + splits, label_rows)}

{_table(["Category"] + splits, category_rows)}

## Limitations

English only, and composed from official Nice indications: real filings also use free wording, other languages and
lists of hundreds of terms. Scores on this test split are an estimate, not a measurement, for real specifications.
"""
    return DatasetCard(content)
