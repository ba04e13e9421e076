"""TwinTransition end to end on a tiny run: the real setfit.Trainer for a few steps, the pickle-free head, the card,
and the round trip through the local Hub (push, then stock `SetFitModel.from_pretrained` in a fresh cache)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import yaml
from huggingface_hub import ModelCard
from setfit import SetFitModel

from twin_transition.config import TwinConfig
from twin_transition.head import HEAD_FILE, load_twin_classifier
from twin_transition.labelled_data import label_counts, load_labelled_data
from twin_transition.publishing import publish_twin, publish_twin_dataset
from twin_transition.training import train_twin

TEXTS = [
    "Solar panels; photovoltaic inverters; installation of heat pumps",
    "Computer software for data processing; cloud hosting services",
    "Bread; cakes; pastries",
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, object]:
    """One tiny real training: 4 examples per class, 2 contrastive steps of batch 4."""
    out = tmp_path_factory.mktemp("twin") / "green"
    result = train_twin("green", TwinConfig(examples_per_class=4, max_steps=2, batch_size=4, seed=1), out)
    return out, result


def test_training_writes_model_head_config_and_results(trained):
    out, result = trained
    for name in ("model.safetensors", "model_head.pkl", "config_setfit.json", HEAD_FILE, "twin_config.json"):
        assert (out / name).is_file(), name
    saved = json.loads((out / "twin_results.json").read_text())
    assert saved["train_counts"] == {"green": 4, "not_green": 4} == result.train_counts
    assert saved["test_counts"] == label_counts(load_labelled_data())["test"]["green"]
    assert set(saved["baselines"]) == {"tfidf_logreg", "embedding_logreg", "keyword_rule"}
    assert set(saved["metrics"]) == {"accuracy", "f1", "precision", "recall", "mcc"}
    assert 0 <= saved["metrics"]["accuracy"] <= 1 and len(saved["train_ids"]) == 8
    assert json.loads((out / "config_setfit.json").read_text())["labels"] == ["not_green", "green"]


def test_pickle_free_head_matches_stock_setfit(trained):
    out, _ = trained
    stock = SetFitModel.from_pretrained(str(out))
    ours = load_twin_classifier(out)
    expected = stock.predict_proba(TEXTS, as_numpy=True)
    got = ours.predict_proba(TEXTS)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    assert ours.predict(TEXTS) == list(stock.predict(TEXTS))
    assert ours.class_names == ["not_green", "green"] and ours.label == "green"


def test_bad_input_is_handled(trained, caplog):
    classifier = load_twin_classifier(trained[0])
    with pytest.raises(ValueError, match="Text #1 is empty"):
        classifier.predict_proba(["Computer software", ""])
    long_text = "; ".join(["computer software for managing databases"] * 400)
    probs = classifier.predict_proba([long_text])
    assert probs.shape == (1, 2) and np.isclose(probs.sum(), 1.0)
    assert "only the beginning is scored" in classifier.check_inputs([long_text])[0]
    german = "Computersoftware; Datenverarbeitung für die Industrie und den Handel"
    with caplog.at_level(logging.WARNING, logger="twin_transition.head"):
        probs = classifier.predict_proba([german, TEXTS[0]])
    assert probs.shape == (2, 2)
    assert "1 of 2 text(s) do not look like English (e.g. #0)" in caplog.text
    assert classifier.check_inputs([TEXTS[0]]) == [None]


def test_push_and_stock_from_pretrained_in_fresh_cache(trained, hub, tmp_path):
    out, result = trained
    suffix = tmp_path.name[-8:].replace("_", "-")
    dataset_repo = f"{hub.namespace}/twin-data-{suffix}"
    repo_id = f"{hub.namespace}/twin-green-{suffix}"
    data_result = publish_twin_dataset(dataset_repo, tag="v1", api=hub.api)
    pushed = publish_twin(out, repo_id, tag="v1", dataset_repo_id=dataset_repo, api=hub.api)
    assert pushed.created_commit and pushed.tag == "v1"
    assert [t.name for t in hub.api.list_repo_refs(repo_id).tags] == ["v1"]
    assert [t.name for t in hub.api.list_repo_refs(dataset_repo, repo_type="dataset").tags] == ["v1"]
    assert data_result.repo_type == "dataset"

    # Stock users: SetFitModel.from_pretrained from the Hub, in a fresh cache.
    stock = SetFitModel.from_pretrained(repo_id, cache_dir=str(tmp_path / "cache-stock"))
    local = SetFitModel.from_pretrained(str(out))
    np.testing.assert_array_equal(stock.predict_proba(TEXTS, as_numpy=True), local.predict_proba(TEXTS, as_numpy=True))
    assert list(stock.predict(TEXTS)) == list(local.predict(TEXTS))

    # The project's path: no pickle is downloaded, same probabilities.
    cache = tmp_path / "cache-ours"
    ours = load_twin_classifier(repo_id, revision="v1", cache_dir=cache)
    np.testing.assert_array_equal(ours.predict_proba(TEXTS), stock.predict_proba(TEXTS, as_numpy=True))
    assert not list(cache.rglob("*.pkl"))

    # The card: labels, training data link, counts, baselines, model-index.
    card = ModelCard.load(repo_id)
    meta = yaml.safe_load(str(card).split("---")[1])
    assert meta["datasets"] == [dataset_repo] and meta["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert "twin-transition" in meta["tags"] and meta["library_name"] == "setfit"
    metrics = {m["type"]: m["value"] for m in meta["model-index"][0]["results"][0]["metrics"]}
    assert metrics["f1"] == round(result.metrics["f1"], 4)
    assert metrics["matthews_correlation"] == round(result.metrics["mcc"], 4)
    assert meta["model-index"][0]["results"][0]["dataset"]["type"] == dataset_repo
    assert f'SetFitModel.from_pretrained("{repo_id}")' in card.text
    test_positives = label_counts(load_labelled_data())["test"]["green"]["green"]
    assert f"| `green` | 1 | 4 | {test_positives} |" in card.text
    assert "TF-IDF (word 1-2 grams) + logistic regression" in card.text
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
