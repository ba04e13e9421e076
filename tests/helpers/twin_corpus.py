"""A tiny labelled corpus in the package's format (Nice items with pools, description splits), for fast real runs."""

from __future__ import annotations

import json
from pathlib import Path

GREEN = [
    "solar panels",
    "wind turbines",
    "recycling of waste",
    "water purification installations",
    "heat pumps",
    "charging stations for electric vehicles",
    "biodegradable packaging",
    "environmental consulting",
]
DIGITAL = [
    "computer software",
    "cloud computing",
    "data processing apparatus",
    "telecommunication services",
    "providing online platforms",
    "downloadable mobile applications",
    "computer programming",
    "data storage",
]
OTHER = [
    "clothing",
    "beer",
    "legal services",
    "chocolate",
    "furniture",
    "hand tools",
    "bread",
    "footwear",
    "energy drinks",
    "solariums",
    "spectacles",
    "cases for smartphones",
    "toys",
    "wine",
    "soap",
    "carpets",
]


def _item_rows() -> list[dict]:
    rows = []
    for k, text in enumerate(GREEN + DIGITAL + OTHER):
        pool = ("train", "train", "validation", "test")[k % 4]
        rows.append(
            {
                "id": f"i{k:03d}",
                "nice_class": 9,
                "text": text,
                "green": int(text in GREEN),
                "digital": int(text in DIGITAL),
                "reason": "toy",
                "pool": pool,
            }
        )
    return rows


def _descriptions(items: list[dict], split: str) -> list[dict]:
    pool = [r for r in items if r["pool"] == split] if split != "real_validation" else items
    green = [r for r in pool if r["green"]]
    digital = [r for r in pool if r["digital"]]
    other = [r for r in pool if not r["green"] and not r["digital"]]
    lists = [
        green[:2],
        digital[:2],
        other[:3],
        green[:1] + other[:4],
        digital[:1] + other[1:5],
        green[:1] + digital[:1],
        other[2:4] + green[1:2],
        other[:2],
    ]
    rows = []
    for k, chosen in enumerate(lists):
        row = {
            "id": f"{split}-{k}",
            "text": "; ".join(r["text"] for r in chosen),
            "category": "toy",
            "source": "toy",
            "nice_class": 9,
            "items": [r["text"] for r in chosen],
        }
        for label in ("green", "digital"):
            flags = [r[label] for r in chosen]
            row[f"item_{label}"] = flags
            row[label] = int(sum(flags) >= len(flags) / 3)
        rows.append(row)
    return rows


def write_twin_corpus(folder: str | Path) -> Path:
    """Write `nice_items.jsonl`, `{train,validation,test,real_validation}.jsonl` into `folder`; return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    items = _item_rows()
    files = {
        "nice_items": items,
        **{s: _descriptions(items, s) for s in ("train", "validation", "test", "real_validation")},
    }
    for name, rows in files.items():
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder
