"""Tiny MarketBERT through the real Trainer, checkpoints on a Hub branch, resume, publish, load with stock classes."""

from __future__ import annotations

import json
import uuid

import evaluate
import pytest
import torch
from huggingface_hub import ModelCard, hf_hub_download
from transformers import AutoModelForMaskedLM, AutoTokenizer, pipeline
from typer.testing import CliRunner

from hub_release.cli import app
from marketbert.config import MarketBertArguments
from marketbert.packed import FastDropout, packed_masked_lm_loss
from marketbert.publish import publish_marketbert, publish_next_filing_metric
from marketbert.tokenizer import NICE_TOKENS
from marketbert.train import build_model, masked_lm_loss, train_marketbert
from tests.helpers.toy_batch import toy_batch_and_model
from tests.helpers.toy_data import make_toy_sequences

pytestmark = pytest.mark.slow
STEPS = 40


@pytest.fixture(scope="module")
def toy():
    return make_toy_sequences(60, 6, seed=0)


@pytest.fixture(scope="module")
def trained(hub, toy, tmp_path_factory):
    """Train `tiny` for STEPS steps, pushing checkpoints to the Hub branch of a fresh repo."""
    out = tmp_path_factory.mktemp("marketbert")
    repo_id = f"{hub.namespace}/marketbert-{uuid.uuid4().hex[:8]}"
    overrides = {"max_steps": STEPS, "save_steps": STEPS // 2, "push_to_hub": True, "hub_model_id": repo_id}
    results = train_marketbert(toy, "tiny", out, overrides=overrides, dataset_repo_id="toy/firm-trademark-sequences")
    return out, repo_id, results


def test_training_writes_the_release_folder(trained, toy):
    out, _, results = trained
    model_dir = out / "model"
    names = {p.name for p in model_dir.iterdir()}
    assert {
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "eval_results.json",
        "class_embeddings.png",
        "surprisal_test.jsonl",
        "training_config.json",
    } <= names
    assert not [n for n in names if n.endswith((".bin", ".pt", ".pth", ".pkl"))]
    assert (model_dir / "class_embeddings.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    state = json.loads((out / "trainer" / "trainer_state.json").read_text())
    assert state["global_step"] == STEPS
    assert json.loads((model_dir / "eval_results.json").read_text()) == json.loads(json.dumps(results))
    classes = results["next_filing"]["classes"]
    assert set(classes["all"]) == {"marketbert", "popularity", "history", "density", "oracle"}
    for metrics in classes["all"].values():
        assert metrics["n"] == len(toy["test"])  # every toy firm has >= 2 filings
        assert 0 <= metrics["recall@5"] <= metrics["recall@10"] <= 1
    assert results["masked_lm"]["perplexity"] > 1 and 0 <= results["masked_lm"]["masked_accuracy"] <= 1
    rows = [json.loads(line) for line in (model_dir / "surprisal_test.jsonl").read_text().splitlines()]
    assert len(rows) == sum(n - 1 for n in toy["test"]["n_filings"])
    assert all(r["surprisal"] > 0 for r in rows)


def test_checkpoints_go_to_the_hub_branch(trained, hub):
    _, repo_id, _ = trained
    branch = set(hub.api.list_repo_files(repo_id, revision="checkpoints"))
    assert {"last-checkpoint/trainer_state.json", "last-checkpoint/model.safetensors", "model.safetensors"} <= branch
    assert "model.safetensors" not in hub.api.list_repo_files(repo_id)  # main waits for the release


def test_training_resumes_from_the_hub_checkpoint(trained, toy, tmp_path):
    out, repo_id, _ = trained
    first = json.loads((out / "trainer" / "trainer_state.json").read_text())
    overrides = {"max_steps": STEPS + 4, "save_steps": STEPS // 2, "push_to_hub": True, "hub_model_id": repo_id}
    train_marketbert(toy, {**_tiny(), "surprisal": False}, tmp_path, overrides=overrides)
    resumed = json.loads((tmp_path / "trainer" / "trainer_state.json").read_text())
    assert resumed["global_step"] == STEPS + 4
    # the history up to the checkpoint comes from the first run: it was resumed, not retrained
    assert [h for h in resumed["log_history"] if h["step"] <= STEPS and "loss" in h] == [
        h for h in first["log_history"] if "loss" in h
    ]


def _tiny() -> dict:
    from marketbert.config import read_config_file

    return read_config_file("tiny")


def test_publish_then_load_with_auto_classes_in_a_fresh_cache(trained, hub, tmp_path):
    out, repo_id, results = trained
    result = publish_marketbert(out, repo_id, tag="v1.0")
    assert result.created_commit and result.tag == "v1.0"
    assert "v1.0" in [t.name for t in hub.api.list_repo_refs(repo_id).tags]

    tokenizer = AutoTokenizer.from_pretrained(repo_id, cache_dir=tmp_path)
    remote = AutoModelForMaskedLM.from_pretrained(repo_id, revision="v1.0", cache_dir=tmp_path).eval()
    local = AutoModelForMaskedLM.from_pretrained(out / "model").eval()
    batch = tokenizer(["[APP] YEAR_2005 GAP_FIRST NICE_09 [MASK] [APP_END]"], return_tensors="pt")
    with torch.no_grad():
        assert torch.equal(remote(**batch).logits, local(**batch).logits)

    card = ModelCard.load(hf_hub_download(repo_id, "README.md", cache_dir=tmp_path))
    index = {(r.metric_type, r.metric_config): r.metric_value for r in card.data.eval_results}
    assert index[("perplexity", None)] == pytest.approx(results["masked_lm"]["perplexity"], abs=1e-3)
    r5 = results["next_filing"]["classes"]["all"]
    assert index[("recall@5", "all:marketbert")] == pytest.approx(r5["marketbert"]["recall@5"], abs=1e-4)
    assert index[("recall@5", "all:history")] == pytest.approx(r5["history"]["recall@5"], abs=1e-4)
    assert card.data.datasets == ["toy/firm-trademark-sequences"]
    assert f"| Recall@5 | {r5['marketbert']['recall@5']:.3f} | {r5['popularity']['recall@5']:.3f} |" in card.text
    assert "![Nice class embeddings, PCA](class_embeddings.png)" in card.text
    assert f"({results['train']['precision']}, weights saved in float32)" in card.text
    # For readers: how it was trained, its limits and how to cite it; no internal targets.
    steps = results["train"]["hyperparameters"]["steps"]
    assert "## Training details" in card.text and f"| optimizer steps | {steps} |" in card.text
    assert "## Limitations" in card.text and "@article{savcisens2024life2vec," in card.text
    assert "Against the targets" not in card.text and "not met" not in card.text
    assert remote.dtype == torch.float32
    assert not [f for f in hub.api.list_repo_files(repo_id) if f.endswith((".bin", ".pkl", ".pt"))]

    # the stock fill-mask pipeline over the Hub model decodes the market vocabulary
    fill = pipeline("fill-mask", model=remote, tokenizer=tokenizer)
    text = "[APP] YEAR_2005 GAP_FIRST NICE_09 [APP_END] [APP] YEAR_2006 GAP_1Y [MASK] [APP_END]"
    ranked = fill(text, targets=list(NICE_TOKENS), top_k=45)
    assert sorted(p["token_str"] for p in ranked) == list(NICE_TOKENS)
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        logits = remote(**inputs).logits[0, inputs["input_ids"][0] == tokenizer.mask_token_id][0]
    best = NICE_TOKENS[int(logits[tokenizer.convert_tokens_to_ids(list(NICE_TOKENS))].argmax())]
    assert ranked[0]["token_str"] == best
    everything = fill(text, top_k=len(tokenizer))
    assert {p["token_str"] for p in everything} >= set(NICE_TOKENS)

    again = publish_marketbert(out, repo_id, tag="v1.0")
    assert not again.created_commit


def test_cli_evaluate_on_a_saved_dataset(trained, toy, tmp_path):
    out, _, results = trained
    toy.save_to_disk(tmp_path / "toy")
    outcome = CliRunner().invoke(
        app,
        [
            "marketbert",
            "evaluate",
            "--model",
            str(out / "model"),
            "--dataset",
            str(tmp_path / "toy"),
            "--output",
            str(tmp_path / "eval.json"),
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    again = json.loads((tmp_path / "eval.json").read_text())
    for method, metrics in results["next_filing"]["classes"]["all"].items():
        assert again["next_filing"]["classes"]["all"][method] == pytest.approx(metrics)
    assert again["masked_lm"]["perplexity"] == pytest.approx(results["masked_lm"]["perplexity"])


def test_publish_refuses_pickles_and_incomplete_folders(tmp_path, trained):
    with pytest.raises(FileNotFoundError, match="missing config.json"):
        publish_marketbert(tmp_path, "user/x")
    out, _, _ = trained
    (out / "model" / "pytorch_model.bin").write_bytes(b"x")
    try:
        with pytest.raises(ValueError, match="pickle files"):
            publish_marketbert(out, "user/x")
    finally:
        (out / "model" / "pytorch_model.bin").unlink()


def test_cli_push_publishes_and_tags(trained, hub):
    out, _, _ = trained
    repo_id = f"{hub.namespace}/marketbert-cli-{uuid.uuid4().hex[:8]}"
    outcome = CliRunner().invoke(
        app, ["marketbert", "push", "--output-dir", str(out), "--repo-id", repo_id, "--tag", "v0.1"]
    )
    assert outcome.exit_code == 0, outcome.output
    assert outcome.stdout.strip().splitlines()[-1].startswith("published:") and "(v0.1)" in outcome.stdout
    assert "model.safetensors" in hub.api.list_repo_files(repo_id, revision="v0.1")


def test_next_filing_metric_loads_from_the_hub(hub, tmp_path):
    repo_id = f"{hub.namespace}/next_filing_{uuid.uuid4().hex[:6]}"
    publish_next_filing_metric(repo_id)
    metric = evaluate.load(repo_id, cache_dir=str(tmp_path))
    assert metric.compute(predictions=[[0.1, 0.7, 0.2]], references=[[0, 0, 1]], ks=[1, 2])["mrr"] == 0.5


@pytest.fixture(name="toy_batch_and_model")
def toy_batch_and_model_fixture():
    """A masked batch of toy firms and a freshly initialised tiny MarketBERT in eval mode (no dropout)."""
    batch, model = toy_batch_and_model()
    return batch, model.eval()


@pytest.mark.parametrize("loss_fn", [masked_lm_loss, packed_masked_lm_loss])
def test_training_losses_match_the_stock_forward(toy_batch_and_model, loss_fn):
    batch, model = toy_batch_and_model
    assert batch["attention_mask"].min() == 0  # some padding, which the packed loss skips
    stock = model(**batch).loss
    stock.backward()
    stock_grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    torch.testing.assert_close(loss, stock)
    for p, g in zip(model.parameters(), stock_grads, strict=True):
        torch.testing.assert_close(p.grad, g)


def test_fast_dropout_keeps_the_rate_the_mean_and_the_seed():
    x = torch.ones(1000, 1000)
    torch.manual_seed(3)
    dropped = FastDropout(training=True)(x, 0.1)
    assert (dropped == 0).float().mean().item() == pytest.approx(0.1, abs=0.002)
    assert dropped.mean().item() == pytest.approx(1.0, abs=0.005)
    torch.manual_seed(3)
    assert torch.equal(FastDropout(training=True)(x, 0.1), dropped)  # seeded from torch's generator
    assert FastDropout(training=False)(x, 0.1) is x


def test_trainer_loss_runs_under_the_configured_mixed_precision(tmp_path, toy_batch_and_model):
    from transformers import TrainingArguments

    from marketbert.train import MarketBertTrainer

    batch, model = toy_batch_and_model
    args = TrainingArguments(str(tmp_path), use_cpu=True, bf16=True, report_to="none")
    loss = MarketBertTrainer(model=model, args=args).compute_loss(model, batch)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        expected = packed_masked_lm_loss(model, batch)  # the training loss on a CPU
    assert loss.item() == expected.item()
    assert loss.item() != packed_masked_lm_loss(model, batch).item()  # float32 gives another value: autocast was on
    stock_encoder = MarketBertTrainer(model=model, args=args, packed_forward=False).compute_loss(model, batch)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert stock_encoder.item() == masked_lm_loss(model, batch).item()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU on this machine (bench/gpu_check.sh runs it)")
def test_gpu_training_loss_and_gradients_equal_the_cpu_ones(toy_batch_and_model):
    """The training loss on the GPU (stock encoder, SDPA) equals the CPU's packed one, and so do the gradients."""
    batch, model = toy_batch_and_model
    cpu_loss = packed_masked_lm_loss(model, batch)
    cpu_loss.backward()
    cpu_grads = [p.grad.clone() for p in model.parameters()]
    gpu = build_model(MarketBertArguments(model_size="tiny", max_length=64), model.config.vocab_size, 0)
    gpu.load_state_dict(model.state_dict())
    gpu.config._attn_implementation = "sdpa"
    gpu = gpu.cuda().eval()
    gpu_loss = masked_lm_loss(gpu, {k: v.cuda() for k, v in batch.items()})
    gpu_loss.backward()
    torch.testing.assert_close(gpu_loss.cpu(), cpu_loss, rtol=1e-4, atol=1e-5)
    for p, g in zip(gpu.parameters(), cpu_grads, strict=True):
        torch.testing.assert_close(p.grad.cpu(), g, rtol=1e-3, atol=1e-5)
