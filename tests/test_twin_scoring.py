"""Applying the TwinTransition classifiers to the `filings` config: per-filing scores and firm trajectories."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from datasets import Dataset, DatasetDict, load_dataset

from dataset_builder.schema import FILINGS_FEATURES
from twin_transition.baselines import keyword_rule
from twin_transition.decision import DecisionRule
from twin_transition.scoring import (
    SCORE_FEATURES,
    TRAJECTORY_FEATURES,
    firm_trajectories,
    publish_twin_configs,
    score_filings,
)


class KeywordModel:
    """A transparent stand-in with the classifier interface: an item scores 0.9 when a guide keyword matches, else
    0.2; the default rule (a third of the items)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.seen: list[str] = []
        self.decision = DecisionRule()

    def item_proba(self, items, batch_size: int = 64) -> np.ndarray:
        self.seen += items
        return np.where(np.array(keyword_rule(items, self.label)) == 1, 0.9, 0.2).astype(np.float32)


def filing(firm: str, number: str, date: str, goods_services: str) -> dict:
    return {
        "firm_id": firm,
        "firm_name": firm.upper(),
        "application_number": number,
        "filing_date": dt.date.fromisoformat(date),
        "nice_classes": [9],
        "terms": [],
        "goods_services": goods_services,
        "goods_services_lang": ["en"] * goods_services.count("Class "),
        "source": "synthetic",
    }


@pytest.fixture
def filings() -> Dataset:
    rows = [
        filing("acme", "1", "2020-02-01", "Class 9: Solar panels; Class 42: computer software for solar monitoring"),
        filing("acme", "2", "2020-07-01", "Class 25: Clothing; footwear"),
        filing("acme", "3", "2021-03-01", "Class 9: Computer software"),
        filing("acme", "4", "2021-04-01", ""),
        filing("beta", "5", "2021-01-01", "Class 12: Electric cars; charging stations for electric vehicles"),
    ]
    return Dataset.from_list(rows, features=FILINGS_FEATURES)


def test_score_filings(filings):
    models = {"green": KeywordModel("green"), "digital": KeywordModel("digital")}
    scores = score_filings(filings, models)
    assert scores.features == SCORE_FEATURES
    assert scores["application_number"] == ["1", "2", "3", "4", "5"]
    assert scores["green_prob"] == pytest.approx([0.9, 0.2, 0.2, None, 0.9])
    assert scores["digital_prob"] == pytest.approx([0.9, 0.2, 0.9, None, 0.2])
    # The classifiers see items, without the "Class N:" markers, each distinct item once, never an empty one, shortest
    # first (batches of like length pad less).
    seen = models["green"].seen
    assert {"Solar panels", "computer software for solar monitoring"} <= set(seen) and seen == sorted(seen, key=len)
    assert len(models["green"].seen) == len(set(models["green"].seen)) == 7
    # The explanations: the items that counted, highest first.
    assert scores["green_items"][0] == [{"item": "Solar panels", "prob": pytest.approx(0.9)}]  # 1 of 2 items: green
    assert scores["digital_items"][0] == [
        {"item": "computer software for solar monitoring", "prob": pytest.approx(0.9)}
    ]
    assert scores["green_items"][1] == [] and scores["green_items"][3] is None
    assert scores["n_items"] == [2, 2, 1, None, 2]
    assert scores["unscored"] == [None, None, None, "no goods/services text", None]


def test_share_rule_and_non_english_filings():
    rows = [
        filing("gamma", "6", "2022-01-01", "solar panels; clothing; footwear; headwear; belts; bags"),  # 1 of 6
        filing("gamma", "7", "2022-02-01", "solar panels; wind turbines; clothing; footwear; bags; belts"),  # 2 of 6
        filing(
            "gamma", "8", "2022-03-01", "Sonnenkollektoren; Windkraftanlagen für die Erzeugung von Strom und Wärme"
        ),
    ]
    scores = score_filings(Dataset.from_list(rows, features=FILINGS_FEATURES), {"green": KeywordModel("green")})
    assert scores["green_prob"] == pytest.approx([0.2, 0.9, None])  # a third of the items must count
    assert scores["green_items"][0] == [{"item": "solar panels", "prob": pytest.approx(0.9)}]
    assert scores["unscored"][2].startswith("not English") and scores["green_items"][2] is None
    assert scores["n_items"][2] is None


def test_firm_trajectories(filings):
    scores = score_filings(filings, {"green": KeywordModel("green"), "digital": KeywordModel("digital")})
    trajectories = firm_trajectories(scores)
    assert trajectories.features == TRAJECTORY_FEATURES
    rows = {(r["firm_id"], r["year"]): r for r in trajectories}
    assert list(rows) == [("acme", 2020), ("acme", 2021), ("beta", 2021)]
    acme20, acme21, beta21 = rows.values()
    assert (acme20["n_filings"], acme20["n_scored"], acme20["n_green"], acme20["n_digital"], acme20["n_twin"]) == (
        2, 2, 1, 1, 1,
    )  # fmt: skip
    assert acme20["green_share"] == 0.5 and acme20["twin_share"] == 0.5
    assert acme20["mean_green_prob"] == pytest.approx(0.55)
    # 2021: one filing without text is counted but not scored.
    assert (acme21["n_filings"], acme21["n_scored"], acme21["digital_share"], acme21["green_share"]) == (
        2,
        1,
        1.0,
        0.0,
    )
    assert beta21["green_share"] == 1.0 and beta21["digital_share"] == 0.0
    assert firm_trajectories(scores, threshold=0.95)["n_green"] == [0, 0, 0]


def test_bad_inputs(filings):
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['goods_services'\]"):
        score_filings(filings.remove_columns("goods_services"), {"green": KeywordModel("green")})
    with pytest.raises(ValueError, match="classifiers must be keyed by"):
        score_filings(filings, {"blue": KeywordModel("green")})
    with pytest.raises(ValueError, match="threshold must be in"):
        firm_trajectories(score_filings(filings, {"green": KeywordModel("green")}), threshold=1.0)


def test_publish_twin_configs_adds_dataset_configs(hub, filings, tmp_path):
    repo = f"{hub.namespace}/twin-scores-{tmp_path.name[-8:].replace('_', '-')}"
    DatasetDict({"train": filings, "test": filings.select([4])}).push_to_hub(repo, config_name="filings")
    pushed = publish_twin_configs(
        load_dataset(repo, "filings", cache_dir=str(tmp_path / "c1")),
        {"green": KeywordModel("green"), "digital": KeywordModel("digital")},
        repo,
    )
    trajectories = load_dataset(repo, "twin_trajectories", cache_dir=str(tmp_path / "c2"))
    assert trajectories["train"].to_list() == pushed["twin_trajectories"]["train"].to_list()
    assert trajectories["test"]["firm_id"] == ["beta"]
    scores = load_dataset(repo, "twin_scores", split="train", cache_dir=str(tmp_path / "c3"))
    assert scores["green_prob"] == pytest.approx([0.9, 0.2, 0.2, None, 0.9])
    # The filings config is still there.
    assert len(load_dataset(repo, "filings", split="train", cache_dir=str(tmp_path / "c4"))) == 5


def test_each_distinct_text_is_scored_once(filings):
    """A filing shared by several owner firms (same text) costs one encode, and every row gets its score."""
    twice = Dataset.from_list(filings.to_list() + filings.to_list(), features=FILINGS_FEATURES)
    models = {"green": KeywordModel("green"), "digital": KeywordModel("digital")}
    scores = score_filings(twice, models)
    assert len(models["green"].seen) == len(set(models["green"].seen)) == 7
    assert scores["green_prob"] == pytest.approx([0.9, 0.2, 0.2, None, 0.9] * 2)


def test_scoring_in_two_processes_gives_the_same_rows(filings):
    """`num_proc=2` splits the distinct texts over two worker processes (datasets.map); the rows are the same."""
    models = {"green": KeywordModel("green"), "digital": KeywordModel("digital")}
    alone = score_filings(filings, models, batch_size=2, num_proc=1)
    split = score_filings(filings, models, batch_size=2, num_proc=2)
    assert split.to_list() == alone.to_list()
    assert split["digital_prob"] == pytest.approx([0.9, 0.2, 0.9, None, 0.2])


def test_text_in_another_language_and_filings_without_a_firm():
    """The classifiers read English: text labelled with another language is not scored; a filing without a firm
    (null firm_id) is scored but is in no firm's trajectory."""
    rows = [
        {**filing("acme", "1", "2020-02-01", "Class 9: Solar panels"), "goods_services_lang": ["en"]},
        {**filing("acme", "2", "2020-03-01", "Klasse 9: Solarmodule"), "goods_services_lang": ["de"]},
        {
            **filing("acme", "3", "2020-04-01", "Class 9: Software; Class 12: Fahrräder"),
            "goods_services_lang": ["en", "de"],
        },
        {**filing("acme", "4", "2020-05-01", "Class 9: Computer software"), "goods_services_lang": [None]},
        {**filing("x", "5", "2020-06-01", "Class 9: Solar panels"), "firm_id": None, "firm_name": None},
    ]
    models = {"green": KeywordModel("green"), "digital": KeywordModel("digital")}
    scores = score_filings(Dataset.from_list(rows, features=FILINGS_FEATURES), models)
    assert scores["green_prob"] == pytest.approx([0.9, None, None, 0.2, 0.9])
    assert "Solarmodule" not in " ".join(models["green"].seen)
    assert scores["firm_id"] == ["acme", "acme", "acme", "acme", None]
    trajectories = firm_trajectories(scores)
    assert trajectories["firm_id"] == ["acme"] and trajectories["n_filings"] == [4] and trajectories["n_scored"] == [2]
