"""The two TwinTransition labels: names, class names and one-line definitions (see data/LABELLING_GUIDE.md)."""

from __future__ import annotations

LABELS: dict[str, str] = {
    "green": (
        "renewable energy, energy storage, energy efficiency, e-mobility, recycling and circular economy, pollution "
        "control, water treatment, environmental services, sustainable materials"
    ),
    "digital": "software, data-processing hardware, data processing, IT services, telecom, online platforms, AI",
}


def check_label(label: str) -> str:
    """Return `label` if it is a TwinTransition label, else raise `ValueError`."""
    if label not in LABELS:
        raise ValueError(f"Unknown TwinTransition label {label!r}: expected one of {sorted(LABELS)}.")
    return label


def class_names(label: str) -> list[str]:
    """Class names of the binary classifier for `label`, index = class id: `["not_green", "green"]`."""
    check_label(label)
    return [f"not_{label}", label]
