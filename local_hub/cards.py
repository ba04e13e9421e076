"""Repo cards: the YAML front matter of a README.md, parsed for repo info and checked for `/api/validate-yaml`."""

from __future__ import annotations

from typing import Any

import yaml


def front_matter(text: str) -> tuple[Any, str | None]:
    """Parse a README's YAML front matter; returns `(data, error)`."""
    if not text.startswith("---"):
        return {}, None
    end = text.find("\n---", 3)
    if end < 0:
        return {}, "YAML front matter is not closed with '---'"
    try:
        return yaml.safe_load(text[3:end]) or {}, None
    except yaml.YAMLError as err:
        return {}, f"Invalid YAML in front matter: {err}"


def validate_card_yaml(content: str) -> list[dict[str, str]]:
    """The problems of a card's front matter, as the Hub's `errors` list."""
    data, error = front_matter(content)
    errors = [error] if error else []
    if not error and not isinstance(data, dict):
        errors.append("YAML front matter must be a mapping")
    elif not error:
        for key in ("tags", "datasets", "language"):
            value = data.get(key)
            if value is not None and not isinstance(value, (str, list)):
                errors.append(f"'{key}' must be a string or a list of strings")
        license_ = data.get("license")
        if license_ is not None and not isinstance(license_, (str, list)):
            errors.append("'license' must be a string")
        index = data.get("model-index")
        if index is not None and not (
            isinstance(index, list) and all(isinstance(m, dict) and "name" in m and "results" in m for m in index)
        ):
            errors.append("'model-index' must be a list of {name, results}")
    return [{"message": message} for message in errors]
