"""Batch forecasting of a whole dataset: the Space's forecasts, for every firm, equal over 1 and 2 processes."""

from __future__ import annotations

import datasets
import numpy as np
import pytest

from explorer.inference import Explorer
from marketbert.batch_forecast import forecast_dataset


@pytest.fixture(scope="module")
def firms(toy_release):
    datasets.config.USE_PARQUET_EXPORT = False
    return datasets.load_dataset(toy_release.dataset_repo, "sequences", split="train")


def test_two_processes_forecast_every_firm_as_one_does(toy_release, firms):
    one = forecast_dataset(toy_release.model_repo, firms, top_k=5, map_batch_size=16)
    two = forecast_dataset(toy_release.model_repo, firms, top_k=5, num_proc=2, map_batch_size=16)
    assert one["firm_id"] == two["firm_id"] == firms["firm_id"]
    assert one["top_classes"] == two["top_classes"]
    np.testing.assert_allclose(np.array(one["class_probs"]), np.array(two["class_probs"]), atol=1e-5)
    assert all(len(c) == 5 and len(set(c)) == 5 for c in one["top_classes"])
    assert one["n_filings"] == [len(f) for f in firms["filings"]]


def test_batch_forecasts_are_the_space_forecasts(toy_release, firms, tmp_path):
    subset = firms.select(range(6))
    rows = forecast_dataset(toy_release.model_repo, subset, top_k=3)
    explorer = Explorer.from_hub(toy_release, device="cpu", cache_dir=str(tmp_path))
    for row, forecast in zip(rows, explorer.forecast(subset["filings"], top_k=3), strict=True):
        assert row["top_classes"] == [c.nice_class for c in forecast.classes]
        np.testing.assert_allclose(row["top_class_probs"], [c.probability for c in forecast.classes], atol=1e-5)
        assert row["top_items"] == [term for term, _ in forecast.items]


def test_bad_requests_say_what_to_change(toy_release, firms):
    with pytest.raises(ValueError, match="top_k must be between 1 and 45"):
        forecast_dataset(toy_release.model_repo, firms, top_k=0)
    with pytest.raises(ValueError, match="lacks column"):
        forecast_dataset(toy_release.model_repo, firms.remove_columns("filings"), top_k=3)


def test_cli_writes_one_row_per_firm_of_the_splits_asked(toy_release, firms, tmp_path):
    from typer.testing import CliRunner

    from hub_release.cli import app

    out = tmp_path / "forecasts.parquet"
    args = ["marketbert", "forecast", "--model", toy_release.model_repo, "--dataset", toy_release.dataset_repo]
    result = CliRunner().invoke(app, [*args, "--output", str(out), "--split", "train", "--top-k", "4"])
    assert result.exit_code == 0, result.output
    rows = datasets.Dataset.from_parquet(str(out))
    assert rows["firm_id"] == firms["firm_id"] and set(rows["split"]) == {"train"}
    assert all(len(c) == 4 for c in rows["top_classes"])
    bad = CliRunner().invoke(app, [*args, "--output", str(out), "--split", "nope"])
    assert bad.exit_code != 0 and "unknown split(s) ['nope']" in bad.output
