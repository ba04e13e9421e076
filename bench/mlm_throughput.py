"""MLM training throughput: MarketBERT's step vs a run_mlm-style baseline, same model and data, in one run.

- project: one firm per example, batches grouped by length (`LengthGroupedSampler`), padded to the longest firm
  of the batch (`MarketBertCollator`, token/event/forecast masking).
- baseline: what run_mlm does with `--pad_to_max_length`: every example padded to `max_length`, random batches,
  stock `DataCollatorForLanguageModeling` (15% token masking).

Both run forward + backward + AdamW on the same freshly initialised model for the same number of steps (after
warm-up steps). Reported: non-padding tokens per second and the ratio. On a GPU it also runs the project step in
bf16 with SDPA attention and reports the achieved MFU (model FLOPs utilisation, 6 x params x tokens plus attention,
against the device's dense bf16 peak).

    python bench/mlm_throughput.py                       # synthetic dataset (dataset_builder), small model
    python bench/mlm_throughput.py --max-length 512 --size base --steps 20
"""

from __future__ import annotations

import argparse
import math
import time

import torch
from transformers import DataCollatorForLanguageModeling
from transformers.trainer_pt_utils import LengthGroupedSampler

from marketbert.config import MODEL_PRESETS, MarketBertArguments
from marketbert.data import FirmEncoder, MarketBertCollator, encode_split
from marketbert.tokenizer import build_tokenizer, build_vocabulary
from marketbert.train import build_model

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
        from marketbert.toy_data import make_toy_sequences

        return make_toy_sequences(n_firms, 14, seed=seed)["train"], "marketbert toy data"


def run(model, batches, device, steps: int, warmup: int, autocast: bool) -> dict:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model.train()
    tokens = padded = 0
    elapsed = 0.0
    for i, batch in enumerate(batches):
        if i == warmup + steps:
            break
        batch = {k: v.to(device) for k, v in batch.items()}
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i >= warmup:
            elapsed += time.perf_counter() - start
            tokens += int(batch["attention_mask"].sum())
            padded += batch["attention_mask"].numel()
    return {"tokens": tokens, "padded": padded, "seconds": elapsed, "tokens_per_s": tokens / elapsed}


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

    results = {}
    for name, batches, autocast in (
        ("baseline (run_mlm, pad to max)", baseline, False),
        ("project (grouped, dynamic)", project, False),
    ):
        torch.manual_seed(args.seed)
        model = build_model(market, len(tokenizer), tokenizer.pad_token_id).to(device)
        results[name] = run(model, batches, device, args.steps, args.warmup, autocast)
    if device.type == "cuda":
        torch.manual_seed(args.seed)
        model = build_model(market, len(tokenizer), tokenizer.pad_token_id)
        model.config._attn_implementation = "sdpa"
        model = model.to(device)
        results["project bf16 + SDPA"] = r = run(model, project, device, args.steps, args.warmup, True)
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
