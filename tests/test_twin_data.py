"""TwinTransition labelled data, config, metric module, baselines and input checks (no training)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from twin_transition.baselines import keyword_rule, tfidf_logreg
from twin_transition.config import TwinConfig
from twin_transition.evaluation import compute_metrics
from twin_transition.inputs import filing_text, non_english_reason, validate_texts
from twin_transition.labelled_data import (
    DATA_DIR,
    label_counts,
    label_view,
    load_item_labels,
    load_labelled_data,
    sample_per_class,
)


@pytest.fixture(scope="module")
def data():
    return load_labelled_data()


def test_labelled_data_has_enough_examples_and_hard_negatives(data):
    assert list(data) == ["train", "validation", "test"]
    counts = label_counts(data)
    for label in ("green", "digital"):
        assert counts["test"][label][label] >= 100, f"{label}: only {counts['test'][label][label]} test positives"
        # The learning curve needs 64 examples of each class in the train split.
        assert min(counts["train"][label].values()) >= 64
    categories = Counter(data["test"]["category"])
    for category in ("few_green", "few_digital", "near_threshold_green", "near_threshold_digital", "keyword_trap"):
        assert categories[category] >= 30, category
    for row in data["train"]:
        if row["category"].startswith("hard_negative") or row["category"] == "keyword_trap":
            assert row["green"] == 0 and row["digital"] == 0, row


def test_composed_rows_follow_the_share_rule(data):
    for split in data:
        for row in data[split]:
            if row["source"] == "hand_written":
                assert row["item_green"] is None and split != "test"
                continue
            assert row["text"].lower() == "; ".join(row["items"]).lower()
            for label in ("green", "digital"):
                values = row[f"item_{label}"]
                assert row[label] == int(3 * sum(values) >= len(values)), row["id"]
            if row["category"].startswith("few_"):
                assert row[row["category"][4:]] == 0


def test_split_is_fixed_and_disjoint(data):
    texts = {split: {t.lower() for t in data[split]["text"]} for split in data}
    assert not texts["train"] & texts["test"] and not texts["train"] & texts["validation"]
    assert data["train"][0]["id"] == "tt-train-0000"
    assert all(row_id.startswith("nc-test-") for row_id in data["test"]["id"])
    # Trademark style: semicolon-separated terms.
    assert sum(";" in t for t in data["train"]["text"]) / len(data["train"]) > 0.9


def test_test_items_are_never_seen_in_training(data):
    items = load_item_labels()
    assert len(items) == 9915 and len(set(items["id"])) == 9915
    pool = dict(zip(items["text"], items["pool"], strict=True))
    # Several indications share a wording across classes; a wording counts as test-only if all its copies are.
    for split in ("validation", "test"):
        for row in data[split]:
            if row["source"] == "composed_nice":
                assert {pool[text] for text in row["items"]} <= {split}, row["id"]
    train_items = {text for row in data["train"] for text in row["items"]}
    assert not train_items & {text for row in data["test"] for text in row["items"]}
    for label in ("green", "digital"):
        positives = [row for row in items if row[label]]
        assert len(positives) >= 50 and all(row["reason"] for row in positives)


def test_bad_record_names_file_and_line(tmp_path):
    good = (DATA_DIR / "train.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    (tmp_path / "test.jsonl").write_text("\n".join(good[:1]) + "\n", encoding="utf-8")
    (tmp_path / "validation.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "train.jsonl").write_text(good[1] + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"validation\.jsonl: no rows"):
        load_labelled_data(tmp_path)
    (tmp_path / "validation.jsonl").write_text(
        json.dumps(json.loads(good[0]) | {"id": "v-0"}) + "\n", encoding="utf-8"
    )
    bad = json.loads(good[2]) | {"green": 2}
    (tmp_path / "train.jsonl").write_text("\n".join(good[1:2] + [json.dumps(bad)]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"train\.jsonl:2: 'green' must be 0 or 1, got 2"):
        load_labelled_data(tmp_path)
    (tmp_path / "train.jsonl").write_text(good[1] + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"train\.jsonl:2: not valid JSON"):
        load_labelled_data(tmp_path)
    bad = json.loads(good[2]) | {"items": ["a", "b"], "item_green": [1]}
    (tmp_path / "train.jsonl").write_text(good[1] + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"train\.jsonl:2: 'item_green' must be one 0/1 per item"):
        load_labelled_data(tmp_path)
    (tmp_path / "train.jsonl").write_text(good[0] + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="already used in split 'train'"):
        load_labelled_data(tmp_path)
    item = {"id": "U1", "nice_class": 9, "text": "computers", "green": 0, "digital": 1, "reason": "", "pool": "test"}
    (tmp_path / "nice_items.jsonl").write_text(json.dumps(item) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"nice_items\.jsonl:1: a positive item needs a 'reason'"):
        load_item_labels(tmp_path)


def test_sample_per_class_is_balanced_and_reproducible(data):
    view = label_view(data["train"], "digital")
    assert view.features["label"].names == ["not_digital", "digital"]
    sample = sample_per_class(view, 16, seed=3)
    assert Counter(sample["label"]) == {0: 16, 1: 16}
    assert sample["id"] == sample_per_class(view, 16, seed=3)["id"]
    assert sample["id"] != sample_per_class(view, 16, seed=4)["id"]
    positives = sum(view["label"])
    with pytest.raises(ValueError, match=f"only {positives}"):
        sample_per_class(view, positives + 1, seed=0)


def test_metric_module_exact_values():
    metrics = compute_metrics([1, 0, 1, 0], [1, 0, 0, 0])
    assert metrics == pytest.approx(
        {"accuracy": 0.75, "f1": 2 / 3, "precision": 0.5, "recall": 1.0, "mcc": 0.5**0.5 * (2 / 3) ** 0.5}
    )
    assert compute_metrics([0, 0], [1, 0]) == {"accuracy": 0.5, "f1": 0.0, "precision": 0.0, "recall": 0.0, "mcc": 0.0}
    with pytest.raises(ValueError, match="binary labels"):
        compute_metrics([2], [1])


def test_baselines():
    texts = ["Computer software; data processing", "Solar panels; wind turbines", "Bread; cakes"]
    assert keyword_rule(texts, "digital") == [1, 0, 0]
    assert keyword_rule(texts, "green") == [0, 1, 0]
    predictions = tfidf_logreg(texts[:2] * 2, [1, 0, 1, 0], ["software for data", "wind turbines"])
    assert predictions == [1, 0]


def test_config_rejects_unknown_and_bad_values():
    with pytest.raises(ValueError, match=r"Unknown TwinConfig key\(s\) \['epochs'\]"):
        TwinConfig.from_dict({"max_steps": 10, "epochs": 3})
    with pytest.raises(ValueError, match="sampling_strategy must be one of"):
        TwinConfig(sampling_strategy="random")
    assert TwinConfig.from_dict({"max_steps": 10, "seed": 7}) == TwinConfig(max_steps=10, seed=7)


def test_release_config_is_the_source_of_the_classifiers_settings():
    from hub_release.config import load_config
    from hub_release.stages import twin_config

    cfg = load_config(None, ["seed=3", "twin.samples_per_class=8", "twin.train={batch_size: 4}"])
    assert twin_config(cfg) == TwinConfig(examples_per_class=8, seed=3, max_steps=16, batch_size=4)


def test_input_checks():
    with pytest.raises(ValueError, match="Text #1 is empty"):
        validate_texts(["Computer software", "   "])
    with pytest.raises(ValueError, match="Text #0 is a NoneType"):
        validate_texts([None])
    assert non_english_reason("Computer software; installation of solar panels") is None
    assert non_english_reason("Computersoftware; Datenverarbeitung für die Industrie und den Handel") is not None
    assert non_english_reason("计算机软件；数据处理") == "mostly non-Latin script"
    assert filing_text("Class 9: Computer software; Class 42: SaaS") == "Computer software; SaaS"
    assert filing_text(None) == ""


def test_test_split_is_hard_for_the_keyword_rule_and_exact_for_the_item_oracle(data):
    from twin_transition.labelling.compose import share_rule
    from twin_transition.labelling.hardness import prf

    test = data["test"]
    for label in ("green", "digital"):
        true = test[label]
        assert prf(true, keyword_rule(test["text"], label))["f1"] < 0.85
        assert [share_rule(values) for values in test[f"item_{label}"]] == true


def test_real_validation_rows_are_hand_labelled():
    rows = [json.loads(line) for line in (DATA_DIR / "real_validation.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 30 and len({row["id"] for row in rows}) == len(rows)
    assert {row["source"] for row in rows} == {"euipo_open_data", "uspto_bulk_data"}
    for row in rows:
        registry, application, nice_class = row["id"].split(":")
        assert registry in ("euipo", "uspto") and application.isdigit() and 1 <= int(nice_class) <= 45
        assert row["green"] in (0, 1) and row["digital"] in (0, 1) and row["text"].strip()
        assert row["reason"] or not (row["green"] or row["digital"])
