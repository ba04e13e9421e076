"""MLM training throughput: MarketBERT's step vs a run_mlm-style baseline, same model and data, in one run.

- project: one firm per example, batches grouped by length (`LengthGroupedSampler`), padded to the longest firm
  of the batch (`MarketBertCollator`, token/event/forecast masking); then, step by step, what `MarketBertTrainer`
  adds: the prediction head on the masked positions only (`masked_lm_loss`); on a CPU the encoder on the real tokens
  only with fast dropout masks (`packed_masked_lm_loss`) and, where the CPU has native bf16 (AVX512-BF16/AMX), bf16
  autocast. The last row is what training runs on this machine.
- baseline: what run_mlm does with `--pad_to_max_length`: every example padded to `max_length`, random batches,
  stock `DataCollatorForLanguageModeling` (15% token masking), the stock forward.

Each runs forward + backward + AdamW (fused, the Trainer's default) on its own copy of the same freshly initialised
model for the same number of steps (after warm-up steps), interleaved step by step so that a noisy machine slows
them alike. Reported: non-padding tokens per second and the ratio. On a GPU it also runs the project step in bf16
with SDPA attention and reports the achieved MFU (model FLOPs utilisation, 6 x params x tokens plus attention,
against the device's dense bf16 peak).

    python bench/mlm_throughput.py                       # synthetic dataset (dataset_builder), small model
    python bench/mlm_throughput.py --max-length 512 --size base --steps 20
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch
from transformers import DataCollatorForLanguageModeling
from transformers.trainer_pt_utils import LengthGroupedSampler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root: tests.helpers (toy data)

from marketbert.config import MODEL_PRESETS, MarketBertArguments, native_bf16
from marketbert.data import FirmEncoder, MarketBertCollator, encode_split
from marketbert.packed import packed_masked_lm_loss
from marketbert.tokenizer import build_tokenizer, build_vocabulary
from marketbert.train import build_model, masked_lm_loss

PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L4": 121.0, "A10": 125.0}


def load_data(n_firms: int, seed: int):
    try:
        import tempfile

        from dataset_builder.build import build_dataset
        from dataset_builder.synthetic import SyntheticConfig  # noqa: F401 - the release generator when present
        from marketbert.train import load_sequences

        out = tempfile.mkdtemp(prefix="mlm-bench-")
        build_dataset(out, n_firms=n_firms, seed=seed, write_card=False)
        return load_sequences(f"{out}/repo")["train"], "dataset_builder synthetic"
    except ImportError:
        from tests.helpers.toy_data import make_toy_sequences

        return make_toy_sequences(n_firms, 14, seed=seed)["train"], "marketbert toy data"


def stock_loss(model, batch: dict) -> torch.Tensor:
    return model(**batch).loss


def step(model, optimizer, batch: dict, device, autocast: bool, loss_fn) -> float:
    """One forward + backward + AdamW step; returns its seconds."""
    batch = {k: v.to(device) for k, v in batch.items()}
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
        loss = loss_fn(model, batch)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def run_interleaved(runs: dict, device, steps: int, warmup: int) -> dict:
    """Step every run in turn (run A step i, run B step i, ...), so machine noise hits all of them alike.

    `runs` maps a name to `(model, batches, autocast, loss_fn)`.
    """
    optimizers = {name: torch.optim.AdamW(r[0].parameters(), lr=1e-4, fused=True) for name, r in runs.items()}
    totals = {name: {"tokens": 0, "padded": 0, "seconds": 0.0} for name in runs}
    for i in range(warmup + steps):
        for name, (model, batches, autocast, loss_fn) in runs.items():
            model.train()
            seconds = step(model, optimizers[name], batches[i], device, autocast, loss_fn)
            if i >= warmup:
                t = totals[name]
                t["seconds"] += seconds
                t["tokens"] += int(batches[i]["attention_mask"].sum())
                t["padded"] += batches[i]["attention_mask"].numel()
    for t in totals.values():
        t["tokens_per_s"] = t["tokens"] / t["seconds"]
    return totals


def model_flops(model, tokens_padded: int, seq_len: float) -> float:
    cfg = model.config
    n = sum(p.numel() for name, p in model.named_parameters() if "embeddings" not in name)
    attention = 12 * cfg.num_hidden_layers * cfg.hidden_size * seq_len  # per token, fwd+bwd
    return (6 * n + attention) * tokens_padded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=4000)
    parser.add_argument("--size", default="small", choices=list(MODEL_PRESETS))
    parser.add_argument("--max-length", type=int, default=None, help="Default: the preset's maximum.")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's).")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train, source = load_data(args.firms, args.seed)
    market = MarketBertArguments(model_size=args.size, max_length=args.max_length)
    vocab = build_vocabulary(train)
    tokenizer = build_tokenizer(vocab, model_max_length=market.max_length)
    encoded = encode_split(train, FirmEncoder(tokenizer, vocab, market.max_length))
    lengths = encoded["length"]
    n_batches = args.warmup + args.steps
    print(
        f"data: {source}, {len(encoded)} firms, median {sorted(lengths)[len(lengths) // 2]} tokens, "
        f"max_length {market.max_length}; model {args.size}; device {device}; threads {torch.get_num_threads()}"
    )

    # project: length-grouped batches, dynamic padding, mixed objectives
    sampler = LengthGroupedSampler(args.batch_size, lengths=lengths, generator=torch.Generator().manual_seed(1))
    order = list(sampler)
    collator = MarketBertCollator(tokenizer, seed=args.seed)
    project = [
        collator([encoded[i] for i in order[b * args.batch_size : (b + 1) * args.batch_size]])
        for b in range(n_batches)
    ]
    # baseline: random batches padded to max_length, stock MLM collator
    stock = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
    random_order = torch.randperm(len(encoded), generator=torch.Generator().manual_seed(2)).tolist()

    def padded(i: int) -> dict:
        ids = encoded[i]["input_ids"]
        pad = market.max_length - len(ids)
        return {"input_ids": ids + [tokenizer.pad_token_id] * pad, "attention_mask": [1] * len(ids) + [0] * pad}

    baseline = [
        stock([padded(i) for i in random_order[b * args.batch_size : (b + 1) * args.batch_size]])
        for b in range(n_batches)
    ]
    baseline = [{k: v for k, v in b.items() if k in ("input_ids", "attention_mask", "labels")} for b in baseline]

    def fresh_model(sdpa: bool = False):
        torch.manual_seed(args.seed)
        model = build_model(market, len(tokenizer), tokenizer.pad_token_id)
        if sdpa:
            model.config._attn_implementation = "sdpa"
        return model.to(device)

    runs = {
        "baseline (run_mlm, pad to max)": (fresh_model(), baseline, False, stock_loss),
        "grouped, dynamic padding": (fresh_model(), project, False, stock_loss),
        "+ masked-only head": (fresh_model(), project, False, masked_lm_loss),
    }
    if device.type == "cuda":
        runs["project bf16 + SDPA"] = (fresh_model(sdpa=True), project, True, masked_lm_loss)
    else:
        runs["+ real tokens only, fast dropout"] = (fresh_model(), project, False, packed_masked_lm_loss)
        if native_bf16(on_cpu=True):  # what training does on this CPU (bf16 is on where it is native)
            runs["+ bf16 autocast"] = (fresh_model(), project, True, packed_masked_lm_loss)
    results = run_interleaved(runs, device, args.steps, args.warmup)
    if device.type == "cuda":
        r, model = results["project bf16 + SDPA"], runs["project bf16 + SDPA"][0]
        name = torch.cuda.get_device_name()
        peak = next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)
        seq = r["padded"] / (args.steps * args.batch_size)
        flops = model_flops(model, r["padded"], seq) / r["seconds"]
        r["tflops"] = flops / 1e12
        r["mfu"] = flops / (peak * 1e12) if peak else math.nan

    base = results["baseline (run_mlm, pad to max)"]["tokens_per_s"]
    print(f"{'run':34s} {'non-pad tok/s':>14s} {'padding':>8s} {'x baseline':>10s}")
    for name, r in results.items():
        pad_share = 1 - r["tokens"] / r["padded"]
        extra = f"  MFU {100 * r['mfu']:.1f}% ({r['tflops']:.1f} TFLOP/s)" if "mfu" in r else ""
        print(f"{name:34s} {r['tokens_per_s']:14.0f} {100 * pad_share:7.1f}% {r['tokens_per_s'] / base:10.2f}{extra}")


if __name__ == "__main__":
    main()
