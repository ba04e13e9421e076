"""`release-manifest.json`: what each stage of a release produced, so re-runs skip finished work and resume.

A stage is up to date when its recorded `key` (a hash of the config it reads, of its input files' contents and of
its upstream stages' keys) equals the key of the current run. The file is rewritten atomically after every stage,
so an interrupted run leaves a valid manifest.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "release-manifest.json"


@dataclass
class RepoRecord:
    repo_id: str
    repo_type: str
    url: str
    commit: str
    tag: str | None = None
    created_commit: bool = False


@dataclass
class StageRecord:
    key: str  # what the stage read: its work key plus the publication settings (hub.private)
    work_key: str = ""  # what the stage read except the publication settings
    outputs: dict[str, str] = field(default_factory=dict)  # name -> local path or content hash
    repos: list[RepoRecord] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class Manifest:
    path: Path
    version: str = ""
    endpoint: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, StageRecord] = field(default_factory=dict)
    file_hashes: dict[str, list] = field(default_factory=dict)  # path -> [size, mtime_ns, sha256] of inputs read

    @classmethod
    def load(cls, path: Path) -> Manifest:
        if not path.exists():
            return cls(path)
        data = json.loads(path.read_text())
        stages = {
            name: StageRecord(**{**rec, "repos": [RepoRecord(**r) for r in rec.get("repos", [])]})
            for name, rec in data.get("stages", {}).items()
        }
        return cls(
            path,
            data.get("version", ""),
            data.get("endpoint", ""),
            data.get("config", {}),
            stages,
            data.get("file_hashes", {}),
        )

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "version": self.version,
            "endpoint": self.endpoint,
            "config": self.config,
            "stages": {name: asdict(rec) for name, rec in self.stages.items()},
            "file_hashes": self.file_hashes,
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, self.path)
