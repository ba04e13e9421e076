"""The market vocabulary: one firm's trademark timeline as a sequence of word-level tokens.

A filing becomes one event::

    [APP] YEAR_2019 GAP_3M NICE_09 NICE_42 ITEM_computer_software ... [APP_END]

- `YEAR_*`: filing year (clamped to the years seen in the train split), `GAP_*`: time since the firm's previous
  filing, bucketed (`GAP_FIRST` for the first filing).
- `NICE_01` ... `NICE_45`: the filing's Nice classes, ascending.
- `ITEM_*`: the filing's goods/services terms that occur in at least `min_item_frequency` train filings (the most
  frequent `max_items` of them), in vocabulary order, at most `max_items_per_filing` per filing.

A firm is `[CLS] event event ... [SEP]`, truncated from the left at event boundaries so the most recent filings are
kept. The tokenizer is a stock `PreTrainedTokenizerFast` (WordLevel model, whitespace split), so
`AutoTokenizer.from_pretrained` and `pipeline("fill-mask")` work with no custom code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import WhitespaceSplit
from tokenizers.processors import TemplateProcessing
from transformers import PreTrainedTokenizerFast

NUM_NICE_CLASSES = 45
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
APP, APP_END = "[APP]", "[APP_END]"
NICE_TOKENS = tuple(f"NICE_{c:02d}" for c in range(1, NUM_NICE_CLASSES + 1))
# (upper bound in days, token); a gap larger than every bound is GAP_MORE.
GAP_BUCKETS = (
    (0, "GAP_SAME_DAY"),
    (7, "GAP_1W"),
    (31, "GAP_1M"),
    (92, "GAP_3M"),
    (183, "GAP_6M"),
    (366, "GAP_1Y"),
    (731, "GAP_2Y"),
    (1827, "GAP_5Y"),
)
GAP_TOKENS = ("GAP_FIRST", *(token for _, token in GAP_BUCKETS), "GAP_MORE")
ITEM_PREFIX = "ITEM_"
_SPACES = re.compile(r"\s+")


def nice_token(nice_class: int) -> str:
    """`NICE_09` for class 9; raises `ValueError` outside 1..45."""
    if not 1 <= int(nice_class) <= NUM_NICE_CLASSES:
        raise ValueError(f"Nice class must be in 1..{NUM_NICE_CLASSES}, got {nice_class!r}.")
    return NICE_TOKENS[int(nice_class) - 1]


def item_token(term: str) -> str:
    """`ITEM_computer_software` for the term "computer software" (whitespace becomes `_`)."""
    return ITEM_PREFIX + _SPACES.sub("_", term.strip().lower())


def gap_token(days: int | None) -> str:
    """Bucket the days since the previous filing (`None` = first filing)."""
    if days is None:
        return "GAP_FIRST"
    for bound, token in GAP_BUCKETS:
        if days <= bound:
            return token
    return "GAP_MORE"


@dataclass(frozen=True)
class MarketVocabulary:
    """What the tokenizer knows beyond the fixed tokens: the year range and the item terms."""

    min_year: int
    max_year: int
    items: tuple[str, ...]  # item tokens (`ITEM_*`), most frequent first
    max_items_per_filing: int = 8

    @property
    def year_tokens(self) -> tuple[str, ...]:
        return tuple(f"YEAR_{y}" for y in range(self.min_year, self.max_year + 1))

    def tokens(self) -> list[str]:
        """The whole vocabulary in id order."""
        return [*SPECIAL_TOKENS, APP, APP_END, *NICE_TOKENS, *GAP_TOKENS, *self.year_tokens, *self.items]

    def year_token(self, date: dt.date) -> str:
        return f"YEAR_{min(max(date.year, self.min_year), self.max_year)}"


def build_vocabulary(
    firms: Iterable[dict],
    *,
    min_item_frequency: int = 5,
    max_items: int = 2000,
    max_items_per_filing: int = 8,
) -> MarketVocabulary:
    """Collect the year range and the frequent item terms from firms (rows of the `sequences` config).

    An item's frequency is the number of filings that contain the term.
    """
    counts: Counter[str] = Counter()
    years: set[int] = set()
    for firm in firms:
        for filing in firm["filings"]:
            years.add(_as_date(filing["filing_date"], firm, filing).year)
            counts.update({item_token(t) for t in filing["terms"] or () if t and t.strip()})
    if not years:
        raise ValueError("Cannot build the market vocabulary: the train split has no filings.")
    frequent = sorted((tok for tok, n in counts.items() if n >= min_item_frequency), key=lambda t: (-counts[t], t))
    return MarketVocabulary(min(years), max(years), tuple(frequent[:max_items]), max_items_per_filing)


def filing_tokens(filing: dict, previous_date: dt.date | None, vocab: MarketVocabulary, item_ids: dict) -> list[str]:
    """The tokens of one filing event, delimiters included."""
    date = _as_date(filing["filing_date"], None, filing)
    gap = None if previous_date is None else (date - previous_date).days
    classes = [nice_token(c) for c in sorted(set(filing["nice_classes"] or ()))]
    items = sorted(
        {tok for t in filing["terms"] or () if (tok := item_token(t)) in item_ids}, key=item_ids.__getitem__
    )
    return [APP, vocab.year_token(date), gap_token(gap), *classes, *items[: vocab.max_items_per_filing], APP_END]


def firm_events(filings: Sequence[dict], vocab: MarketVocabulary, item_ids: dict) -> list[list[str]]:
    """One token list per filing, in the given (chronological) order."""
    events, previous = [], None
    for filing in filings:
        events.append(filing_tokens(filing, previous, vocab, item_ids))
        previous = _as_date(filing["filing_date"], None, filing)
    return events


def build_tokenizer(vocab: MarketVocabulary, *, model_max_length: int = 512) -> PreTrainedTokenizerFast:
    """A stock fast tokenizer over `vocab`: WordLevel on whitespace, `[CLS] ... [SEP]` added around the text."""
    token_ids = {tok: i for i, tok in enumerate(vocab.tokens())}
    backend = Tokenizer(WordLevel(token_ids, unk_token="[UNK]"))
    backend.pre_tokenizer = WhitespaceSplit()
    backend.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", token_ids["[CLS]"]), ("[SEP]", token_ids["[SEP]"])],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=model_max_length,
    )
    return tokenizer


def vocabulary_from_tokenizer(tokenizer: PreTrainedTokenizerFast, max_items_per_filing: int = 8) -> MarketVocabulary:
    """Recover the :class:`MarketVocabulary` of a saved tokenizer (years and items are in its vocab)."""
    by_id = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    years = [int(tok[5:]) for tok, _ in by_id if tok.startswith("YEAR_")]
    items = tuple(tok for tok, _ in by_id if tok.startswith(ITEM_PREFIX))
    if not years:
        raise ValueError("This tokenizer has no YEAR_* tokens: it is not a MarketBERT tokenizer.")
    return MarketVocabulary(min(years), max(years), items, max_items_per_filing)


def _as_date(value, firm: dict | None, filing: dict) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            pass
    where = f"firm {firm.get('firm_id')!r}, " if firm else ""
    raise ValueError(
        f"Bad filing_date {value!r} ({where}application {filing.get('application_number')!r}): expected a date."
    )
