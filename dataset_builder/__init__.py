"""Raw trademark records in, the firm trademark sequence dataset out (Parquet shards, card, Hub repo).

Public API (imported lazily, so `import dataset_builder` stays light):

* `build_dataset(out_dir, source=..., inputs=..., n_firms=..., seed=..., min_filings=..., limit=...) -> BuildReport`
* `push_dataset(out_dir, repo_id, tag=None) -> hub_client.hub_io.PublishResult`
* `generate(SyntheticConfig(...)) -> SyntheticData` (the synthetic generator alone)
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "BuildReport": "dataset_builder.report",
    "build_dataset": "dataset_builder.build",
    "SOURCES": "dataset_builder.sources",
    "push_dataset": "dataset_builder.publish",
    "SyntheticConfig": "dataset_builder.synthetic",
    "SyntheticData": "dataset_builder.synthetic",
    "generate": "dataset_builder.synthetic",
    "ColumnMapping": "dataset_builder.readers",
    "InputError": "dataset_builder.readers",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'dataset_builder' has no attribute {name!r}")
