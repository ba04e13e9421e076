"""Training configuration: MarketBERT arguments + `TrainingArguments`, read from one YAML/JSON file.

The file is flat, run_mlm style: keys of :class:`MarketBertArguments` and of `transformers.TrainingArguments` side
by side. Unknown keys are an error. Presets live in `marketbert/configs/{tiny,small,base}.yaml`.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from transformers import HfArgumentParser, TrainingArguments

from marketbert.distributed import per_process_batch

CONFIG_DIR = Path(__file__).parent / "configs"

# BertConfig overrides per size. `max_position_embeddings` is also the default sequence budget per firm.
MODEL_PRESETS: dict[str, dict[str, int]] = {
    "tiny": dict(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, max_position_embeddings=128
    ),
    "small": dict(
        hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=512, max_position_embeddings=256
    ),
    "base": dict(
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        max_position_embeddings=512,
    ),
}


@dataclass
class MarketBertArguments:
    """What to train on and what to build (everything that is not a `TrainingArguments` field)."""

    # Model
    model_size: str = field(default="small", metadata={"help": f"Size preset: {', '.join(MODEL_PRESETS)}."})
    max_length: int | None = field(default=None, metadata={"help": "Tokens per firm (default: the preset's)."})
    # Vocabulary
    min_item_frequency: int = field(default=5, metadata={"help": "Min. train filings for a term to get ITEM_*."})
    max_items: int = field(default=2000, metadata={"help": "At most this many ITEM_* tokens."})
    max_items_per_filing: int = field(default=8, metadata={"help": "ITEM_* tokens kept per filing."})
    # Objectives
    mlm_probability: float = field(default=0.15, metadata={"help": "Token masking rate (token objective)."})
    event_probability: float = field(default=0.15, metadata={"help": "Filing masking rate (event objective)."})
    objective_weights: list[float] = field(
        default_factory=lambda: [0.5, 0.25, 0.25], metadata={"help": "Share of token, event, forecast examples."}
    )
    forecast_prefixes: bool = field(
        default=True, metadata={"help": "Forecast a random filing from the ones before it, not only the last."}
    )
    keep_global_batch: bool = field(
        default=True,
        metadata={
            "help": "On N processes (torchrun, accelerate launch), give each 1/N of per_device_train_batch_size, so "
            "the global batch stays the configured one."
        },
    )
    packed_forward: bool = field(
        default=True,
        metadata={"help": "On a CPU, train with the packed forward (real tokens only, fast dropout); else stock."},
    )
    # Data
    dataset: str | None = field(default=None, metadata={"help": "Dataset repo id or local dir (config sequences)."})
    dataset_revision: str | None = field(default=None, metadata={"help": "Dataset revision (branch, tag, sha)."})
    max_train_firms: int | None = field(default=None, metadata={"help": "Use only the first N train firms."})
    # Hub checkpoints
    checkpoint_branch: str = field(default="checkpoints", metadata={"help": "Branch that receives checkpoints."})
    resume: bool = field(default=True, metadata={"help": "Resume from the last local or Hub checkpoint."})
    # Evaluation
    eval_batch_size: int = field(default=64, metadata={"help": "Batch size for evaluation and surprisal."})
    surprisal: bool = field(default=True, metadata={"help": "Compute per-filing surprisal for the test split."})

    def __post_init__(self):
        if self.model_size not in MODEL_PRESETS:
            raise ValueError(f"model_size must be one of {list(MODEL_PRESETS)}, got {self.model_size!r}.")
        limit = MODEL_PRESETS[self.model_size]["max_position_embeddings"]
        if self.max_length is None:
            self.max_length = limit
        if not 8 <= self.max_length <= limit:
            raise ValueError(
                f"max_length must be in 8..{limit} for model_size {self.model_size!r}, got {self.max_length}."
            )
        if len(self.objective_weights) != 3 or min(self.objective_weights) < 0 or sum(self.objective_weights) <= 0:
            raise ValueError(
                f"objective_weights must be 3 non-negative numbers (token, event, forecast), got "
                f"{self.objective_weights!r}."
            )
        for name in ("min_item_frequency", "max_items_per_filing", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}.")


def native_bf16(*, on_cpu: bool) -> bool:
    """Whether bf16 autocast runs natively: a CUDA GPU with bf16, or a CPU with AVX512-BF16 or AMX (Linux).

    Where it is only emulated it would be slower than float32, so training stays in float32 there.
    """
    import torch

    if not on_cpu:  # the Trainer's bf16 on a CPU needs use_cpu
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) is not None


def preset_path(preset: str) -> Path:
    """The packaged YAML file of a training preset (tiny, small, base)."""
    if preset not in MODEL_PRESETS:
        raise ValueError(f"Unknown MarketBERT preset {preset!r}; presets: {', '.join(MODEL_PRESETS)}.")
    return CONFIG_DIR / f"{preset}.yaml"


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML (`.yaml`/`.yml`) or JSON config into a dict; a bare preset name reads the packaged file."""
    path = Path(path)
    if not path.exists() and str(path) in MODEL_PRESETS:
        path = preset_path(str(path))
    if not path.exists():
        raise FileNotFoundError(f"Config file {str(path)!r} not found (presets: {', '.join(MODEL_PRESETS)}).")
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"Config file {path} must hold a mapping of settings, got {type(data).__name__}.")
    return data


def load_config(
    config: str | Path | dict[str, Any], output_dir: str | Path, overrides: dict[str, Any] | None = None
) -> tuple[MarketBertArguments, TrainingArguments]:
    """Resolve a config (file path, preset name or dict) plus overrides into the two argument objects.

    Trainer checkpoints go to `<output_dir>/trainer`; `output_dir` keys in the file are ignored for that reason.
    """
    source = str(config) if not isinstance(config, dict) else "the config dict"
    data = dict(config) if isinstance(config, dict) else read_config_file(config)
    data.update(overrides or {})
    data["output_dir"] = str(Path(output_dir) / "trainer")
    data.setdefault("remove_unused_columns", False)  # the collator needs `event_index`
    data.setdefault("report_to", "none")
    data.setdefault("ddp_find_unused_parameters", False)  # every parameter gets a gradient: skip DDP's graph walk
    if "bf16" not in data:  # bf16 autocast where the hardware runs it natively, unless the config says otherwise
        data["bf16"] = native_bf16(on_cpu=bool(data.get("use_cpu")))
    parser = HfArgumentParser((MarketBertArguments, TrainingArguments))
    try:
        market_args, training_args = parser.parse_dict(data, allow_extra_keys=False)
    except ValueError as err:
        raise ValueError(f"Invalid MarketBERT config ({source}): {err}") from err
    if training_args.remove_unused_columns:
        raise ValueError("remove_unused_columns must be false: the collator reads the `event_index` column.")
    if market_args.keep_global_batch and training_args.world_size > 1:  # joins the launcher's process group
        batch = training_args.per_device_train_batch_size
        training_args.per_device_train_batch_size = per_process_batch(batch, training_args.world_size)
    return market_args, training_args


def resolved_config(market_args: MarketBertArguments, training_args: TrainingArguments) -> dict[str, Any]:
    """The settings that differ from the defaults, for saving next to the model."""
    processes = training_args.world_size  # before building the defaults below, which reset accelerate's state
    defaults = TrainingArguments(output_dir=training_args.output_dir, report_to="none").to_dict()
    trained = {k: v for k, v in training_args.to_dict().items() if defaults.get(k) != v and "token" not in k}
    trained.pop("output_dir", None)
    batch = training_args.per_device_train_batch_size * processes * training_args.gradient_accumulation_steps
    return {**asdict(market_args), **trained, "world_size": processes, "global_train_batch_size": batch}
