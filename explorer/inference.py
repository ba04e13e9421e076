"""The Space's inference, without Gradio: next-filing forecasts, surprisal, TwinTransition probabilities.

Everything is batched: each method takes a list of requests and runs one padded forward pass per `batch_size`
requests (on the GPU when there is one). Models come from the Hub with stock `from_pretrained`::

    config = ExplorerConfig(model_repo="ORG/marketbert", dataset_repo="ORG/firm-trademark-sequences")
    explorer = Explorer.from_hub(config)
    [forecast] = explorer.forecast([parse_history("2019-03-01 | 9, 42 | computer software")], top_k=5)

The relatedness-density baseline needs the class proximity matrix; the model repo does not ship one, so it is
computed at start-up from the dataset's train split (the same split the model was trained on).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from explorer.history import format_filing, format_history
from marketbert import baselines
from marketbert.data import FirmEncoder
from marketbert.inference import (
    forecast_last_filing,
    forecast_next_filings,
    item_ids,
    item_term,
    load_marketbert,
    nice_ids,
)
from marketbert.tokenizer import NICE_TOKENS, NUM_NICE_CLASSES, item_token
from nice_classification import NICE_HEADINGS, class_label
from twin_transition.items import description_language, split_items

logger = logging.getLogger(__name__)

CONFIG_FILE = "explorer_config.json"
MAX_TEXT_CHARS = 5_000
MAX_TOP_K = 45  # one per Nice class
TWIN_LABELS = ("green", "digital")


@dataclass(frozen=True)
class ExplorerConfig:
    """Which Hub repos the Space serves (saved as `explorer_config.json` next to the Space's `app.py`)."""

    model_repo: str
    dataset_repo: str
    twin_green_repo: str | None = None
    twin_digital_repo: str | None = None
    n_examples: int = 20  # example firms offered in the UI (from the dataset's test split)
    revision: str | None = None  # the branch, tag or commit of every repo above (a release tag); None: main

    def __post_init__(self):
        for name in ("model_repo", "dataset_repo"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(
                    f"ExplorerConfig.{name} must be a repo id such as 'ORG/name', got {getattr(self, name)!r}."
                )
        if self.n_examples < 0:
            raise ValueError(f"ExplorerConfig.n_examples must be >= 0, got {self.n_examples}.")

    @classmethod
    def load(cls, path: str | Path) -> ExplorerConfig:
        """Read a config JSON file; unknown keys are an error."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: the Space repo needs {CONFIG_FILE} (written by `space push`).")
        data = json.loads(path.read_text(encoding="utf-8"))
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"{path}: unknown key(s) {sorted(unknown)}.")
        return cls(**data)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n", encoding="utf-8")
        return path

    def twin_repos(self) -> dict[str, str]:
        repos = {"green": self.twin_green_repo, "digital": self.twin_digital_repo}
        return {label: repo for label, repo in repos.items() if repo}


@dataclass
class ClassScore:
    """One Nice class for a firm's next filing: MarketBERT's probability and the relatedness density."""

    nice_class: int
    heading: str
    probability: float  # P(class appears in the next filing), MarketBERT
    density: float  # relatedness density of the class to the firm's past classes (0..1)
    in_history: bool  # the firm filed this class before


@dataclass
class NextFilingForecast:
    """The forecast for one history: classes ranked by MarketBERT and by density, and the likely items."""

    classes: list[ClassScore]  # top-k by MarketBERT probability
    density_ranking: list[ClassScore]  # top-k by relatedness density
    items: list[tuple[str, float]]  # (term, probability), top-k
    n_filings: int


@dataclass
class SurprisalResult:
    """How unexpected a candidate filing is given the history (nats per scored class/item token)."""

    surprisal: float
    tokens: list[tuple[str, float]]  # (class heading or item term, -log p)
    unscored_terms: list[str]  # candidate terms the model has no item token for


@dataclass
class TwinItem:
    """One item of a goods/services text: its probability per label and whether it counted for the label."""

    item: str
    probs: dict[str, float]
    counted: dict[str, bool]


@dataclass
class TwinExplanation:
    """The TwinTransition answer for one text: score and decision per label (None: unknown), and its items."""

    scores: dict[str, float | None]
    decisions: dict[str, bool | None]
    items: list[TwinItem]
    min_shares: dict[str, float]  # the rule: label 1 when at least this share of the items counts
    unscored: str | None = None  # why the text was not scored (not English, no item)


def default_device() -> str:
    """`cuda` when a GPU is available, else `cpu`."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def class_relatedness(train) -> tuple[np.ndarray, np.ndarray]:
    """Proximity phi (45 x 45) between classes across the train firms, and each class's share of filings.

    `train` is the `sequences` train split (a `datasets.Dataset`); computed with Arrow, no Python loop per filing.
    """
    import pyarrow.compute as pc

    table = train.select_columns(["filings"]).with_format("arrow")[:]
    filings = table.column("filings").combine_chunks()
    firm_of_filing = pc.list_parent_indices(filings).to_numpy()
    classes = pc.list_flatten(filings).field("nice_classes")
    filing_of_class = pc.list_parent_indices(classes).to_numpy()
    values = pc.list_flatten(classes).to_numpy().astype(np.int64) - 1
    if len(values) and (values.min() < 0 or values.max() >= NUM_NICE_CLASSES):
        raise ValueError(f"The train split holds Nice classes outside 1..{NUM_NICE_CLASSES}.")
    incidence = np.zeros((len(table), NUM_NICE_CLASSES), dtype=bool)
    incidence[firm_of_filing[filing_of_class], values] = True
    per_filing = np.zeros((len(firm_of_filing), NUM_NICE_CLASSES), dtype=bool)
    per_filing[filing_of_class, values] = True
    return baselines.proximity(incidence), baselines.popularity(per_filing)


class Explorer:
    """MarketBERT, the class relatedness and the TwinTransition classifiers, ready to answer batched requests."""

    def __init__(
        self,
        model,
        encoder: FirmEncoder,
        proximity: np.ndarray,
        class_popularity: np.ndarray,
        *,
        twin: dict[str, Any] | None = None,
        examples: Sequence[dict] = (),
        batch_size: int = 64,
    ):
        self.model = model.eval()
        self.encoder = encoder
        self.proximity = proximity
        self.class_popularity = class_popularity
        self.twin = dict(twin or {})
        self.examples = {f"{firm['firm_name']} ({len(firm['filings'])} filings)": firm for firm in examples}
        self.batch_size = batch_size
        self._nice_ids = nice_ids(encoder)
        self._item_ids = item_ids(encoder)
        self._item_terms = [item_term(t) for t in encoder.vocab.items]
        self._product_ids = torch.cat([self._nice_ids, self._item_ids])
        self._id_to_token = {i: t for t, i in encoder.token_ids.items()}

    @classmethod
    def from_hub(cls, config: ExplorerConfig, *, device: str | None = None, cache_dir: str | None = None) -> Explorer:
        """Download and load everything `config` names (stock `from_pretrained` / `load_dataset`)."""
        import datasets

        from twin_transition.head import load_twin_classifier

        device = device or default_device()
        revision = config.revision
        model, encoder = load_marketbert(config.model_repo, revision=revision, cache_dir=cache_dir)
        model.to(device)
        datasets.config.USE_PARQUET_EXPORT = False  # no datasets-server lookup
        splits = datasets.load_dataset(config.dataset_repo, "sequences", revision=revision, cache_dir=cache_dir)
        proximity, popularity = class_relatedness(splits["train"])
        shown = next((s for s in ("test", "validation", "train") if s in splits), "train")
        examples = [firm for firm in splits[shown].select(range(min(len(splits[shown]), 10 * config.n_examples)))]
        examples = [firm for firm in examples if len(firm["filings"]) >= 2][: config.n_examples]
        twin = {
            label: load_twin_classifier(repo, revision=revision, device=device, cache_dir=cache_dir)
            for label, repo in config.twin_repos().items()
        }
        logger.info("Explorer ready on %s (%d example firms, twin: %s)", device, len(examples), list(twin) or "none")
        return cls(model, encoder, proximity, popularity, twin=twin, examples=examples)

    @property
    def device(self) -> torch.device:
        return self.model.device

    # -- next filing ---------------------------------------------------------------------------------------------
    def forecast(
        self, histories: Sequence[Sequence[dict]], top_k: int | Sequence[int] = 10
    ) -> list[NextFilingForecast]:
        """Forecast the next filing of each history (parsed filings, chronological); one batched pass."""
        histories = [list(h) for h in histories]
        top_ks = [top_k] * len(histories) if isinstance(top_k, int) else list(top_k)
        if len(top_ks) != len(histories):
            raise ValueError(f"Got {len(top_ks)} top_k values for {len(histories)} histories.")
        for i, (history, k) in enumerate(zip(histories, top_ks, strict=True)):
            if not history:
                raise ValueError(f"History #{i} is empty: give at least one filing.")
            if not 1 <= int(k) <= MAX_TOP_K:
                raise ValueError(f"top_k must be between 1 and {MAX_TOP_K}, got {k!r}.")
        scores = forecast_next_filings(self.model, self.encoder, histories, batch_size=self.batch_size)
        past = np.zeros((len(histories), NUM_NICE_CLASSES), dtype=bool)
        for row, history in enumerate(histories):
            for filing in history:
                past[row, np.asarray(filing["nice_classes"], dtype=np.int64) - 1] = True
        density = baselines.with_tiebreak(baselines.density(past, self.proximity), self.class_popularity)
        results = []
        for row, ((class_probs, item_probs), k) in enumerate(zip(scores, top_ks, strict=True)):
            k = int(k)

            def score(c: int, row=row, class_probs=class_probs) -> ClassScore:
                return ClassScore(
                    c + 1, NICE_HEADINGS[c + 1], float(class_probs[c]), float(density[row, c]), bool(past[row, c])
                )

            by_model = np.argsort(-class_probs, kind="stable")[:k]
            by_density = np.argsort(-density[row], kind="stable")[:k]
            top_items = np.argsort(-item_probs, kind="stable")[:k]
            results.append(
                NextFilingForecast(
                    classes=[score(int(c)) for c in by_model],
                    density_ranking=[score(int(c)) for c in by_density],
                    items=[(self._item_terms[int(i)], float(item_probs[i])) for i in top_items],
                    n_filings=len(histories[row]),
                )
            )
        return results

    # -- surprisal ------------------------------------------------------------------------------------------------
    def surprisal(self, histories: Sequence[Sequence[dict]], candidates: Sequence[dict]) -> list[SurprisalResult]:
        """Surprisal of each candidate next filing given its history (mean -log p of its class/item tokens)."""
        if len(histories) != len(candidates):
            raise ValueError(f"Got {len(candidates)} candidate filings for {len(histories)} histories.")
        for i, (history, candidate) in enumerate(zip(histories, candidates, strict=True)):
            if not history:
                raise ValueError(f"History #{i} is empty: give at least one filing before the candidate.")
            if candidate["filing_date"] < history[-1]["filing_date"]:
                raise ValueError(
                    f"The candidate filing ({candidate['filing_date']}) is dated before the last filing of the "
                    f"history ({history[-1]['filing_date']}); a next filing comes after the history."
                )
        product_ids = self._product_ids

        def reduce(log_probs: torch.Tensor, true_ids: torch.Tensor) -> list[tuple[int, float]]:
            keep = torch.isin(true_ids, product_ids)
            nll = -log_probs[keep].gather(1, true_ids[keep, None]).squeeze(1)
            return list(zip(true_ids[keep].tolist(), nll.tolist(), strict=True))

        per_token = forecast_last_filing(
            self.model,
            self.encoder,
            [list(h) + [c] for h, c in zip(histories, candidates, strict=True)],
            reduce,
            batch_size=self.batch_size,
        )
        results = []
        for candidate, tokens in zip(candidates, per_token, strict=True):
            labels = [(self._token_label(self._id_to_token[i]), value) for i, value in tokens]
            unscored = [t for t in candidate["terms"] if item_token(t) not in self.encoder.item_ids]
            mean = float(np.mean([v for _, v in labels])) if labels else float("nan")
            results.append(SurprisalResult(mean, labels, unscored))
        return results

    @staticmethod
    def _token_label(token: str) -> str:
        if token in NICE_TOKENS:
            return class_label(NICE_TOKENS.index(token) + 1)
        return item_term(token)

    # -- twin transition ------------------------------------------------------------------------------------------
    def twin_probabilities(self, texts: Sequence[str]) -> list[dict[str, float | None]]:
        """The green and digital scores of each goods/services text (>= 0.5: the calibrated rule says 1); None for
        a text with no English in it."""
        return [e.scores for e in self.twin_explanations(texts)]

    def twin_explanations(self, texts: Sequence[str]) -> list[TwinExplanation]:
        """Scores, decisions and the per-item probabilities behind them, one batched pass per classifier."""
        if not self.twin:
            raise ValueError("No TwinTransition classifier is configured for this Space.")
        texts = list(texts)
        for i, text in enumerate(texts):
            check_text(text, f"Text #{i + 1}")
        per_label = {label: clf.item_scores(texts) for label, clf in self.twin.items()}
        results = []
        for i, text in enumerate(texts):
            reason = description_language(text)
            items = [] if reason else split_items(text)
            scores, decisions, rows = {}, {}, [TwinItem(item, {}, {}) for item in items]
            for label, clf in self.twin.items():
                probs = per_label[label][i]
                scores[label] = None if probs is None else float(clf.decision.score(probs))
                decisions[label] = None if probs is None else clf.decision.decide(probs)
                for row, p in zip(rows, [] if probs is None else probs, strict=False):
                    row.probs[label] = float(p)
                    row.counted[label] = bool(p >= clf.decision.item_threshold)
            shares = {label: clf.decision.min_share for label, clf in self.twin.items()}
            unscored = f"not English ({reason})" if reason else None if items else "no goods/services item"
            results.append(TwinExplanation(scores, decisions, rows, shares, unscored))
        return results

    # -- examples -------------------------------------------------------------------------------------------------
    def example_history(self, name: str) -> tuple[str, str]:
        """An example firm as `(history text without its last filing, its last filing as the candidate line)`."""
        if name not in self.examples:
            raise ValueError(f"Unknown example firm {name!r}; pick one of the list.")
        filings = self.examples[name]["filings"]
        return format_history(filings[:-1]), format_filing(filings[-1])


def check_text(text: str, where: str = "Text") -> str:
    """Raise `ValueError` for an empty or over-long goods/services text; return it stripped."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where} is empty: enter a goods/services description, e.g. 'solar panels'.")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"{where} is too long ({len(text)} characters; at most {MAX_TEXT_CHARS}).")
    return text.strip()
