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
    "setfit": "**SetFit (this model)**",
    "embedding_logreg": "Logistic regression on frozen all-MiniLM-L6-v2 embeddings",
    "tfidf_logreg": "TF-IDF (word 1-2 grams) + logistic regression",
    "keyword_rule": "Keyword rule from the labelling guide (no training)",
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
    """`model-index` entries: SetFit's test metrics on the labelled dataset's test split."""
    return [
        EvalResult(
            task_type="text-classification",
            task_name="Text Classification",
            dataset_type=dataset_repo_id or "twin-transition-labelled",
            dataset_name=DATASET_PRETTY_NAME,
            dataset_config="default",
            dataset_split="test",
            metric_type=METRIC_TYPES[key],
            metric_name=name,
            metric_value=round(float(results["metrics"][key]), 4),
        )
        for key, name in METRICS
    ]


def twin_section(results: dict, *, repo_id: str, dataset_repo_id: str | None, label_definition: str) -> str:
    """The project's section of the model card (markdown)."""
    label = results["label"]
    data_link = (
        f"[{dataset_repo_id}]({_hub_url(dataset_repo_id, 'dataset')})"
        if dataset_repo_id
        else "the labelled data shipped in the `twin_transition` package"
    )
    counts = [
        [f"`{name}`", str(idx), str(results["train_counts"][name]), str(results["test_counts"][name])]
        for idx, name in ((1, label), (0, f"not_{label}"))
    ]
    scores = [("setfit", results["metrics"])] + list(results["baselines"].items())
    score_rows = [[METHOD_NAMES.get(m, m)] + [f"{values[key]:.3f}" for key, _ in METRICS] for m, values in scores]
    config = results.get("config", {})
    return f"""{SECTION_MARKER}
## TwinTransition: {label}

This classifier tells whether a trademark's goods/services description belongs to the **{label} transition**
({label_definition}). It is one of the two TwinTransition classifiers (green, digital) of this release; the
labels follow the labelling guide published with the training data.

- **Labels:** `{label}` (1) and `not_{label}` (0); `predict` returns these names.
- **Training data:** {data_link}, fixed train/test split; {results["train_counts"][label]} examples per class
  drawn from the train split (seed {config.get("seed", "?")}), evaluated on the whole test split.
- **Training time:** {results["train_seconds"]:.0f} s wall clock for `setfit.Trainer.train()`
  ({results["train_cpu_seconds"]:.0f} CPU-seconds) on CPU.

### Examples per label

{_table(["Label", "Id", "Training examples", "Test examples"], counts)}

### Held-out test results against baselines

All methods are trained on the same examples and scored on the same test split (positive class: `{label}`).

{_table(["Method"] + [name for _, name in METRICS], score_rows)}

### Loading without pickle

SetFit stores its head as `model_head.pkl`. This repository also holds `twin_head.safetensors` (the logistic
regression coefficients and intercept), so the model can be used without unpickling anything, with the same
probabilities as `SetFitModel.predict_proba`:

```python
from huggingface_hub import snapshot_download
from safetensors.numpy import load_file
from scipy.special import expit
from sentence_transformers import SentenceTransformer

path = snapshot_download("{repo_id}", ignore_patterns=["*.pkl"])
head = load_file(f"{{path}}/twin_head.safetensors")
body = SentenceTransformer(path)
p_{label} = expit(body.encode(["Solar panels; wind turbines"]) @ head["coef"].T + head["intercept"])[:, 0]
```

The project's own loader does the same: `twin_transition.load_twin_classifier("{repo_id}").predict_proba(texts)`.
"""


def _with_limitations_and_citations(text: str, results: dict) -> str:
    """Fill SetFit's commented-out limitations section, and cite the body and the classification next to SetFit."""
    label = results["label"]
    keyword = results["baselines"].get("keyword_rule", {}).get("f1")
    limitations = f"""## Bias, Risks and Limitations

- The labels follow the project's labelling guide, not a legal or official definition of the {label} transition;
  a 1 means the description is substantially about it (the main theme), not that it mentions it.
- Trained on {results["train_counts"][label]} examples per class of short, hand-written descriptions. Real registry
  descriptions are long lists in Nice wording: expect lower precision there, above all on lists with one
  {label} item among many others, and on keyword traps (e.g. "energy drinks", "digital thermometers").
- English only: a description in another language gets a probability that means nothing.
- The test split is written like the training data{
        f"; a keyword rule scores F1 {keyword:.3f} on it, so read the gap to that baseline, not the absolute F1"
        if keyword is not None
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
        results, repo_id=repo_id, dataset_repo_id=dataset_repo_id, label_definition=label_definition
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
