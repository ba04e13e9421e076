"""The release config: defaults, files, `--set` overrides, and the errors a user sees for bad values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub_release.cli import app
from hub_release.config import ConfigError, load_config


def test_defaults_are_the_synthetic_release():
    config = load_config()
    assert config.dataset.source == "synthetic-euipo" and config.dataset.inputs == []
    assert config.marketbert.preset == "small"
    assert config.repo_id(config.dataset.name) == "marketbert/firm-trademark-sequences"


def test_file_then_overrides_win_in_that_order(tmp_path):
    path = tmp_path / "release.yaml"
    path.write_text("org: acme\nmarketbert:\n  preset: base\ndataset:\n  n_firms: 500\n")
    config = load_config(path, ["marketbert.preset=tiny", "dataset.inputs=[a.xml, b.xml]", "hub.private=true"])
    assert (config.org, config.marketbert.preset, config.dataset.n_firms) == ("acme", "tiny", 500)
    assert config.dataset.inputs == ["a.xml", "b.xml"] and config.hub.private is True


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("marketbert.preset=huge", r"marketbert.preset='huge': expected tiny, small or base"),
        ("dataset.nfirms=3", r"Unknown key dataset.nfirms in section 'dataset'; valid keys: inputs"),
        ("nope.x=1", r"Unknown key nope.x"),
        ("seed=abc", r"seed='abc': expected an integer"),
        ("hub.port=true", r"hub.port=True: expected an integer"),
        ("version=1.0", r"expected a version tag like v1.2.3"),
        ("org=bad--name", r"org='bad--name': expected a Hub name"),
        ("dataset.source=euipo", r"dataset.inputs=\[\]: expected input paths"),
        ("novalue", r"expected key=value"),
    ],
)
def test_bad_values_name_the_key_and_what_is_expected(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides=[override])


def test_bad_config_file_is_reported_with_its_path(tmp_path):
    missing = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError, match="absent.yaml does not exist"):
        load_config(missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("org: [unclosed\n")
    with pytest.raises(ConfigError, match="broken.yaml is not valid YAML"):
        load_config(broken)


def test_cli_prints_one_clear_line_and_exits_2_on_bad_config():
    result = CliRunner().invoke(app, ["release", "--set", "marketbert.preset=huge", "--dry-run"])
    assert result.exit_code == 2
    assert "marketbert.preset='huge': expected tiny, small or base" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["marketbert", "train", "--preset", "huge"], 2, "marketbert.preset='huge': expected tiny, small or base"),
        (["twin", "train", "--output-dir", "out", "--set", "twin.max_steps=0"], 2, "twin.max_steps=0"),
        (["dataset", "push", "no-build-here", "--repo-id", "org/name"], 1, "build the dataset first"),
        (["dataset", "build", "--source", "euipo", "--input", "nowhere"], 1, "nowhere: no such file or folder"),
        (["space", "push", "not-a-repo-id"], 2, "expected ORG/NAME"),
        (["release", "--set", "dataset.colour=red", "--dry-run"], 2, "Unknown key dataset.colour"),
    ],
)
def test_every_command_turns_a_user_error_into_one_line(tmp_path, monkeypatch, args, code, message):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.output
    assert message in result.output and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip() and not line.startswith(("Usage:", "Try "))]
    assert len([line for line in lines if "error" in line.lower()]) == 1, result.output


def test_debug_shows_the_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUB_RELEASE_DEBUG", "")  # restored (unset) after the test: --debug sets it
    result = CliRunner().invoke(app, ["--debug", "dataset", "push", "no-build-here", "--repo-id", "org/name"])
    assert result.exit_code == 1 and isinstance(result.exception, FileNotFoundError)


def test_an_unreachable_hub_is_one_line_that_says_what_to_do(tmp_path):
    env = {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path / "home")}  # nothing there
    result = subprocess.run(
        [sys.executable, "-m", "hub_release.cli", "twin", "evaluate", "org/model"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: Cannot reach the Hub at http://127.0.0.1:9 ([Errno 111] Connection refused): start the embedded one "
        "with `hub-release hub start` (and export the HF_ENDPOINT it prints), or set HF_ENDPOINT to a running Hub."
    ]


def test_a_dry_run_starts_nothing_and_writes_nothing(tmp_path_factory):
    """No HF_ENDPOINT, no Hub running: the dry run judges by the (absent) manifest, starts and writes nothing."""
    tmp_path = tmp_path_factory.mktemp("work")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_ENDPOINT", "HF_TOKEN")}
    env["HF_HOME"] = str(tmp_path_factory.mktemp("hf-home"))
    port = str(20000 + os.getpid() % 20000)  # a port no other test uses
    result = subprocess.run(
        [sys.executable, "-m", "hub_release.cli", "release", "--dry-run", "--json", "--set", f"hub.port={port}"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    stages = {s["stage"]: s["status"] for s in json.loads(result.stdout)["stages"]}
    assert stages == dict.fromkeys(["dataset", "marketbert", "twin", "space", "tag"], "would run")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no .hub-data, no release-output, no log
    running = [p.read_bytes() for p in Path("/proc").glob("[0-9]*/cmdline") if _readable(p)]
    assert not [c for c in running if str(tmp_path).encode() in c and b"local_hub" in c]


def _readable(path: Path) -> bool:
    try:
        path.read_bytes()
    except OSError:  # the process ended meanwhile
        return False
    return True
