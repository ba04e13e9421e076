"""The Hub's HTML pages as a user reads them: the card rendered and sanitized, metadata chips, the results table,
the "use this" snippet, files at a tag with sizes and LFS marks, the history, the index filters, the dataset viewer.

Everything is pushed with the stock clients to the session Hub and read back over HTTP.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from html import unescape

import pytest

from local_hub.render import markdown_to_html
from local_hub.viewer import _glob_regex, compact

CARD = """---
license: apache-2.0
tags: [marketbert, fill-mask]
datasets: [{ns}/firms]
base_model: {ns}/base
model-index:
- name: tiny
  results:
  - task: {{type: fill-mask, name: Next filing}}
    dataset: {{type: {ns}/firms, name: Firm sequences, config: sequences, split: test}}
    metrics:
    - {{type: recall, name: Recall@5, value: 0.6123456}}
---
# Tiny model

Some **bold** text.<script>alert("card")</script> [bad](javascript:alert(1)) <img src="x.png" onerror="alert(2)">

| k | recall |
|---|---:|
| 5 | 0.61 |
"""


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def _text(html: str, element_id: str) -> str:
    """The text of the element with `element_id` (tags dropped, entities decoded)."""
    match = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no #{element_id}"
    return unescape(re.sub(r"<[^>]+>", " ", match.group(2)))


@pytest.fixture(scope="module")
def model_repo(hub):
    repo = f"{hub.namespace}/pages-{hub.token[-6:].lower()}"
    hub.api.create_repo(repo, exist_ok=True)
    hub.api.upload_file(path_or_fileobj=CARD.format(ns=hub.namespace).encode(), path_in_repo="README.md", repo_id=repo)
    hub.api.upload_file(path_or_fileobj=b"\0" * 12_345, path_in_repo="model.safetensors", repo_id=repo)
    hub.api.create_tag(repo, tag="v1.0")
    hub.api.upload_file(path_or_fileobj=b"{}", path_in_repo="extra/config.json", repo_id=repo, commit_message="Add x")
    return repo


def test_model_page_renders_the_card_and_its_metadata(hub, model_repo):
    html = _get(f"{hub.endpoint}/{model_repo}")
    card = _text(html, "card")
    assert "Tiny model" in card and "<h1>Tiny model</h1>" in html and "<strong>bold</strong>" in html
    card_html = html.split('id="card"')[1].split("</article>")[0]
    assert "<script" not in card_html and 'href="javascript' not in card_html and "onerror" not in card_html
    for chip in ("license:</b> apache-2.0", "tag:</b> marketbert", f"dataset:</b> {hub.namespace}/firms"):
        assert chip in html
    assert f'href="/{hub.namespace}/base"' in html  # base model chip links to its page
    results = " ".join(_text(html, "results").split())
    assert "Next filing Firm sequences (sequences / test) Recall@5 0.6123" in results
    snippet = _text(html, "snippet")
    assert f'HF_ENDPOINT"] = "{hub.endpoint}"' in snippet
    assert f'from_pretrained("{model_repo}", revision="main")' in snippet


def test_files_at_a_tag_show_sizes_lfs_and_history(hub, model_repo):
    at_tag = _get(f"{hub.endpoint}/{model_repo}/tree/v1.0")
    files = " ".join(_text(at_tag, "files").split())
    assert "model.safetensors 12.3 kB LFS" in files and "README.md" in files and "extra" not in files
    at_main = _get(f"{hub.endpoint}/{model_repo}/tree/main")
    assert "extra" in _text(at_main, "files") and "v1.0" in at_main  # the tag is listed beside the files
    sub = _get(f"{hub.endpoint}/{model_repo}/tree/main/extra")
    assert "config.json" in _text(sub, "files") and "2 bytes" in _text(sub, "files")
    history = " ".join(_text(_get(f"{hub.endpoint}/{model_repo}/commits/main"), "commits").split())
    assert history.index("Add x") < history.index("initial commit") and "v1.0" in history
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(f"{hub.endpoint}/{model_repo}/tree/no-such-branch")
    assert err.value.code == 404


def test_index_filters_by_type_author_and_tag(hub, model_repo):
    everything = _get(f"{hub.endpoint}/")
    assert model_repo in everything
    assert model_repo in _get(f"{hub.endpoint}/?tag=marketbert")
    assert model_repo not in _get(f"{hub.endpoint}/?type=dataset")
    assert model_repo not in _get(f"{hub.endpoint}/?author=somebody-else")
    assert model_repo in _get(f"{hub.endpoint}/?type=model&author={hub.namespace}&search=pages-")


def test_dataset_viewer_pages_rows_with_types_and_counts(hub, repo_name):
    from datasets import Dataset, DatasetDict

    repo = f"{hub.namespace}/{repo_name}"
    rows = [{"firm": f"f{i}", "filings": [{"classes": [9, i % 45 + 1], "date": "2020-01-01"}]} for i in range(250)]
    DatasetDict(train=Dataset.from_list(rows), test=Dataset.from_list(rows[:30])).push_to_hub(
        repo, config_name="sequences"
    )
    card = _get(f"{hub.endpoint}/datasets/{repo}")
    assert re.search(r"sequences</td><td><a [^>]*>train</a></td><td class=\"num\">250<", card)
    assert f'load_dataset("{repo}", "sequences", revision="main")' in unescape(card)
    first = _get(f"{hub.endpoint}/datasets/{repo}/viewer/sequences/train")
    assert "rows 1–100 of 250" in first and "firm<small>string" in first
    assert "filings<small>list&lt;struct&lt;classes, date&gt;&gt;" in first
    assert unescape('<td>[{"classes":[9,1],"date":"2020-01-01"}]</td>') in unescape(first)
    last = _get(f"{hub.endpoint}/datasets/{repo}/viewer/sequences/train?offset=200")
    assert "rows 201–250 of 250" in last and "<td>f249</td>" in last and "<td>f199</td>" not in last
    test_split = _get(f"{hub.endpoint}/datasets/{repo}/viewer/sequences/test")
    assert "rows 1–30 of 30" in test_split


def test_markdown_is_sanitized():
    html = markdown_to_html('<a href="javascript:x" onclick="y">a</a><iframe src="e"></iframe>\n\n**ok**')
    assert "javascript" not in html and "onclick" not in html and "iframe" not in html and "<strong>ok" in html


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("data/sequences/train-*", "data/sequences/train-00000-of-00001.parquet", True),
        ("data/*/train-*", "data/sequences/train-0.parquet", True),
        ("data/*.parquet", "data/sequences/train-0.parquet", False),
        ("data/**/*.parquet", "data/a/b/c.parquet", True),
    ],
)
def test_data_files_patterns_match_like_datasets(pattern, path, matches):
    assert bool(_glob_regex(pattern).match(path)) is matches


def test_nested_cells_are_compact():
    assert compact({"a": [1, 2], "b": None}) == '{"a":[1,2],"b":null}'
    assert compact(list(range(1000))).endswith("…") and len(compact(list(range(1000)))) == 300
