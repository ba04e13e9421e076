"""TwinTransition end to end on a tiny run: the real setfit.Trainer for a few steps, the pickle-free head, the card,
and the round trip through the local Hub (push, then stock `SetFitModel.from_pretrained` in a fresh cache)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import yaml
from huggingface_hub import ModelCard, hf_hub_download
from setfit import SetFitModel

from tests.helpers.twin_corpus import write_twin_corpus
from twin_transition.comparison import METHODS
from twin_transition.config import TwinConfig
from twin_transition.decision import DECISION_FILE
from twin_transition.head import HEAD_FILE, load_twin_classifier
from twin_transition.items import split_items
from twin_transition.labelled_data import load_labelled_data
from twin_transition.learning_curve import write_outputs
from twin_transition.publishing import publish_twin, publish_twin_dataset
from twin_transition.training import train_twin

TEXTS = [
    "Solar panels; photovoltaic inverters; installation of heat pumps",
    "Computer software for data processing; cloud hosting services",
    "Bread; cakes; pastries",
]
ITEMS = ["solar panels", "computer software", "bread", "wind turbines"]
CURVE_ROWS = [
    {"label": "green", "method": "keyword_rule", "examples_per_class": 0, "seed": None, "f1": 0.5},
    *({"label": "green", "method": "setfit", "examples_per_class": n, "seed": 0, "f1": 0.6} for n in (8, 16)),
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, object]:
    """One tiny real training on the toy corpus: 4 items per class, 2 contrastive steps of batch 4."""
    data = write_twin_corpus(tmp_path_factory.mktemp("twin-data"))
    out = tmp_path_factory.mktemp("twin") / "green"
    config = TwinConfig(examples_per_class=4, max_steps=2, batch_size=4, seed=1)
    result = train_twin("green", config, out, data_dir=data)
    return out, result


def test_training_writes_model_head_rule_config_and_results(trained):
    out, result = trained
    for name in ("model.safetensors", "model_head.pkl", "config_setfit.json", HEAD_FILE, DECISION_FILE):
        assert (out / name).is_file(), name
    saved = json.loads((out / "twin_results.json").read_text())
    assert saved["train_counts"] == {"green": 4, "not_green": 12} == result.train_counts
    assert saved["contrastive_counts"] == {"green": 4, "not_green": 4}
    assert saved["test_counts"] == {"green": 3, "not_green": 5}
    assert set(saved["evaluations"]) == set(METHODS)
    assert set(saved["evaluations"]["tfidf_logreg"]) == {"test", "real_validation"}
    assert {"f1", "precision", "recall"} <= set(saved["metrics"]) and saved["metrics"]["n"] == 8
    rule = json.loads((out / DECISION_FILE).read_text())
    assert rule["item_threshold"] == 0.5 and 0 < rule["min_share"] <= 1
    assert rule["calibration"]["split"] == "validation" and rule["calibration"]["descriptions"] == 8
    assert json.loads((out / "config_setfit.json").read_text())["labels"] == ["not_green", "green"]


def test_pickle_free_head_matches_stock_setfit_on_items(trained):
    out, _ = trained
    stock = SetFitModel.from_pretrained(str(out))
    ours = load_twin_classifier(out)
    expected = stock.predict_proba(ITEMS, as_numpy=True)[:, 1]
    got = ours.item_proba(ITEMS)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    assert ours.class_names == ["not_green", "green"] and ours.label == "green"
    # The card's recipe with the stock model gives the classifier's decisions.
    rule = json.loads((out / DECISION_FILE).read_text())
    for text, decided in zip(TEXTS, ours.predict(TEXTS), strict=True):
        items = split_items(text)
        share = (stock.predict_proba(items, as_numpy=True)[:, 1] >= 0.5).mean()
        assert (share >= rule["min_share"]) == (decided == "green"), text
    assert [p >= 0.5 for p in ours.predict_proba(TEXTS)[:, 1]] == [d == "green" for d in ours.predict(TEXTS)]


def test_explain_lists_every_item_with_its_score(trained):
    classifier = load_twin_classifier(trained[0])
    explained = classifier.explain("Class 9: solar panels; bread; wind turbines.")
    assert [item for item, _, _ in explained] == ["solar panels", "bread", "wind turbines"]
    probs = classifier.item_proba(["solar panels", "bread", "wind turbines"])
    assert [p for _, p, _ in explained] == pytest.approx(probs.tolist())
    assert [counted for _, _, counted in explained] == [bool(p >= 0.5) for p in probs]


def test_bad_and_non_english_input(trained, caplog):
    classifier = load_twin_classifier(trained[0])
    with pytest.raises(ValueError, match="Text #1 is empty"):
        classifier.predict_proba(["Computer software", ""])
    long_text = "; ".join(f"computer software for managing databases number {k}" for k in range(400))
    probs = classifier.predict_proba([long_text])
    assert probs.shape == (1, 2) and np.isclose(probs.sum(), 1.0)
    german = "Computersoftware; Datenverarbeitung für die Industrie und den Handel"
    with caplog.at_level(logging.WARNING, logger="twin_transition.head"):
        probs = classifier.predict_proba([german, TEXTS[0]])
    assert np.isnan(probs[0]).all() and not np.isnan(probs[1]).any()
    assert "1 of 2 text(s) do not look like English (e.g. #0): scored as unknown" in caplog.text
    assert classifier.predict([german])[0] is None and classifier.explain(german) == []
    assert "scored as unknown" in classifier.check_inputs([german])[0]
    assert classifier.check_inputs([TEXTS[0]]) == [None]


def test_push_and_stock_from_pretrained_in_fresh_cache(trained, hub, tmp_path):
    out, result = trained
    suffix = tmp_path.name[-8:].replace("_", "-")
    dataset_repo = f"{hub.namespace}/twin-data-{suffix}"
    repo_id = f"{hub.namespace}/twin-green-{suffix}"
    data_result = publish_twin_dataset(dataset_repo, tag="v1", api=hub.api)
    curve = tmp_path / "curve"
    curve.mkdir()
    write_outputs(CURVE_ROWS, curve)
    pushed = publish_twin(out, repo_id, tag="v1", dataset_repo_id=dataset_repo, learning_curve_dir=curve, api=hub.api)
    assert pushed.created_commit and pushed.tag == "v1"
    assert [t.name for t in hub.api.list_repo_refs(repo_id).tags] == ["v1"]
    assert [t.name for t in hub.api.list_repo_refs(dataset_repo, repo_type="dataset").tags] == ["v1"]
    assert data_result.repo_type == "dataset"

    # Stock users: SetFitModel.from_pretrained from the Hub, in a fresh cache, and the rule file next to it.
    stock = SetFitModel.from_pretrained(repo_id, cache_dir=str(tmp_path / "cache-stock"))
    local = SetFitModel.from_pretrained(str(out))
    np.testing.assert_array_equal(stock.predict_proba(ITEMS, as_numpy=True), local.predict_proba(ITEMS, as_numpy=True))
    assert list(stock.predict(ITEMS)) == list(local.predict(ITEMS))
    rule_path = hf_hub_download(repo_id, DECISION_FILE, cache_dir=str(tmp_path / "cache-stock"))
    assert json.loads(Path(rule_path).read_text()) == json.loads((out / DECISION_FILE).read_text())

    # The project's path: no pickle is downloaded, same item probabilities, the same rule.
    cache = tmp_path / "cache-ours"
    ours = load_twin_classifier(repo_id, revision="v1", cache_dir=cache)
    np.testing.assert_array_equal(ours.item_proba(ITEMS), stock.predict_proba(ITEMS, as_numpy=True)[:, 1])
    assert ours.decision == load_twin_classifier(out).decision
    assert not list(cache.rglob("*.pkl"))

    # The card: rubric, rule and thresholds, the comparison on both splits, the learning curve, model-index.
    card = ModelCard.load(repo_id)
    meta = yaml.safe_load(str(card).split("---")[1])
    assert meta["datasets"] == [dataset_repo] and meta["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert "twin-transition" in meta["tags"] and meta["library_name"] == "setfit"
    results = meta["model-index"][0]["results"]
    assert [r["dataset"]["split"] for r in results] == ["test", "real_validation"]
    metrics = {m["type"]: m["value"] for m in results[0]["metrics"]}
    assert metrics["f1"] == round(result.metrics["f1"], 4)
    assert metrics["precision"] == round(result.metrics["precision"], 4)
    assert metrics["matthews_correlation"] == round(result.metrics["mcc"], 4)
    assert results[0]["dataset"]["type"] == dataset_repo
    assert f'SetFitModel.from_pretrained("{repo_id}")' in card.text
    rule = json.loads((out / DECISION_FILE).read_text())
    assert f"at least **{rule['min_share']:.0%}** of its items" in card.text
    assert f"({rule['calibrated_item_threshold']:.3f})" in card.text
    assert "| `green` | 1 | 4 | 3 |" in card.text
    assert (
        "| hard test split: P | hard test split: R | hard test split: F1 | real registry descriptions: P" in card.text
    )
    for method in ("Whole-text SetFit", "TF-IDF (word 1-2 grams)", "frozen all-MiniLM-L6-v2", "Keyword rule"):
        assert method in card.text, method
    assert "![learning curve](learning_curve.png)" in card.text
    assert {"learning_curve.png", DECISION_FILE} <= set(hub.api.list_repo_files(repo_id))
    assert "## Bias, Risks and Limitations\n\n- The labels follow" in card.text  # filled, not SetFit's comment
    assert "@inproceedings{reimers2019sbert," in card.text and "@misc{wipo2024nice," in card.text
    assert f"{hub.endpoint}/datasets/{dataset_repo}" in card.text

    # Publishing the same folder again makes no new commit, and the card section is not duplicated.
    again = publish_twin(out, repo_id, tag="v1", dataset_repo_id=dataset_repo, api=hub.api)
    assert not again.created_commit and again.commit == pushed.commit
    assert (out / "README.md").read_text().count("## TwinTransition: green") == 1


def test_labelled_dataset_round_trip(hub, tmp_path):
    from datasets import load_dataset

    repo = f"{hub.namespace}/twin-data-rt-{tmp_path.name[-8:].replace('_', '-')}"
    publish_twin_dataset(repo, api=hub.api)
    loaded = load_dataset(repo, cache_dir=str(tmp_path / "cache"))
    assert {split: len(ds) for split, ds in loaded.items()} == {s: len(d) for s, d in load_labelled_data().items()}
    assert loaded["train"][0]["id"] == "tt-train-0000"
    files = set(hub.api.list_repo_files(repo, repo_type="dataset"))
    assert {"README.md", "LABELLING_GUIDE.md", "data/train.jsonl", "data/test.jsonl"} <= files
