"""The synthetic filings written as registry files, so that a synthetic build goes through the real readers.

Two formats, each exactly what its reader parses (and what the registry publishes):

* `euipo`: EUIPO trade mark XML (namespace `http://euipo.europa.eu/trademark/data`, EM-TM-TradeMark-V3, the
  structure of the EUIPO open data files) in zip archives, as the EUIPO bulk downloads come: archives of up to
  `RECORDS_PER_ARCHIVE` records, members of up to `RECORDS_PER_MEMBER` `TradeMark` elements, in application-number
  (i.e. filing) order. Owners are applicant identifiers only (`ApplicantDetails/ApplicantKey/Identifier`), as in
  the real files: each synthetic firm has one stable identifier, so the firms come back unchanged.
* `uspto-csv`: the USPTO Trademark Case Files Dataset tables `case_file.csv`, `owner.csv`, `intl_class.csv` and
  `statement.csv`, keyed by `serial_no`; owners are names (with the generator's spelling variants).

The oracle of each firm's last filing travels beside the files (`synthetic_oracle.parquet`), never inside them.
`synthetic_registry(config, folder, fmt)` writes all of it once per (config, format, `WRITER_VERSION`) and reuses
it while `generator.json` says it is the same; files are byte-identical for the same config (fixed zip times).
"""

from __future__ import annotations

import csv
import json
import logging
import re
import shutil
import time
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dataset_builder.synthetic import SyntheticConfig, SyntheticData, generate

logger = logging.getLogger(__name__)

FORMATS = {"euipo": "euipo", "uspto-csv": "uspto-csv"}  # file format -> the reader (source) that reads it
WRITER_VERSION = 1  # bump when the files written change, so that cached files are rewritten
RECORDS_PER_MEMBER = 1_000
RECORDS_PER_ARCHIVE = 25_000
ORACLE_NAME, STAMP_NAME = "synthetic_oracle.parquet", "generator.json"
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)  # fixed member times: the same config gives the same bytes
_CLASS_PART = re.compile(r"(?:^|; )Class (\d+): ")  # terms hold no ':' (see nice.class_terms), so this splits exactly

_EUIPO_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<Transaction xmlns="http://euipo.europa.eu/trademark/data" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
xsi:schemaLocation="http://euipo.europa.eu/trademark/data \
http://euipo.europa.eu/schemas/trademark/EM-TM-TradeMark-V3-4.xsd">
<TransactionHeader>
<SenderDetails>
<RequestProducerDateTime>{produced}</RequestProducerDateTime>
</SenderDetails>
</TransactionHeader>
<TradeMarkTransactionBody>
<TransactionContentDetails>
<TransactionIdentifier>{identifier}</TransactionIdentifier>
<TransactionCode>EM-Trade Mark</TransactionCode>
<TransactionData>
<TradeMarkDetails>
"""
_EUIPO_TAIL = """</TradeMarkDetails>
</TransactionData>
</TransactionContentDetails>
</TradeMarkTransactionBody>
</Transaction>
"""
_TRADEMARK = """<TradeMark operationCode="Insert">
<RegistrationOfficeCode>EM</RegistrationOfficeCode>
<ApplicationNumber>{number}</ApplicationNumber>
<ApplicationDate>{date}</ApplicationDate>
<ApplicationLanguageCode>en</ApplicationLanguageCode>
<SecondLanguageCode>fr</SecondLanguageCode>
<KindMark>Individual</KindMark>
<MarkFeature>Word</MarkFeature>
<GoodsServicesDetails>
<GoodsServices>
<ClassificationVersion/>
<ClassDescriptionDetails>
{classes}</ClassDescriptionDetails>
</GoodsServices>
</GoodsServicesDetails>
<ApplicantDetails>
<ApplicantKey>
<Identifier>{applicant}</Identifier>
</ApplicantKey>
</ApplicantDetails>
</TradeMark>
"""
_CLASS_DESCRIPTION = """<ClassDescription>
<ClassNumber>{number}</ClassNumber>
<GoodsServicesDescription languageCode="en">{text}</GoodsServicesDescription>
</ClassDescription>
"""


@dataclass
class RegistryFiles:
    """Generated registry files: what to read (`inputs`) with which reader, and the oracle beside them."""

    folder: Path
    fmt: str
    inputs: list[Path]  # the files the reader reads, in order
    n_records: int  # records written (every one is read back as one raw record)
    oracle: dict[str, list[float]]  # application number of each firm's last filing -> its class probabilities
    reused: bool  # True when the files of an earlier call were reused
    seconds: float  # generating and writing (0 when reused)

    @property
    def reader(self) -> str:
        return FORMATS[self.fmt]


def class_parts(goods_services: str) -> list[tuple[int, str]]:
    """`[(class, "Term; Term"), ...]` of a generator text `"Class 9: Term; Term; Class 42: Term"`."""
    pieces = _CLASS_PART.split(goods_services)
    return [(int(pieces[i]), pieces[i + 1]) for i in range(1, len(pieces), 2)]


def _registry_order(raw: pa.Table) -> pa.Table:
    """The rows as a registry publishes them: by application number (numbers are chronological)."""
    return raw.take(pc.sort_indices(raw, [("application_number", "ascending")]))


def _chunks(raw: pa.Table, size: int) -> Iterator[list[dict]]:
    for offset in range(0, raw.num_rows, size):
        yield raw.slice(offset, size).to_pylist()


def _euipo_member(rows: list[dict], identifier: str) -> str:
    parts = [_EUIPO_HEAD.format(produced=f"{rows[-1]['filing_date']}T00:00:00", identifier=identifier)]
    for row in rows:
        classes = "".join(
            _CLASS_DESCRIPTION.format(number=c, text=escape(text) + ".")
            for c, text in class_parts(row["goods_services"])
        )
        parts.append(
            _TRADEMARK.format(
                number=row["application_number"],
                date=row["filing_date"],
                classes=classes,
                applicant=escape(row["owner_id"]),
            )
        )
    parts.append(_EUIPO_TAIL)
    return "".join(parts)


def write_euipo(raw: pa.Table, folder: Path) -> list[Path]:
    """Write `raw` (the generator's table) as EUIPO trade mark XML in zip archives under `folder`; returns them."""
    folder.mkdir(parents=True, exist_ok=True)
    archives = []
    ordered = _registry_order(raw)
    for a, offset in enumerate(range(0, ordered.num_rows, RECORDS_PER_ARCHIVE), start=1):
        path = folder / f"EUTM_SYNTHETIC_{a:04d}.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            chunk = ordered.slice(offset, RECORDS_PER_ARCHIVE)
            for m, rows in enumerate(_chunks(chunk, RECORDS_PER_MEMBER), start=1):
                name = f"EUTM_SYNTHETIC_{a:04d}_{m:04d}.xml"
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, _euipo_member(rows, name.removesuffix(".xml")).encode("utf-8"))
        archives.append(path)
    return archives


def _write_csv(path: Path, header: list[str], rows: Iterator[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_uspto_csv(raw: pa.Table, folder: Path) -> list[Path]:
    """Write `raw` as the USPTO Case Files Dataset tables under `folder`; returns `[folder]` (the reader's input)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = _registry_order(raw).to_pylist()
    _write_csv(
        folder / "case_file.csv",
        ["serial_no", "filing_dt"],
        ([r["application_number"], r["filing_date"]] for r in rows),
    )
    _write_csv(
        folder / "owner.csv",
        ["serial_no", "own_name", "own_type_cd"],
        ([r["application_number"], r["owner"], "10"] for r in rows),  # 10-19: the applicant at filing
    )
    _write_csv(
        folder / "intl_class.csv",
        ["serial_no", "intl_class_cd"],
        ([r["application_number"], f"{int(c):03d}"] for r in rows for c in r["nice_classes"].split(";")),
    )
    _write_csv(
        folder / "statement.csv",
        ["serial_no", "statement_type_cd", "statement_text"],
        ([r["application_number"], f"GS{c:03d}1", text] for r in rows for c, text in class_parts(r["goods_services"])),
    )
    return [folder]


_WRITERS = {"euipo": write_euipo, "uspto-csv": write_uspto_csv}


def _stamp(config: SyntheticConfig, fmt: str) -> dict:
    return {"format": fmt, "writer_version": WRITER_VERSION, "config": asdict(config)}


def _load_oracle(path: Path) -> dict[str, list[float]]:
    table = pq.read_table(path)
    return dict(
        zip(
            table["application_number"].to_pylist(),
            table["oracle_last_filing_class_probs"].to_pylist(),
            strict=True,
        )
    )


def synthetic_registry(config: SyntheticConfig, folder: str | Path, fmt: str = "euipo") -> RegistryFiles:
    """Generate the synthetic filings of `config` as `fmt` registry files in `folder` (reused when up to date).

    `folder` gets `generator.json` (the config, format and writer version the files are of), the files (`euipo/`
    zips or `uspto-csv/` tables) and `synthetic_oracle.parquet`. It is written to a temporary folder, then renamed.

    Raises:
        ValueError: an unknown `fmt`.
    """
    if fmt not in _WRITERS:
        raise ValueError(f"Unknown registry format {fmt!r}; expected one of {', '.join(_WRITERS)}.")
    folder = Path(folder)
    stamp = _stamp(config, fmt)
    stamp_path = folder / STAMP_NAME
    if stamp_path.is_file():
        saved = json.loads(stamp_path.read_text())
        inputs = [folder / p for p in saved.get("inputs", [])]
        if {k: saved.get(k) for k in stamp} == stamp and inputs and all(p.exists() for p in inputs):
            logger.info("Reusing the synthetic %s files in %s", fmt, folder)
            return RegistryFiles(
                folder, fmt, inputs, saved["n_records"], _load_oracle(folder / ORACLE_NAME), True, 0.0
            )
    started = time.monotonic()
    data: SyntheticData = generate(config)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    written = _WRITERS[fmt](data.raw, tmp / fmt)
    pq.write_table(data.oracle, tmp / ORACLE_NAME)
    relative = [str(p.relative_to(tmp)) for p in written]
    (tmp / STAMP_NAME).write_text(json.dumps({**stamp, "inputs": relative, "n_records": data.raw.num_rows}, indent=2))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    seconds = round(time.monotonic() - started, 2)
    logger.info("Wrote %d synthetic filings as %s files in %s (%.1f s)", data.raw.num_rows, fmt, folder, seconds)
    oracle = _load_oracle(folder / ORACLE_NAME)
    return RegistryFiles(folder, fmt, [folder / p for p in relative], data.raw.num_rows, oracle, False, seconds)
