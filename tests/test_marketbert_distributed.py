"""MarketBERT data parallel on CPU: `hub-release marketbert train` under torchrun (2 gloo processes) vs 1 process.

Same preset (`tiny`), same toy data, same seed and global batch (8 firms: 8 per step on one process, 4 per process
on two), 300 steps each through the real CLI in subprocesses.

Tolerance: the mean training loss over each 50-step window. Two processes draw other masks, dropout and data order
than one (the same distribution, other samples), so the curves can only agree as well as two one-process runs that
differ in the seed alone. Measured on this data: the 50-step window means of one-process runs with seeds 42 and 7
differed by up to 0.12 nats (loss 4.7 -> 4.2 over the run); one vs two processes (seed 42) by at most 0.041. The
tolerance is that seed-to-seed spread, 0.12 nats. What a loss curve cannot show -- that gradients are averaged
across the processes rather than each process training its own copy -- is checked exactly by the gradient test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoTokenizer, pipeline

from marketbert.distributed import per_process_batch
from marketbert.tokenizer import NICE_TOKENS
from tests.helpers.paths import REPO_ROOT
from tests.helpers.toy_data import make_toy_sequences

pytestmark = pytest.mark.slow
STEPS, RESUMED_STEPS = 300, 360
WINDOW = 50
TOLERANCE = 0.12  # nats, per 50-step window mean (see the module doc)


def _env() -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def train_cli(dataset: Path, out: Path, steps: int, processes: int) -> str:
    """`hub-release marketbert train` on `processes` CPU processes (torchrun when more than one); its stdout."""
    cli = ["--module", "hub_release.cli"] if processes > 1 else ["-m", "hub_release.cli"]
    launcher = (
        ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"] if processes > 1 else []
    )
    args = ["marketbert", "train", "--preset", "tiny", "--dataset", str(dataset), "--output-dir", str(out)]
    overrides = {"max_steps": steps, "save_steps": STEPS, "logging_steps": 5}
    for key, value in overrides.items():
        args += ["--set", f"marketbert.train.{key}={value}"]
    done = subprocess.run(
        [sys.executable, *launcher, *cli, *args], env=_env(), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def loss_curve(out: Path) -> np.ndarray:
    state = json.loads((out / "trainer" / "trainer_state.json").read_text())
    return np.array([(h["step"], h["loss"]) for h in state["log_history"] if "loss" in h])


def window_means(curve: np.ndarray, start: int, stop: int) -> np.ndarray:
    return np.array(
        [curve[(curve[:, 0] > s) & (curve[:, 0] <= s + WINDOW), 1].mean() for s in range(start, stop, WINDOW)]
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """One process, two processes, and the two-process run resumed from its checkpoint to RESUMED_STEPS."""
    root = tmp_path_factory.mktemp("ddp")
    make_toy_sequences(200, 6, seed=0).save_to_disk(root / "toy")
    out = {"one": root / "one", "two": root / "two", "resumed": root / "resumed"}
    stdout = {n: train_cli(root / "toy", out[n], STEPS, p) for n, p in (("one", 1), ("two", 2))}
    assert all(s.count("trained: perplexity") == 1 for s in stdout.values())  # rank 0 alone reports
    shutil.copytree(out["two"], out["resumed"])
    train_cli(root / "toy", out["resumed"], RESUMED_STEPS, 2)
    return out


def test_two_processes_follow_the_one_process_loss_curve(runs):
    one, two = loss_curve(runs["one"]), loss_curve(runs["two"])
    assert one[:, 0].tolist() == two[:, 0].tolist() and one[-1, 0] == STEPS
    windows_one, windows_two = window_means(one, 0, STEPS), window_means(two, 0, STEPS)
    np.testing.assert_allclose(windows_two, windows_one, atol=TOLERANCE)
    assert windows_two[-1] < windows_two[0] - 0.3  # it learned: the agreement is not two flat lines
    # the global batch is the configured one: same epochs per step, half of it per process
    configs = {n: json.loads((runs[n] / "model" / "training_config.json").read_text()) for n in ("one", "two")}
    assert [configs[n]["world_size"] for n in ("one", "two")] == [1, 2]
    assert [configs[n]["global_train_batch_size"] for n in ("one", "two")] == [8, 8]
    assert configs["two"]["per_device_train_batch_size"] == 4
    epochs = [json.loads((runs[n] / "trainer" / "trainer_state.json").read_text())["epoch"] for n in ("one", "two")]
    assert epochs[0] == pytest.approx(epochs[1])


def test_two_process_model_loads_with_stock_classes(runs):
    model_dir = runs["two"] / "model"
    model = AutoModelForMaskedLM.from_pretrained(model_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    fill = pipeline("fill-mask", model=model, tokenizer=tokenizer)
    text = "[APP] YEAR_2005 GAP_FIRST NICE_09 [APP_END] [APP] YEAR_2006 GAP_1Y [MASK] [APP_END]"
    assert len(fill(text, targets=list(NICE_TOKENS), top_k=5)) == 5
    results = json.loads((model_dir / "eval_results.json").read_text())
    assert results["next_filing"]["classes"]["all"]["marketbert"]["n"] == 20
    # every process saved its RNG state in the checkpoint (both took part); rank 0 wrote the rest
    checkpoint = runs["two"] / "trainer" / f"checkpoint-{STEPS}"
    assert {"rng_state_0.pth", "rng_state_1.pth", "model.safetensors"} <= {p.name for p in checkpoint.iterdir()}


def test_resumed_two_process_run_continues_the_curve(runs):
    first, resumed = loss_curve(runs["two"]), loss_curve(runs["resumed"])
    assert resumed[-1, 0] == RESUMED_STEPS
    np.testing.assert_array_equal(resumed[resumed[:, 0] <= STEPS], first)  # resumed, not retrained
    before = window_means(first, STEPS - WINDOW, STEPS)[0]
    after = resumed[resumed[:, 0] > STEPS, 1].mean()
    assert abs(after - before) <= TOLERANCE, (before, after)  # from where it stopped, not from a fresh model
    assert after < window_means(first, 0, WINDOW)[0] - 0.3


def test_gradients_are_averaged_across_processes_through_the_fast_losses(tmp_path):
    """Each process's gradient after backward is the mean of both halves' gradients, for both training losses."""
    helper = REPO_ROOT / "tests" / "helpers" / "ddp_gradients.py"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(helper)]
    done = subprocess.run([*command, str(tmp_path)], env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    expected = torch.load(tmp_path / "expected.pt")
    for mode in ("packed", "stock"):
        for rank in (0, 1):
            for got, want in zip(torch.load(tmp_path / f"grads-{mode}-{rank}.pt"), expected, strict=True):
                torch.testing.assert_close(got, want)


def test_a_global_batch_that_does_not_split_says_what_to_change():
    assert per_process_batch(64, 8) == 8
    with pytest.raises(ValueError, match="use a multiple of 4, or set keep_global_batch: false"):
        per_process_batch(6, 4)
