"""Market vocabulary, tokenizer, firm encoding and the masking collator."""

from __future__ import annotations

import datetime as dt

import pytest
import torch
from transformers import AutoTokenizer

from marketbert.config import load_config, native_bf16
from marketbert.data import FirmEncoder, MarketBertCollator, encode_split, mask_last_filing
from marketbert.tokenizer import (
    NICE_TOKENS,
    build_tokenizer,
    build_vocabulary,
    gap_token,
    item_token,
    vocabulary_from_tokenizer,
)
from tests.helpers.toy_data import make_toy_sequences


def filing(day: str, classes: list[int], terms: list[str]) -> dict:
    return {
        "application_number": f"A{day}",
        "filing_date": dt.date.fromisoformat(day),
        "nice_classes": classes,
        "terms": terms,
        "goods_services": "",
    }


FIRMS = [
    {
        "firm_id": "f1",
        "filings": [filing("2019-01-10", [9], ["software", "apps"]), filing("2019-04-01", [42], ["software"])],
    },
    {"firm_id": "f2", "filings": [filing("2021-06-01", [25, 9], ["clothing", "software"])]},
]


@pytest.fixture(scope="module")
def tokenizer_and_vocab():
    vocab = build_vocabulary(FIRMS, min_item_frequency=2)
    return build_tokenizer(vocab, model_max_length=64), vocab


def test_vocabulary_keeps_frequent_terms_and_years():
    vocab = build_vocabulary(FIRMS, min_item_frequency=2)
    assert vocab.items == ("ITEM_software",)  # 3 filings; apps and clothing have 1
    assert (vocab.min_year, vocab.max_year) == (2019, 2021)
    assert build_vocabulary(FIRMS, min_item_frequency=1).items == ("ITEM_software", "ITEM_apps", "ITEM_clothing")


def test_token_helpers():
    assert item_token("  Computer   Software ") == "ITEM_computer_software"
    assert [gap_token(d) for d in (None, 0, 5, 40, 400, 5000)] == [
        "GAP_FIRST",
        "GAP_SAME_DAY",
        "GAP_1W",
        "GAP_3M",
        "GAP_2Y",
        "GAP_MORE",
    ]


def test_bad_filing_date_names_the_record():
    bad = [{"firm_id": "f9", "filings": [{**filing("2020-01-01", [1], []), "filing_date": "soon"}]}]
    with pytest.raises(ValueError, match="firm 'f9'.*A2020-01-01"):
        build_vocabulary(bad)


def test_tokenizer_round_trips_through_autotokenizer(tmp_path, tokenizer_and_vocab):
    tokenizer, vocab = tokenizer_and_vocab
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    encoder = FirmEncoder(loaded, vocab, 64)
    events = encoder.events(FIRMS[0]["filings"])
    assert events == [
        ["[APP]", "YEAR_2019", "GAP_FIRST", "NICE_09", "ITEM_software", "[APP_END]"],
        ["[APP]", "YEAR_2019", "GAP_3M", "NICE_42", "ITEM_software", "[APP_END]"],
    ]
    text = " ".join(tok for event in events for tok in event)
    assert loaded(text)["input_ids"] == encoder.encode(FIRMS[0]["filings"]).input_ids
    assert loaded.convert_ids_to_tokens(loaded(text)["input_ids"])[:2] == ["[CLS]", "[APP]"]
    assert set(NICE_TOKENS) <= set(loaded.get_vocab())
    assert loaded.mask_token == "[MASK]" and loaded.pad_token_id == 0
    assert vocabulary_from_tokenizer(loaded) == vocab


def test_encoding_truncates_from_the_left_at_event_boundaries(tokenizer_and_vocab):
    tokenizer, vocab = tokenizer_and_vocab
    filings = [filing(f"20{10 + k}-01-01", [k + 1], []) for k in range(6)]
    encoded = FirmEncoder(tokenizer, vocab, max_length=2 + 3 * 5).encode(filings)  # room for 3 events of 5 tokens
    tokens = tokenizer.convert_ids_to_tokens(encoded.input_ids)
    assert [t for t in tokens if t.startswith("NICE_")] == ["NICE_04", "NICE_05", "NICE_06"]  # the most recent
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert encoded.event_index == [0] + [1] * 5 + [2] * 5 + [3] * 5 + [0]


def test_mask_last_filing_masks_its_content_only(tokenizer_and_vocab):
    tokenizer, vocab = tokenizer_and_vocab
    encoded = FirmEncoder(tokenizer, vocab, 64).encode(FIRMS[0]["filings"])
    ids, positions = mask_last_filing(encoded, tokenizer)
    tokens = tokenizer.convert_ids_to_tokens(ids)
    assert tokens[7:] == ["[APP]", "[MASK]", "[MASK]", "[MASK]", "[MASK]", "[APP_END]", "[SEP]"]
    assert positions == [8, 9, 10, 11]
    assert "[MASK]" not in tokens[:7]


def test_collator_objectives(tokenizer_and_vocab):
    tokenizer, vocab = tokenizer_and_vocab
    encoder = FirmEncoder(tokenizer, vocab, 64)
    features = [
        {"input_ids": e.input_ids, "event_index": e.event_index}
        for e in (encoder.encode(FIRMS[0]["filings"]), encoder.encode(FIRMS[1]["filings"]))
    ]
    forecast = MarketBertCollator(tokenizer, objective_weights=(0, 0, 1), seed=1)(features)
    assert forecast["input_ids"].shape == (2, 14)  # padded to the longer firm only
    assert forecast["attention_mask"].sum(1).tolist() == [14, 9]
    assert (forecast["input_ids"][1, 9:] == tokenizer.pad_token_id).all()
    masked = forecast["labels"] != -100
    assert masked[0].nonzero().flatten().tolist() == [8, 9, 10, 11]
    assert (forecast["input_ids"][masked] == tokenizer.mask_token_id).all()
    assert forecast["labels"][0, 8:12].tolist() == features[0]["input_ids"][8:12]

    event = MarketBertCollator(tokenizer, objective_weights=(0, 1, 0), event_probability=1.0, seed=1)(features)
    # every filing masked: all content tokens, never delimiters, [CLS], [SEP] or padding
    content = [i for i, t in enumerate(features[0]["input_ids"]) if tokenizer.convert_ids_to_tokens(t)[0] != "["]
    assert (event["labels"][0] != -100).nonzero().flatten().tolist() == content

    token = MarketBertCollator(tokenizer, objective_weights=(1, 0, 0), mlm_probability=1.0, seed=1)(features)
    assert ((token["labels"] != -100) == (torch.tensor([[0] + [1] * 12 + [0], [0] + [1] * 7 + [0] * 6]) == 1)).all()


def test_forecast_prefixes_cut_the_firm_after_a_random_filing(tokenizer_and_vocab):
    tokenizer, vocab = tokenizer_and_vocab
    encoded = FirmEncoder(tokenizer, vocab, 64).encode([filing(f"20{10 + k}-01-01", [k + 1], []) for k in range(6)])
    feature = {"input_ids": encoded.input_ids, "event_index": encoded.event_index}
    collator = MarketBertCollator(tokenizer, objective_weights=(0, 0, 1), seed=0)
    seen = set()
    for _ in range(60):
        batch = collator([feature])
        n = int(batch["attention_mask"].sum())
        tokens = tokenizer.convert_ids_to_tokens(batch["input_ids"][0, :n])
        kept = (n - 2) // 5  # filings of 5 tokens each ([APP] YEAR GAP NICE [APP_END]) between [CLS] and [SEP]
        assert n == 2 + 5 * kept and tokens[-1] == "[SEP]"
        assert batch["input_ids"][0, : n - 6].tolist() == encoded.input_ids[: n - 6]  # earlier filings intact
        assert tokens[-6:] == ["[APP]", "[MASK]", "[MASK]", "[MASK]", "[APP_END]", "[SEP]"]
        masked = (batch["labels"][0] != -100).nonzero().flatten().tolist()
        assert masked == [n - 5, n - 4, n - 3]  # the content of the last kept filing, and nothing else
        assert tokenizer.convert_ids_to_tokens(batch["labels"][0, n - 3].item()) == f"NICE_{kept:02d}"
        seen.add(kept)
    assert seen == {2, 3, 4, 5, 6}  # never the first filing alone: a forecast needs a history
    last_only = MarketBertCollator(tokenizer, objective_weights=(0, 0, 1), forecast_prefixes=False, seed=0)
    assert int(last_only([feature])["attention_mask"].sum()) == len(encoded.input_ids)


def test_collator_rejects_bad_settings(tokenizer_and_vocab):
    with pytest.raises(ValueError, match="objective_weights"):
        MarketBertCollator(tokenizer_and_vocab[0], objective_weights=(0, 0, 0))
    with pytest.raises(ValueError, match="mlm_probability"):
        MarketBertCollator(tokenizer_and_vocab[0], mlm_probability=0)


def test_encode_split_and_length_column():
    data = make_toy_sequences(20, 4, seed=3)
    vocab = build_vocabulary(data["train"], min_item_frequency=2)
    encoder = FirmEncoder(build_tokenizer(vocab), vocab, 48)
    encoded = encode_split(data["train"], encoder)
    assert encoded.column_names == ["input_ids", "event_index", "length"]
    assert len(encoded) == len(data["train"])
    assert max(encoded["length"]) <= 48
    assert all(n == len(ids) for n, ids in zip(encoded["length"], encoded["input_ids"], strict=True))


def test_config_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="model_size must be one of"):
        load_config({"model_size": "huge"}, tmp_path)
    with pytest.raises(ValueError, match="not used by the HfArgumentParser.*lerning_rate"):
        load_config({"model_size": "tiny", "lerning_rate": 1e-3}, tmp_path)
    with pytest.raises(FileNotFoundError, match="presets: tiny, small, base"):
        load_config(tmp_path / "missing.yaml", tmp_path)
    market, training = load_config("tiny", tmp_path, {"max_steps": 3})
    assert market.max_length == 128 and training.max_steps == 3
    assert training.output_dir == str(tmp_path / "trainer") and training.remove_unused_columns is False


def test_bf16_follows_the_hardware_unless_the_config_says_otherwise(tmp_path):
    assert load_config("tiny", tmp_path)[1].bf16 is native_bf16(on_cpu=True)
    assert load_config("tiny", tmp_path, {"bf16": False})[1].bf16 is False
