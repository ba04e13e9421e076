"""The Space's batched next-filing inference against a naive per-request `pipeline("fill-mask")` loop.

    python bench/space_inference.py [--model-size small] [--requests 512] [--naive-requests 64] [--device cpu]

Same model (a `BertForMaskedLM` of the chosen preset on a toy vocabulary; the weights do not change the timing),
same inputs (histories of synthetic firms), same run:

- throughput: next-filing predictions per second of `Explorer.forecast` (batched, what the Space's queue calls
  with up to `max_batch_size` requests) vs one `pipeline("fill-mask", targets=<classes and items>)` call per
  request, which computes the same class/item probabilities (checked);
- latency: p50/p95 of one request through `Explorer.forecast` (encode, forward, scores, density baseline) vs one
  bare forward pass of the model on the same input.

Targets: >= 20x the naive throughput; single-request latency <= 3x a bare forward pass.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from transformers import BertConfig, BertForMaskedLM, pipeline  # noqa: E402

from explorer.inference import Explorer, class_relatedness  # noqa: E402
from marketbert.config import MODEL_PRESETS  # noqa: E402
from marketbert.data import FirmEncoder, mask_last_filing  # noqa: E402
from marketbert.inference import label_scores  # noqa: E402
from marketbert.tokenizer import NICE_TOKENS, build_tokenizer, build_vocabulary  # noqa: E402
from tests.helpers.toy_data import make_toy_sequences  # noqa: E402


def build_explorer(model_size: str, device: str, n_firms: int) -> tuple[Explorer, list[list[dict]]]:
    data = make_toy_sequences(n_firms=n_firms, seed=0)
    vocab = build_vocabulary(data["train"], min_item_frequency=2)
    tokenizer = build_tokenizer(vocab, model_max_length=MODEL_PRESETS[model_size]["max_position_embeddings"])
    torch.manual_seed(0)
    model = BertForMaskedLM(
        BertConfig(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, **MODEL_PRESETS[model_size])
    ).to(device)
    encoder = FirmEncoder(tokenizer, vocab, tokenizer.model_max_length)
    proximity, popularity = class_relatedness(data["train"])
    histories = [firm["filings"][:-1] for split in data.values() for firm in split]
    return Explorer(model, encoder, proximity, popularity, batch_size=64), histories


def masked_input(explorer: Explorer, history: list[dict]) -> list[int]:
    """The ids `Explorer.forecast` feeds the model for `history` (its next filing masked)."""
    encoded = explorer.encoder.encode([*history, explorer._placeholder_filing(history)])
    return mask_last_filing(encoded, explorer.encoder.tokenizer)[0]


def naive_pipeline(explorer: Explorer, histories: list[list[dict]], device: str) -> tuple[float, list[np.ndarray]]:
    """One `fill-mask` pipeline call per request; returns (seconds, class probabilities per request)."""
    tokenizer = explorer.encoder.tokenizer
    fill = pipeline("fill-mask", model=explorer.model, tokenizer=tokenizer, device=torch.device(device))
    targets = list(NICE_TOKENS) + list(explorer.encoder.vocab.items)
    texts = [" ".join(tokenizer.convert_ids_to_tokens(masked_input(explorer, h)[1:-1])) for h in histories]
    fill(texts[0], targets=targets)  # warm-up
    start = time.perf_counter()
    class_probs = []
    for text in texts:
        per_mask = fill(text, targets=targets, top_k=len(targets))
        per_mask = per_mask if isinstance(per_mask[0], list) else [per_mask]
        p = np.ones(len(NICE_TOKENS))
        for predictions in per_mask:
            scores = {r["token_str"]: r["score"] for r in predictions}
            p *= 1 - np.array([min(scores[t], 1 - 1e-7) for t in NICE_TOKENS])
        class_probs.append(1 - p)
    return time.perf_counter() - start, class_probs


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-size", default="small", choices=list(MODEL_PRESETS))
    parser.add_argument("--requests", type=int, default=512, help="Requests for the batched run.")
    parser.add_argument("--naive-requests", type=int, default=64, help="Requests for the naive pipeline loop.")
    parser.add_argument("--latency-requests", type=int, default=100)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)

    explorer, histories = build_explorer(args.model_size, args.device, n_firms=max(args.requests, 64))
    histories = (histories * (args.requests // len(histories) + 1))[: args.requests]
    print(
        f"model: BertForMaskedLM {args.model_size} ({explorer.model.num_parameters() / 1e6:.1f}M parameters), "
        f"vocab {len(explorer.encoder.token_ids)}, device {args.device}, torch threads {torch.get_num_threads()}"
    )

    # 1. Throughput: batched Space inference vs a naive pipeline loop, same inputs
    explorer.forecast(histories[:64], top_k=10)  # warm-up
    start = time.perf_counter()
    batched = explorer.forecast(histories, top_k=45)
    batched_rate = len(histories) / (time.perf_counter() - start)
    naive_seconds, naive_probs = naive_pipeline(explorer, histories[: args.naive_requests], args.device)
    naive_rate = args.naive_requests / naive_seconds
    for forecast, probs in zip(batched, naive_probs, strict=False):  # same predictions, both ways
        ours = np.array([c.probability for c in sorted(forecast.classes, key=lambda c: c.nice_class)])
        np.testing.assert_allclose(ours, probs, rtol=1e-3, atol=1e-5)
    print(f"batched Explorer.forecast: {batched_rate:9.1f} predictions/s ({len(histories)} requests)")
    print(f"naive fill-mask pipeline:  {naive_rate:9.1f} predictions/s ({args.naive_requests} requests)")
    print(f"throughput ratio: {batched_rate / naive_rate:.1f}x (target >= 20x)")

    # 2. Latency of one request vs one bare forward pass on the same input
    rng = np.random.default_rng(0)
    picks = [histories[i] for i in rng.integers(len(histories), size=args.latency_requests)]
    request_ms, forward_ms = [], []
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    nice = explorer._nice_ids
    for history in picks:
        start = time.perf_counter()
        explorer.forecast([history], top_k=10)
        sync()
        request_ms.append((time.perf_counter() - start) * 1000)
        ids = torch.tensor([masked_input(explorer, history)], device=args.device)
        start = time.perf_counter()
        with torch.inference_mode():
            logits = explorer.model(input_ids=ids).logits
        sync()
        forward_ms.append((time.perf_counter() - start) * 1000)
    label_scores(torch.log_softmax(logits[0].float(), -1).cpu(), nice)  # the forward's output is usable as is
    (r50, r95), (f50, f95) = percentiles(request_ms), percentiles(forward_ms)
    print(f"single request: p50 {r50:6.2f} ms  p95 {r95:6.2f} ms")
    print(f"bare forward:   p50 {f50:6.2f} ms  p95 {f95:6.2f} ms")
    print(f"latency ratio: p50 {r50 / f50:.2f}x  p95 {r95 / f95:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
