"""What the HTML pages show of a repo card: the Markdown body as sanitized HTML, the front matter as metadata chips,
`model-index` results as table rows, and the "Use this repo" snippet.

The Markdown is rendered by markdown-it-py (CommonMark plus tables and strikethrough) and the HTML it produces, raw
HTML of the card included, is cleaned by nh3 (the Ammonia sanitizer): no scripts, no event handlers, no
`javascript:` links. Everything else on the pages is escaped by the Jinja templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import nh3
from markdown_it import MarkdownIt

from local_hub.cards import front_matter

_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"details", "summary", "input"}
_ALLOWED_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "input": {"type", "checked", "disabled"}, "*": {"align"}}
_URL_SCHEMES = {"http", "https", "mailto"}
# Front matter keys shown as chips, with the label shown and where a value links to (None: no link).
_CHIP_KEYS = {
    "license": ("license", None),
    "library_name": ("library", "/?library={}"),
    "pipeline_tag": ("task", "/?tag={}"),
    "language": ("language", None),
    "base_model": ("base model", "/{}"),
    "datasets": ("dataset", "/datasets/{}"),
    "models": ("model", "/{}"),
    "sdk": ("sdk", None),
    "tags": ("tag", "/?tag={}"),
}


@dataclass(frozen=True)
class Chip:
    label: str
    value: str
    href: str | None


@dataclass(frozen=True)
class ResultRow:
    """One metric of a `model-index` entry."""

    model: str
    task: str
    dataset: str
    metric: str
    value: str


@dataclass(frozen=True)
class RenderedCard:
    html: str
    metadata: dict[str, Any]
    chips: list[Chip]
    results: list[ResultRow]
    error: str | None  # a front matter that does not parse


def markdown_to_html(text: str) -> str:
    """`text` (Markdown, possibly with raw HTML) as sanitized HTML."""
    return nh3.clean(
        _MARKDOWN.render(text),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def render_card(text: str) -> RenderedCard:
    """A README: its body as sanitized HTML, its front matter as chips and results rows."""
    data, error = front_matter(text)
    body = text
    if text.startswith("---") and error is None:
        end = text.find("\n---", 3)
        body = text[text.find("\n", end + 4) + 1 :] if text.find("\n", end + 4) >= 0 else ""
    metadata = data if isinstance(data, dict) else {}
    return RenderedCard(markdown_to_html(body), metadata, chips(metadata), model_index_rows(metadata), error)


def _strings(value: Any) -> list[str]:
    if isinstance(value, (str, int, float)):
        return [str(value)]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int, float))]
    return []


def chips(metadata: dict[str, Any]) -> list[Chip]:
    """The front matter keys a reader scans for (license, tags, datasets, base model, ...) as chips."""
    out = []
    for key, (label, link) in _CHIP_KEYS.items():
        for value in _strings(metadata.get(key)):
            out.append(Chip(label, value, link.format(value) if link else None))
    return out


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def model_index_rows(metadata: dict[str, Any]) -> list[ResultRow]:
    """Every metric of the `model-index` front matter, one row each (malformed entries are skipped)."""
    rows = []
    index = metadata.get("model-index")
    for model in index if isinstance(index, list) else []:
        if not isinstance(model, dict):
            continue
        for result in model.get("results") or []:
            if not isinstance(result, dict):
                continue
            task = result.get("task") if isinstance(result.get("task"), dict) else {}
            dataset = result.get("dataset") if isinstance(result.get("dataset"), dict) else {}
            where = " / ".join(str(dataset[k]) for k in ("config", "split") if dataset.get(k))
            dataset_name = str(dataset.get("name") or dataset.get("type") or "")
            for metric in result.get("metrics") or []:
                if not isinstance(metric, dict) or "value" not in metric:
                    continue
                rows.append(
                    ResultRow(
                        model=str(model.get("name", "")),
                        task=str(task.get("name") or task.get("type") or ""),
                        dataset=f"{dataset_name} ({where})" if where else dataset_name,
                        metric=str(metric.get("name") or metric.get("type") or ""),
                        value=_format_value(metric["value"]),
                    )
                )
    return rows


def usage_snippet(repo_type: str, repo_id: str, endpoint: str, revision: str, metadata: dict[str, Any]) -> str:
    """Copy-paste Python that loads the repo at `revision` from this Hub with the stock clients."""
    env = f'import os\nos.environ["HF_ENDPOINT"] = "{endpoint}"  # before any Hugging Face import\n'
    env += 'os.environ["HF_HUB_DISABLE_XET"] = "1"\n\n'
    if repo_type == "dataset":
        configs = metadata.get("configs")
        names = [c.get("config_name") for c in configs if isinstance(c, dict)] if isinstance(configs, list) else []
        config = f', "{names[0]}"' if names and names[0] and names[0] != "default" else ""
        return env + (
            f'from datasets import load_dataset\n\nds = load_dataset("{repo_id}"{config}, revision="{revision}")\n'
        )
    if repo_type == "space":
        return (
            f'from gradio_client import Client\n\nclient = Client("{endpoint}/spaces/{repo_id}")\n'
            "print(client.view_api())\n"
        )
    library = metadata.get("library_name")
    if library == "setfit":
        return env + (
            f'from setfit import SetFitModel\n\nmodel = SetFitModel.from_pretrained("{repo_id}", '
            f'revision="{revision}")\n'
        )
    return env + (
        "from transformers import AutoModel, AutoTokenizer\n\n"
        f'tokenizer = AutoTokenizer.from_pretrained("{repo_id}", revision="{revision}")\n'
        f'model = AutoModel.from_pretrained("{repo_id}", revision="{revision}")\n'
    )
