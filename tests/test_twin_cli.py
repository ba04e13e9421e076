"""`hub-release twin ...` commands through Typer's runner (the heavy training paths are covered elsewhere)."""

from __future__ import annotations

from typer.testing import CliRunner

from hub_release.cli import app
from twin_transition.labelled_data import label_counts, load_labelled_data

runner = CliRunner()


def test_train_rejects_unknown_config_key(tmp_path):
    config = tmp_path / "release.yaml"
    config.write_text("twin:\n  train:\n    max_step: 10\n", encoding="utf-8")
    result = runner.invoke(
        app, ["twin", "train", "--label", "green", "--output-dir", str(tmp_path / "out"), "--config", str(config)]
    )
    assert result.exit_code == 1
    assert "Unknown TwinConfig key(s) ['max_step']" in result.output
    assert not (tmp_path / "out").exists()


def test_train_rejects_unknown_label(tmp_path):
    result = runner.invoke(app, ["twin", "train", "--label", "blue", "--output-dir", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "Unknown TwinTransition label 'blue'" in result.output


def test_push_refuses_an_untrained_folder(tmp_path, hub):
    result = runner.invoke(app, ["twin", "push", str(tmp_path), f"{hub.namespace}/twin-untrained"])
    assert result.exit_code == 1
    assert "is not a trained TwinTransition model folder" in result.output
    assert "model_head.pkl" in result.output and "twin_head.safetensors" in result.output


def test_push_data_publishes_and_tags(hub, tmp_path):
    repo = f"{hub.namespace}/twin-data-cli-{tmp_path.name[-8:].replace('_', '-')}"
    result = runner.invoke(app, ["twin", "push-data", repo, "--tag", "v1"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{repo} @ ") and "(v1)" in result.output
    card = hub.api.hf_hub_download(repo, "README.md", repo_type="dataset", cache_dir=str(tmp_path / "cache"))
    text = open(card, encoding="utf-8").read()
    assert "task_categories:\n- text-classification" in text
    counts = label_counts(load_labelled_data())
    assert "| `green` | `green` | " + " | ".join(str(counts[s]["green"]["green"]) for s in counts) + " |" in text
