"""The release configuration: typed sections, package defaults (`defaults.yaml`), `--set key=value` overrides.

Every field is checked in `__post_init__` with a message naming the field and the bad value. Unknown keys and wrong
types are errors, never silently ignored. The resolved config is saved with every artefact.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hub_client.errors import ConfigError

DEFAULTS_PATH = Path(__file__).with_name("defaults.yaml")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,94}[A-Za-z0-9_]$")
_VERSION = re.compile(r"^v\d+\.\d+\.\d+([.-][A-Za-z0-9.]+)?$")


def _check(condition: bool, key: str, value: Any, expected: str) -> None:
    if not condition:
        raise ConfigError(f"Invalid config value {key}={value!r}: expected {expected}.")


def _check_name(key: str, value: str) -> None:
    _check(
        isinstance(value, str) and bool(_NAME.match(value)) and "--" not in value and ".." not in value,
        key,
        value,
        "a Hub name (letters, digits, '-', '_', '.', no '--' or '..', 2-96 characters)",
    )


@dataclass
class HubSection:
    data_dir: str = ".hub-data"  # where the embedded Hub keeps its data (when HF_ENDPOINT is not set)
    port: int = 8765  # preferred loopback port of the embedded Hub
    private: bool = False  # create the repos private

    def __post_init__(self) -> None:
        _check(1 <= self.port <= 65535, "hub.port", self.port, "a TCP port 1-65535")


@dataclass
class DatasetSection:
    name: str = "firm-trademark-sequences"
    # synthetic-euipo (generated EUIPO XML zips, read by the EUIPO reader) | synthetic-uspto-csv | synthetic (the
    # generator's table, no files) | euipo | uspto-xml | uspto-csv | csv | parquet | jsonl
    source: str = "synthetic-euipo"
    inputs: list[str] = field(default_factory=list)  # files/folders for the non-synthetic sources
    n_firms: int = 4000  # synthetic sources only
    min_filings: int = 2

    def __post_init__(self) -> None:
        _check_name("dataset.name", self.name)
        sources = ("synthetic-euipo", "synthetic-uspto-csv", "synthetic", "euipo", "uspto-xml", "uspto-csv", "csv")
        sources += ("parquet", "jsonl")
        _check(self.source in sources, "dataset.source", self.source, f"one of {', '.join(sources)}")
        _check(self.source.startswith("synthetic") or bool(self.inputs), "dataset.inputs", self.inputs, "input paths")
        _check(self.n_firms >= 10, "dataset.n_firms", self.n_firms, "an integer >= 10")
        _check(self.min_filings >= 1, "dataset.min_filings", self.min_filings, "an integer >= 1")


@dataclass
class MarketBertSection:
    name: str = "marketbert"
    preset: str = "small"  # tiny (tests) | small (CPU release) | base (GPU): marketbert/configs/<preset>.yaml
    max_steps: int = -1  # -1: the preset's schedule
    train: dict[str, Any] = field(default_factory=dict)  # any preset key to override, e.g. {learning_rate: 5e-4}

    def __post_init__(self) -> None:
        _check_name("marketbert.name", self.name)
        _check(self.preset in ("tiny", "small", "base"), "marketbert.preset", self.preset, "tiny, small or base")
        _check(self.max_steps == -1 or self.max_steps > 0, "marketbert.max_steps", self.max_steps, "-1 or > 0")


@dataclass
class TwinSection:
    green_name: str = "twin-transition-green"
    digital_name: str = "twin-transition-digital"
    dataset_name: str = "twin-transition-labels"
    samples_per_class: int = 64
    max_steps: int = 16  # contrastive batches of SetFit's body fine-tuning (TwinConfig explains why so few)
    learning_curve_seeds: int = 1  # seeds of the learning curve in the cards (0: none; each trains 8 models)
    train: dict[str, Any] = field(default_factory=dict)  # other TwinConfig keys, e.g. {batch_size: 8}

    def __post_init__(self) -> None:
        for key in ("green_name", "digital_name", "dataset_name"):
            _check_name(f"twin.{key}", getattr(self, key))
        _check(2 <= self.samples_per_class <= 512, "twin.samples_per_class", self.samples_per_class, "2-512")
        _check(self.max_steps >= 1, "twin.max_steps", self.max_steps, "an integer >= 1")
        _check(0 <= self.learning_curve_seeds <= 5, "twin.learning_curve_seeds", self.learning_curve_seeds, "0-5")


@dataclass
class SpaceSection:
    name: str = "marketbert-explorer"

    def __post_init__(self) -> None:
        _check_name("space.name", self.name)


@dataclass
class ReleaseConfig:
    org: str = "marketbert"  # namespace of every repo
    version: str = "v0.1.0"  # the tag put on every repo
    seed: int = 42
    output_dir: str = "release-output"  # local artefacts and release-manifest.json
    hub: HubSection = field(default_factory=HubSection)
    dataset: DatasetSection = field(default_factory=DatasetSection)
    marketbert: MarketBertSection = field(default_factory=MarketBertSection)
    twin: TwinSection = field(default_factory=TwinSection)
    space: SpaceSection = field(default_factory=SpaceSection)

    def __post_init__(self) -> None:
        _check_name("org", self.org)
        _check(bool(_VERSION.match(str(self.version))), "version", self.version, "a version tag like v1.2.3")
        _check(self.seed >= 0, "seed", self.seed, "an integer >= 0")

    def repo_id(self, name: str) -> str:
        return f"{self.org}/{name}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def value(self, dotted: str) -> Any:
        """The value at a dotted key, e.g. `twin.green_name` or `dataset` (a whole section, as a dict)."""
        data: Any = self.to_dict()
        for part in dotted.split("."):
            data = data[part]
        return data

    def section_hash(self, *keys: str) -> str:
        """A stable hash of the named fields or sections (dotted keys allowed): what a stage depends on."""
        blob = json.dumps({k: self.value(k) for k in keys}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _coerce(key: str, value: Any, annotation: Any) -> Any:
    """Check `value` against a field annotation (str, int, bool, float, list[str]) with a clear error."""
    hint = typing.get_origin(annotation) or annotation
    if hint is dict:
        _check(isinstance(value, dict) and all(isinstance(k, str) for k in value), key, value, "a mapping")
        return value
    if hint is list or hint is types.GenericAlias:
        _check(isinstance(value, list) and all(isinstance(v, str) for v in value), key, value, "a list of strings")
        return value
    if hint is bool:
        _check(isinstance(value, bool), key, value, "true or false")
    elif hint is int:
        _check(isinstance(value, int) and not isinstance(value, bool), key, value, "an integer")
    elif hint is float:
        _check(isinstance(value, (int, float)) and not isinstance(value, bool), key, value, "a number")
        value = float(value)
    elif hint is str:
        _check(isinstance(value, (str, int, float)) and not isinstance(value, bool), key, value, "a string")
        value = str(value)
    return value


def _build(cls: type, data: dict[str, Any], prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        where = f"section '{prefix.rstrip('.')}'" if prefix else "the config"
        raise ConfigError(f"Unknown key {prefix}{unknown[0]} in {where}; valid keys: {', '.join(sorted(known))}.")
    kwargs = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            _check(isinstance(value, dict), f"{prefix}{name}", value, "a mapping")
            kwargs[name] = _build(hint, value, f"{prefix}{name}.")
        else:
            kwargs[name] = _coerce(f"{prefix}{name}", value, hint)
    return cls(**kwargs)


def parse_override(item: str) -> tuple[list[str], Any]:
    """`a.b=value` -> (['a', 'b'], parsed value); the value is read as YAML (`3`, `true`, `[x, y]`, `text`)."""
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"Invalid --set {item!r}: expected key=value, e.g. --set marketbert.preset=tiny")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key.strip().split("."), value


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> ReleaseConfig:
    """Package defaults, then the YAML file at `path` (if any), then `--set` overrides; validated."""
    data = yaml.safe_load(DEFAULTS_PATH.read_text()) or {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"Config file {path} does not exist.")
        try:
            user = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as err:
            raise ConfigError(f"Config file {path} is not valid YAML: {err}") from err
        if not isinstance(user, dict):
            raise ConfigError(f"Config file {path} must hold a mapping of keys to values.")
        _merge(data, user)
    for item in overrides or []:
        keys, value = parse_override(item)
        target = data
        for key in keys[:-1]:
            if not isinstance(target.get(key), dict):
                raise ConfigError(f"Unknown key {'.'.join(keys)} in --set {item!r}.")
            target = target[key]
        target[keys[-1]] = value
    try:
        return _build(ReleaseConfig, data)
    except TypeError as err:  # a section given as a scalar, etc.
        raise ConfigError(str(err)) from err


def _merge(base: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
