"""Pre-train MarketBERT from scratch with the Trainer API (the shape of transformers' run_mlm.py).

Run it::

    hub-release marketbert train --config small --dataset ORG/firm-trademark-sequences --output-dir runs/marketbert
    python -m marketbert.train --config marketbert/configs/tiny.yaml --dataset DIR --output-dir /tmp/mb
    torchrun --nproc_per_node 8 -m hub_release.cli marketbert train --preset base   # or accelerate launch

Under a launcher every process runs this function: the global batch stays the configured one, only rank 0 writes,
pushes and evaluates, and every process returns rank 0's results (`marketbert.distributed`, README "Scaling out").

What it writes under `output_dir`:

- `trainer/`: Trainer checkpoints (`checkpoint-*`, resumable); with `push_to_hub: true` and `hub_model_id`, every
  save is pushed to the repo's `checkpoint_branch` (`last-checkpoint/` there) and training resumes from it when the
  local checkpoints are gone.
- `model/`: the release folder -- `model.safetensors`, `config.json`, tokenizer files, `training_config.json`,
  `eval_results.json`, `surprisal_test.jsonl`, `class_embeddings.png` (the card is added by `publish_marketbert`).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import torch
from datasets import DatasetDict
from transformers import BertConfig, BertForMaskedLM, Trainer, TrainingArguments, set_seed
from transformers.trainer_utils import HubStrategy, get_last_checkpoint

from dataset_builder.schema import SEQUENCES_FEATURES
from marketbert.config import MODEL_PRESETS, MarketBertArguments, load_config, resolved_config
from marketbert.data import FirmEncoder, MarketBertCollator, encode_split
from marketbert.distributed import broadcast_from_main, forward_replaced
from marketbert.embedding_map import plot_class_embeddings
from marketbert.evaluation import evaluate_marketbert, masked_lm_metrics
from marketbert.packed import masked_positions_loss, packed_masked_lm_loss
from marketbert.surprisal import split_surprisal
from marketbert.tokenizer import build_tokenizer, build_vocabulary

logger = logging.getLogger(__name__)

EVAL_RESULTS = "eval_results.json"
SURPRISAL_FILE = "surprisal_test.jsonl"
EMBEDDING_MAP = "class_embeddings.png"
TRAINING_CONFIG = "training_config.json"
REQUIRED_SPLITS = ("train", "validation", "test")


def load_sequences(dataset: str | Path, revision: str | None = None) -> DatasetDict:
    """Load the `sequences` config from a Hub repo id, a dataset folder, or a `save_to_disk` folder."""
    import datasets

    datasets.config.USE_PARQUET_EXPORT = False  # no datasets-server lookup (unreachable offline)
    path = Path(dataset)
    if (path / "dataset_dict.json").exists():
        return datasets.load_from_disk(str(path))
    shards = path / "data" / "sequences"
    if shards.is_dir() and not (path / "README.md").exists():  # a built folder without its card: read the shards
        files = {s: str(shards / f"{s}-*.parquet") for s in REQUIRED_SPLITS if list(shards.glob(f"{s}-*.parquet"))}
        return datasets.load_dataset("parquet", data_files=files, features=SEQUENCES_FEATURES)
    return datasets.load_dataset(str(dataset), "sequences", revision=revision)


def _check_dataset(dataset: DatasetDict) -> None:
    if not isinstance(dataset, DatasetDict):
        raise TypeError(f"Expected a DatasetDict with splits {REQUIRED_SPLITS}, got {type(dataset).__name__}.")
    missing = [s for s in REQUIRED_SPLITS if s not in dataset]
    if missing:
        raise ValueError(f"The dataset lacks split(s) {missing} (has {list(dataset)}); build it with dataset_builder.")
    if "filings" not in dataset["train"].column_names:
        raise ValueError(
            f"Expected the `sequences` config (columns firm_id, filings, ...), got {dataset['train'].column_names}."
        )


def build_model(market_args: MarketBertArguments, vocab_size: int, pad_token_id: int) -> BertForMaskedLM:
    """A freshly initialised `BertForMaskedLM` of the chosen size."""
    config = BertConfig(vocab_size=vocab_size, pad_token_id=pad_token_id, **MODEL_PRESETS[market_args.model_size])
    return BertForMaskedLM(config)


def masked_lm_loss(model: BertForMaskedLM, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """`model(**inputs).loss`, with the prediction head applied to the masked positions only.

    The encoder runs on every token, but the vocabulary projection and the softmax -- a large share of a small
    model's step -- only where a label is set, so the loss and its gradients are those of the stock forward.
    """
    hidden = model.bert(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).last_hidden_state
    return masked_positions_loss(model, hidden, inputs["labels"])


class MarketBertTrainer(Trainer):
    """The stock Trainer with a faster training loss, equal to the model's own (a per-batch mean).

    On a CPU `packed_masked_lm_loss` (real tokens only, fast dropout masks) unless `packed_forward=False` or FSDP
    shards the layers (the packed loss reads their weights directly); elsewhere `masked_lm_loss` (the stock encoder,
    whose SDPA attention has fused dropout kernels there). Under DDP/FSDP the loss runs inside the wrapper's
    `forward()` call, so gradients are synchronised as for the stock forward. Mixed precision: accelerate wraps the
    model's `forward()` in autocast, which neither loss calls, so it is applied here.
    """

    loss_is_scaled_for_ga = False

    def __init__(self, *args, packed_forward: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.packed_forward = packed_forward

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        inner = self.accelerator.unwrap_model(model)
        if return_outputs or not isinstance(inner, BertForMaskedLM):  # other models take the stock path
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        half = torch.bfloat16 if self.args.bf16 else torch.float16
        packed = self.packed_forward and inner.device.type == "cpu" and not self.is_fsdp_enabled
        loss_fn = packed_masked_lm_loss if packed else masked_lm_loss
        with torch.autocast(inner.device.type, dtype=half, enabled=self.args.bf16 or self.args.fp16):
            if model is inner:
                return loss_fn(inner, inputs)
            with forward_replaced(inner, lambda **batch: loss_fn(inner, batch)):
                return model(**inputs)  # DDP/FSDP hooks around the same loss


def _prepare_hub_checkpoints(training_args: TrainingArguments, market_args: MarketBertArguments) -> None:
    """Create the model repo and the checkpoint branch; make the Trainer push there, not to main."""
    from huggingface_hub import HfApi

    if not training_args.hub_model_id:
        raise ValueError("push_to_hub needs hub_model_id (e.g. 'ORG/marketbert') to know where checkpoints go.")
    repo_id = None
    if training_args.process_index == 0:  # the other processes only need the resolved repo id
        api = HfApi(token=training_args.hub_token)
        repo_id = api.create_repo(training_args.hub_model_id, exist_ok=True).repo_id
        api.create_branch(repo_id, branch=market_args.checkpoint_branch, exist_ok=True)
    training_args.hub_model_id = broadcast_from_main(repo_id)
    training_args.hub_revision = market_args.checkpoint_branch
    if training_args.hub_strategy not in (HubStrategy.CHECKPOINT, HubStrategy.ALL_CHECKPOINTS):
        training_args.hub_strategy = HubStrategy.CHECKPOINT  # push last-checkpoint/ too, so training can resume


def find_checkpoint(training_args: TrainingArguments, market_args: MarketBertArguments) -> str | None:
    """The last local checkpoint, else the `last-checkpoint/` of the Hub checkpoint branch, else None."""
    local = get_last_checkpoint(training_args.output_dir) if Path(training_args.output_dir).is_dir() else None
    if local or not training_args.push_to_hub:
        return local
    from huggingface_hub import HfApi, snapshot_download

    api = HfApi(token=training_args.hub_token)
    files = api.list_repo_files(training_args.hub_model_id, revision=market_args.checkpoint_branch)
    if "last-checkpoint/trainer_state.json" not in files:
        return None
    folder = snapshot_download(
        training_args.hub_model_id,
        revision=market_args.checkpoint_branch,
        allow_patterns=["last-checkpoint/*"],
        local_dir=Path(training_args.output_dir) / "hub-resume",
        token=training_args.hub_token,
    )
    logger.info("Resuming from the Hub checkpoint on branch %r", market_args.checkpoint_branch)
    return str(Path(folder) / "last-checkpoint")


def train_marketbert(
    dataset: DatasetDict | str | Path | None,
    config: str | Path | dict[str, Any] = "small",
    output_dir: str | Path = "marketbert-output",
    *,
    overrides: dict[str, Any] | None = None,
    dataset_repo_id: str | None = None,
    callbacks: list | None = None,
) -> dict[str, Any]:
    """Train, evaluate and package MarketBERT; return the metrics (also in `<output_dir>/model/eval_results.json`).

    Args:
        dataset: the `sequences` DatasetDict, or a Hub repo id / folder to load it from (None: the config's
            `dataset`).
        config: a YAML/JSON file, a preset name (`tiny`, `small`, `base`) or a dict of settings.
        output_dir: where `trainer/` (checkpoints) and `model/` (the release folder) go.
        overrides: settings applied over the config (e.g. `{"push_to_hub": True, "hub_model_id": "ORG/marketbert"}`).
        dataset_repo_id: the dataset's Hub repo, recorded for the model card.
        callbacks: extra `transformers.TrainerCallback`s (e.g. a progress display).
    """
    started = time.monotonic()
    output_dir = Path(output_dir)
    # 1. Arguments
    market_args, training_args = load_config(config, output_dir, overrides)
    set_seed(training_args.seed)
    # 2. Data
    if dataset is None:
        if not market_args.dataset:
            raise ValueError("No dataset: pass one, or set `dataset` (repo id or folder) in the config.")
        dataset = market_args.dataset
    if isinstance(dataset, str | Path):
        dataset_repo_id = dataset_repo_id or (str(dataset) if not Path(dataset).exists() else None)
        with training_args.main_process_first(desc="Loading the dataset"):  # one download per machine
            dataset = load_sequences(dataset, market_args.dataset_revision)
    _check_dataset(dataset)
    train_split = dataset["train"]
    if market_args.max_train_firms:
        train_split = train_split.select(range(min(market_args.max_train_firms, len(train_split))))
    # 3. Tokenizer, built from the train split only
    vocab = build_vocabulary(
        train_split,
        min_item_frequency=market_args.min_item_frequency,
        max_items=market_args.max_items,
        max_items_per_filing=market_args.max_items_per_filing,
    )
    tokenizer = build_tokenizer(vocab, model_max_length=market_args.max_length)
    model_dir = output_dir / "model"
    main = training_args.process_index == 0  # only rank 0 writes, pushes and evaluates
    if main:
        model_dir.mkdir(parents=True, exist_ok=True)
        tokenizer.save_pretrained(model_dir)
    logger.info(
        "Vocabulary: %d tokens (%d items, years %d-%d)",
        len(tokenizer),
        len(vocab.items),
        vocab.min_year,
        vocab.max_year,
    )
    # 4. Model from scratch
    model = build_model(market_args, len(tokenizer), tokenizer.pad_token_id)
    logger.info("BertForMaskedLM %s: %.1fM parameters", market_args.model_size, model.num_parameters() / 1e6)
    # 5. Preprocessing: one firm per example, left-truncated
    encoder = FirmEncoder(tokenizer, vocab, market_args.max_length)
    with training_args.main_process_first(desc="Encoding train"):
        train_encoded = encode_split(train_split, encoder, desc="Encoding train")
    # 6. Collator mixing token, event and forecast masking
    collator = MarketBertCollator(
        tokenizer,
        mlm_probability=market_args.mlm_probability,
        event_probability=market_args.event_probability,
        objective_weights=tuple(market_args.objective_weights),
        forecast_prefixes=market_args.forecast_prefixes,
    )
    # 7. Trainer (checkpoints to the Hub branch when pushing)
    if training_args.push_to_hub:
        _prepare_hub_checkpoints(training_args, market_args)
    trainer = MarketBertTrainer(
        model=model,
        args=training_args,
        train_dataset=train_encoded,
        data_collator=collator,
        processing_class=tokenizer,
        packed_forward=market_args.packed_forward,
        callbacks=callbacks,
    )
    if training_args.world_size > 1:  # the processes' shares of a batch get their own masks and dropout
        set_seed(training_args.seed + training_args.process_index)
    # 8. Train (resuming when a checkpoint exists; with several processes on one machine, one download)
    with training_args.main_process_first(local=True, desc="Finding the checkpoint"):
        checkpoint = find_checkpoint(training_args, market_args) if market_args.resume else None
    train_result = trainer.train(resume_from_checkpoint=checkpoint)
    trainer.save_metrics("train", train_result.metrics)
    trainer.save_state()
    if training_args.push_to_hub:
        trainer.push_to_hub(commit_message="End of training", blocking=True)
    state_dict = trainer.accelerator.get_state_dict(trainer.model_wrapped)  # every process: FSDP gathers shards
    if not main:
        return broadcast_from_main(None)  # wait for rank 0's evaluation
    trainer.model.save_pretrained(model_dir, state_dict=state_dict)  # safetensors
    # Evaluate what is published: the saved weights, without the mixed-precision wrapper training put on forward().
    trained = BertForMaskedLM.from_pretrained(model_dir).to(training_args.device)
    tokenizer.save_pretrained(model_dir)
    (model_dir / TRAINING_CONFIG).write_text(
        json.dumps(resolved_config(market_args, training_args), indent=2, default=str) + "\n", encoding="utf-8"
    )
    train_seconds = time.monotonic() - started
    # 9. Evaluate on held-out firms
    results = evaluate_marketbert(trained, encoder, dataset, split="test", batch_size=market_args.eval_batch_size)
    val_collator = MarketBertCollator(tokenizer, objective_weights=(1.0, 0.0, 0.0), seed=training_args.seed)
    val_encoded = encode_split(dataset["validation"], encoder, desc="Encoding validation")
    results["validation_masked_lm"] = masked_lm_metrics(
        trained, val_encoded, val_collator, market_args.eval_batch_size
    )
    results["train"] = {
        **train_result.metrics,
        "wall_seconds": round(train_seconds, 1),
        "precision": "bf16 autocast" if training_args.bf16 else "fp16 autocast" if training_args.fp16 else "float32",
        "n_firms": len(train_split),
        "n_examples": len(train_encoded),
        "hyperparameters": training_details(market_args, training_args, trainer.state.global_step),
    }
    results["model"] = {
        "size": market_args.model_size,
        "parameters": trained.num_parameters(),
        "vocab_size": len(tokenizer),
        "n_items": len(vocab.items),
        "max_length": market_args.max_length,
        "years": f"{vocab.min_year}-{vocab.max_year}",
    }
    results["dataset"] = dataset_repo_id
    # 10. Beyond the anchors: surprisal of every test filing, the class embedding map
    if market_args.surprisal:
        rows = split_surprisal(trained, encoder, dataset["test"], batch_size=market_args.eval_batch_size)
        with open(model_dir / SURPRISAL_FILE, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in rows)
        results["surprisal"] = _summary([r["surprisal"] for r in rows if r["n_tokens"]])
    plot_class_embeddings(trained, tokenizer, model_dir / EMBEDDING_MAP)
    (model_dir / EVAL_RESULTS).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    trainer.save_metrics("eval", {"perplexity": results["masked_lm"]["perplexity"]})
    logger.info("MarketBERT written to %s in %.0f s", model_dir, time.monotonic() - started)
    return broadcast_from_main(results)


def training_details(
    market_args: MarketBertArguments, training_args: TrainingArguments, steps: int
) -> dict[str, Any]:
    """What a reader needs to reproduce the run (the card's training-details table)."""
    import platform

    token, event, forecast = market_args.objective_weights
    device = (
        torch.cuda.get_device_name(0)
        if training_args.device.type == "cuda"
        else f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"
    )
    return {
        "preset": market_args.model_size,
        "max_length": market_args.max_length,
        "steps": steps,
        "epochs": training_args.num_train_epochs if training_args.max_steps <= 0 else None,
        "global_batch": training_args.per_device_train_batch_size
        * training_args.gradient_accumulation_steps
        * max(1, training_args.world_size),
        "objectives": f"token {token:g} / event {event:g} / forecast {forecast:g}",
        "mlm_probability": market_args.mlm_probability,
        "event_probability": market_args.event_probability,
        "forecast_prefixes": market_args.forecast_prefixes,
        "learning_rate": training_args.learning_rate,
        "lr_scheduler": str(getattr(training_args.lr_scheduler_type, "value", training_args.lr_scheduler_type)),
        "warmup": training_args.warmup_steps,
        "weight_decay": training_args.weight_decay,
        "optimizer": str(getattr(training_args.optim, "value", training_args.optim)),
        "seed": training_args.seed,
        "hardware": device,
    }


def _summary(values: list[float]) -> dict[str, float]:
    import numpy as np

    arr = np.asarray(values, dtype=float)
    if not len(arr):
        return {"n": 0}
    return {
        "n": int(len(arr)),
        "mean": float(arr.mean()),
        "median": float(np.median(arr)),
        "p90": float(np.quantile(arr, 0.9)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="small", help="YAML/JSON file or preset name (tiny, small, base).")
    parser.add_argument("--dataset", default=None, help="Dataset repo id or folder (default: the config's).")
    parser.add_argument("--output-dir", default="marketbert-output")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    results = train_marketbert(args.dataset, args.config, args.output_dir)
    logger.info("Results: %s", json.dumps(results["next_filing"]["classes"]["all"]["marketbert"]))


if __name__ == "__main__":  # pragma: no cover
    main()
