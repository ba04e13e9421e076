"""The Space's README: front matter from `SpaceCardData` (sdk, app_file, models, datasets, hardware) and a template."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import SpaceCard, SpaceCardData

from explorer.inference import ExplorerConfig

TEMPLATE = Path(__file__).with_name("space_card_template.md")
SUGGESTED_HARDWARE = "t4-small"  # MarketBERT-base + MiniLM fit on any GPU; the app also runs on "cpu-basic"


def space_card_data(config: ExplorerConfig, *, sdk_version: str | None = None) -> SpaceCardData:
    """Front matter of the Explorer Space for the repos in `config` (`sdk_version`: default the installed Gradio)."""
    if sdk_version is None:
        from importlib.metadata import version

        sdk_version = version("gradio")
    return SpaceCardData(
        title="MarketBERT Explorer",
        sdk="gradio",
        sdk_version=sdk_version,
        python_version="3.11",
        app_file="app.py",
        license="apache-2.0",
        models=[config.model_repo, *config.twin_repos().values()],
        datasets=[config.dataset_repo],
        tags=["marketbert", "trademarks", "nice-classification", "twin-transition"],
        emoji="🏷️",
        colorFrom="indigo",
        colorTo="green",
        pinned=False,
        short_description="Forecast a firm's next trademark filing with MarketBERT",
        suggested_hardware=SUGGESTED_HARDWARE,
    )


def space_card(config: ExplorerConfig, space_repo: str, *, endpoint: str = "https://huggingface.co") -> SpaceCard:
    """The Space's README card for `space_repo` serving `config`."""
    return SpaceCard.from_template(
        space_card_data(config),
        template_path=str(TEMPLATE),
        space_repo=space_repo,
        endpoint=endpoint.rstrip("/"),
        model_repo=config.model_repo,
        dataset_repo=config.dataset_repo,
        twin_repos=list(config.twin_repos().values()),
        revision=config.revision,
    )
