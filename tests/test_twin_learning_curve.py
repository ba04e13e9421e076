"""Learning-curve bookkeeping: summary over seeds, the F1 table, the plot, and resuming an interrupted run."""

from __future__ import annotations

import json

import pytest

from twin_transition.learning_curve import markdown_table, read_runs, summarize, write_outputs


def rows() -> list[dict]:
    metrics = {"accuracy": 0.9, "precision": 0.8, "recall": 0.7, "mcc": 0.6}
    out = [{"label": "green", "method": "keyword_rule", "examples_per_class": 0, "seed": None, "f1": 0.5, **metrics}]
    for size, f1s in ((8, (0.6, 0.8)), (16, (0.9, 0.9))):
        for seed, f1 in enumerate(f1s):
            base = {"label": "green", "examples_per_class": size, "seed": seed, **metrics}
            out.append({**base, "method": "tfidf_logreg", "f1": f1 - 0.2})
            out.append({**base, "method": "setfit", "f1": f1, "train_seconds": 10.0 * size})
    return out


def test_summary_and_table():
    summary = summarize(rows())
    setfit8 = next(e for e in summary["curves"] if e["method"] == "setfit" and e["examples_per_class"] == 8)
    assert setfit8["n_seeds"] == 2
    assert setfit8["f1_mean"] == pytest.approx(0.7) and setfit8["f1_std"] == pytest.approx(0.1414, abs=1e-4)
    assert setfit8["train_seconds_mean"] == 80.0
    table = markdown_table(summary)
    assert "| method | 8/class | 16/class |" in table
    assert "| setfit | 0.700 ± 0.141 | 0.900 ± 0.000 |" in table
    assert "| tfidf_logreg | 0.500 ± 0.141 | 0.700 ± 0.000 |" in table
    assert "| keyword_rule | 0.500 | 0.500 |" in table


def test_outputs_and_resume(tmp_path):
    runs = rows()
    # An interrupted run: the baseline row of (16, seed 1) was written, its SetFit row was not.
    lines = [json.dumps(r) for r in runs[:-1]]
    (tmp_path / "learning_curve.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    kept = read_runs(tmp_path / "learning_curve.jsonl")
    assert len(kept) == len(runs) - 2
    assert not [r for r in kept if r["examples_per_class"] == 16 and r["seed"] == 1]
    write_outputs(kept, tmp_path)
    assert (tmp_path / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "learning_curve.json").read_text())["curves"][0]["method"] == "setfit"
    assert "### green: F1 on the hard test split" in (tmp_path / "learning_curve.md").read_text()
