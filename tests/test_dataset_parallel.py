"""Parallel reading (`dataset_builder/parallel.py`): any number of worker processes gives the same dataset and rejects.

On the real EUIPO and USPTO samples plus a zip of them with hostile and broken members, read by 2 spawned workers
(tasks forced small), 1 process, and the sequential reader (`limit` path): byte-identical shards and rejects.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from dataset_builder import parallel
from dataset_builder.build import build_dataset
from tests.helpers.paths import SHARED_DATA

FIXTURES = Path(__file__).parent / "fixtures" / "dataset"
needs_samples = pytest.mark.skipif(not SHARED_DATA.exists(), reason="real samples not available")


def _zip(tmp_path: Path) -> Path:
    """Real samples and the bad/hostile fixtures as members of one zip, plus an unsafe member name."""
    path = tmp_path / "mixed.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted((SHARED_DATA / "euipo_sample").glob("*.xml"))[:7]:
            zf.write(f, f"a/{f.name}")
        zf.writestr("../escape.xml", "<x/>")
        for f in sorted((FIXTURES / "euipo_bad").glob("*.xml")):
            zf.write(f, f"b/{f.name}")
        zf.writestr("c/notes.txt", "not xml")
    return path


def _snapshot(out: Path) -> tuple[dict[str, bytes], str]:
    files = sorted((out / "repo" / "data").rglob("*.parquet"))
    return {str(f.relative_to(out)): f.read_bytes() for f in files}, (out / "rejects.jsonl").read_text()


@needs_samples
@pytest.mark.parametrize(
    ("source", "inputs"),
    [
        ("euipo", lambda tmp: [SHARED_DATA / "euipo_sample", _zip(tmp), FIXTURES / "euipo_bad"]),
        ("uspto-xml", lambda tmp: [SHARED_DATA / "uspto_sample", FIXTURES / "uspto_bad.xml"]),
    ],
)
def test_two_workers_same_dataset_and_rejects(tmp_path, monkeypatch, source, inputs):
    monkeypatch.setattr(parallel, "MIN_TASK_BYTES", 1)  # one task per file or member
    monkeypatch.setattr(parallel, "SPAWN_MIN_BYTES", 0)  # spawn workers even for these small inputs
    paths = inputs(tmp_path)
    tasks = parallel.plan_tasks(source, paths, 2)
    assert len(tasks) >= 2 and [t.index for t in tasks] == list(range(len(tasks)))
    got = {}
    for name, kwargs in {"two": {"workers": 2}, "one": {"workers": 1}, "sequential": {"limit": 10**9}}.items():
        report = build_dataset(tmp_path / name, source=source, inputs=paths, write_card=False, min_filings=1, **kwargs)
        got[name] = (_snapshot(tmp_path / name), report.records_read, report.rejected_by_reason)
    assert got["two"] == got["one"] == got["sequential"]
    assert got["two"][1] > 10 and got["two"][2]  # records read, some rejected


def test_plan_slices_cover_every_member_once_in_order(tmp_path, monkeypatch):
    """The plan reads sizes only; the slices the workers list are the archive's members in name order, each once,
    with an unsafe member as its reject in its place and non-XML members skipped."""
    monkeypatch.setattr(parallel, "MIN_TASK_BYTES", 1)
    path = tmp_path / "mixed.zip"
    names = [f"m{i:02d}.xml" for i in range(23)] + ["../bad.xml", "d.txt"]
    with zipfile.ZipFile(path, "w") as zf:
        for name in names:
            zf.writestr(name, "<x/>")
    tasks = parallel.plan_tasks("euipo", [path, tmp_path / "missing.zip"], 2)
    slices = [t for t in tasks if t.entries[0][1] == str(path)]
    assert len(slices) > 2 and sum(t.size for t in slices) == path.stat().st_size
    members = [info.filename for t in slices for _, info in parallel.zip_slice(*t.entries[0][1:])]
    assert members == sorted(names)
    records = [r for t in slices for r in parallel._task_records(t, "euipo", None)]  # "<x/>" holds no trade mark
    assert [(r["source_file"], r["error"]) for r in records] == [(f"{path}!../bad.xml", "unsafe_archive_member")]
    (missing,) = [t for t in tasks if t.entries[0][1] != str(path)]
    ((error, detail),) = [(r["error"], r["detail"]) for r in parallel._task_records(missing, "euipo", None)]
    assert error == "unreadable_file" and detail.startswith("no such file or folder; check the --input path")


def test_workers_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="workers must be >= 1"):
        build_dataset(tmp_path / "out", workers=0)


def test_two_workers_honour_strict_and_reject_alike(tmp_path, monkeypatch):
    """Workers check the inputs as the sequential reader does: the same rejects without `strict`; with it, the same
    one-line `InputError` at the same input (an earlier input without a readable record before a later refused
    file), for 2 spawned workers, 1 process and the sequential reader."""
    from dataset_builder.readers import InputError
    from tests.test_dataset_malformed import euipo, jsonl, mark

    monkeypatch.setattr(parallel, "MIN_TASK_BYTES", 1)
    monkeypatch.setattr(parallel, "SPAWN_MIN_BYTES", 0)
    garbage = tmp_path / "garbage.xml"
    garbage.write_bytes(b"\x00 not xml")
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(4):
            zf.writestr(f"m{i}.xml", euipo(mark(f"00000006{i}", {"9": {"en": "Software."}}, applicant=str(i % 2))))
        zf.writestr("../escape.xml", "<x/>")
    good = tmp_path / "good.xml"
    good.write_bytes(euipo(mark("000000070", {"9": {"en": "Apps."}})))
    lines = tmp_path / "lines.jsonl"
    lines.write_bytes(jsonl({"application_number": "J1", "filing_date": "2020-01-01", "nice_classes": "9"}) + b"[1]\n")
    modes = {"two": {"workers": 2}, "one": {"workers": 1}, "sequential": {"limit": 10**9}}
    for source, inputs, refused in [
        ("euipo", [garbage, good, archive], f"{garbage}: no readable record; at line 1 column 1: "),
        ("euipo", [good, archive, garbage], f"{archive}!../escape.xml: zip member name '../escape.xml' is absolute"),
        ("euipo", [good, tmp_path / "missing"], f"{tmp_path / 'missing'}: no such file or folder; check the --input"),
        ("jsonl", [lines, tmp_path / "missing.jsonl"], f"{tmp_path / 'missing.jsonl'}: no such file or folder"),
    ]:
        got = {}
        for name, kwargs in modes.items():
            out = tmp_path / name
            report = build_dataset(out, source=source, inputs=inputs, write_card=False, min_filings=1, **kwargs)
            with pytest.raises(InputError) as raised:
                build_dataset(out, source=source, inputs=inputs, write_card=False, strict=True, **kwargs)
            got[name] = ((out / "rejects.jsonl").read_text(), report.rejected_by_reason, str(raised.value))
        assert got["two"] == got["one"] == got["sequential"], source
        assert got["two"][2].startswith(refused) and "\n" not in got["two"][2]
