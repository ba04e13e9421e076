"""Register-scale bench inputs, written once and cached: EUIPO trade mark XML zips and the USPTO Case Files CSVs.

    .venv/bin/python bench/register_files.py --euipo 2500000 --uspto 5000000 --cache-dir ~/.cache/marketbert-bench

EUIPO: zips of `RECORDS_PER_ZIP` members, one `Transaction` per trade mark as in the real files
(`../shared/data/euipo_sample/`): the same element structure, 1-8 classes each, goods/services in English built from
the official Nice indications and, for about a quarter of the records, in 4-22 other languages too (as the real
registered marks have); applicants drawn from a skewed pool (some records have none, some two). USPTO: the four
Case Files tables (`case_file`, `owner`, `intl_class`, `statement`) built column-wise with pyarrow. Written with
string templates (no XML library) by all cores; a folder is complete when its `DONE` file exists.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RECORDS_PER_ZIP = 25_000
LANGS = "bg cs da de el es et fi fr hr hu it lt lv mt nl pl pt ro sk sl sv".split()
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Transaction xmlns="http://euipo.europa.eu/trademark/data" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://euipo.europa.eu/trademark/data '
    'http://euipo.europa.eu/schemas/trademark/EM-TM-TradeMark-V3-4.xsd">\n<TransactionHeader>\n\t\t<SenderDetails>\n'
    "\t\t\t<RequestProducerDateTime>{date}T09:10:19</RequestProducerDateTime>\n\t\t</SenderDetails>\n"
    "\t</TransactionHeader>\n<TradeMarkTransactionBody>\n<TransactionContentDetails>\n"
    "<TransactionIdentifier>{num}</TransactionIdentifier>\n<TransactionCode>EM-Trade Mark</TransactionCode>\n"
    '<TransactionData>\n<TradeMarkDetails>\n<TradeMark operationCode="Insert">\n'
    "<RegistrationOfficeCode>EM</RegistrationOfficeCode>\n<ApplicationNumber>{num}</ApplicationNumber>\n"
    "<ApplicationDate>{date}</ApplicationDate>\n<ApplicationLanguageCode>{lang}</ApplicationLanguageCode>\n"
    "<SecondLanguageCode>en</SecondLanguageCode>\n"
    '<MarkCurrentStatusCode milestone="23" status="1">Registered</MarkCurrentStatusCode>\n'
    "<KindMark>Individual</KindMark>\n<MarkFeature>Word</MarkFeature>\n"
    "<TradeDistinctivenessIndicator>false</TradeDistinctivenessIndicator>\n<WordMarkSpecification>\n"
    "<MarkVerbalElementText>MARK {num}</MarkVerbalElementText>\n</WordMarkSpecification>\n"
    "<GoodsServicesDetails>\n<GoodsServices>\n <ClassificationVersion/>\n <ClassDescriptionDetails>\n"
)
_CLASS = "  <ClassDescription>\n   <ClassNumber>{cls}</ClassNumber>\n{texts}  </ClassDescription>\n"
_TEXT = '   <GoodsServicesDescription languageCode="{lang}">{text}</GoodsServicesDescription>\n'
_TAIL = (
    " </ClassDescriptionDetails>\n</GoodsServices>\n</GoodsServicesDetails>\n<PublicationDetails>\n"
    "       <Publication>\n        <PublicationIdentifier>2020/082</PublicationIdentifier>\n"
    "        <PublicationSection>A.1</PublicationSection>\n        <PublicationDate>{date}</PublicationDate>\n"
    "       </Publication>\n      </PublicationDetails>\n{applicants}</TradeMark>\n</TradeMarkDetails>\n"
    "</TransactionData>\n</TransactionContentDetails>\n</TradeMarkTransactionBody>\n</Transaction>\n"
)
_APPLICANT = "<ApplicantKey>\n<Identifier>{id}</Identifier>\n</ApplicantKey>\n"


def _terms_by_class() -> dict[int, list[str]]:
    from nice_classification.official import indications_by_class

    return {
        c: [i.label.replace("&", "and").replace("<", "") for i in ind] for c, ind in indications_by_class().items()
    }


def _foreign(text: str, lang: str) -> str:
    """A stand-in translation of about the same length, with some non-ASCII letters."""
    return f"{lang.upper()}: " + text[::-1].replace("a", "ä").replace("o", "ø").replace("e", "é")


def _euipo_zip(args: tuple[Path, int, int, int]) -> int:
    """Write one zip of `count` records numbered from `start`; returns its inflated size."""
    path, start, count, n_firms = args
    rng = random.Random(start)
    terms = _terms_by_class()
    classes = sorted(terms)
    tmp, total = path.with_suffix(".zip.tmp"), 0
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for i in range(start, start + count):
            num = f"{18_000_000 + i:09d}"
            date = f"{rng.randint(1996, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            langs = rng.sample(LANGS, rng.randint(4, 22)) if rng.random() < 0.25 else []
            parts = [_HEAD.format(num=num, date=date, lang=rng.choice(["en", *LANGS[:8]]))]
            for cls in sorted(rng.sample(classes, min(8, 1 + int(rng.expovariate(0.6))))):
                text = "; ".join(rng.sample(terms[cls], min(len(terms[cls]), rng.randint(1, 12)))) + "."
                texts = [_TEXT.format(lang="en", text=text)]
                texts += [_TEXT.format(lang=lang, text=_foreign(text, lang)) for lang in langs]
                parts.append(_CLASS.format(cls=cls, texts="".join(sorted(texts))))
            r = rng.random()
            n_owners = 0 if r < 0.02 else 2 if r > 0.97 else 1
            firms = {int(n_firms * rng.random() ** 2.5) + 100_000 for _ in range(n_owners)}
            applicants = "".join(_APPLICANT.format(id=f) for f in sorted(firms))
            parts.append(_TAIL.format(date=date, applicants=f"<ApplicantDetails>\n{applicants}</ApplicantDetails>\n"))
            data = "".join(parts).encode()
            total += len(data)
            zf.writestr(f"{num}.xml", data)
    tmp.replace(path)
    return total


def write_euipo(n_records: int, folder: Path, workers: int) -> Path:
    """`n_records` EUIPO trade marks as zips under `folder` (cached: reused when complete)."""
    if (folder / "DONE").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    n_firms = max(10, n_records // 6)
    jobs = [
        (folder / f"euipo-{k:04d}.zip", s, min(RECORDS_PER_ZIP, n_records - s), n_firms)
        for k, s in enumerate(range(0, n_records, RECORDS_PER_ZIP))
    ]
    todo = [j for j in jobs if not j[0].exists()]
    with ProcessPoolExecutor(workers) as pool:
        for done, _ in enumerate(pool.map(_euipo_zip, todo), start=1):
            print(f"# euipo: {done}/{len(todo)} zips", file=sys.stderr, flush=True)
    (folder / "DONE").write_text(str(n_records))
    return folder


def write_uspto_csv(n_cases: int, folder: Path, seed: int = 0) -> Path:
    """The four USPTO Case Files tables for `n_cases` case files under `folder` (cached), column-wise."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if (folder / "DONE").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    terms = _terms_by_class()
    pool = [(c, "; ".join(random.Random(c * 100 + k).sample(terms[c], min(6, len(terms[c]))))) for c in sorted(terms)
            for k in range(40)]  # fmt: skip
    n_firms = max(10, n_cases // 6)
    firm_names = pa.array([f"Firm {k} {('Inc.', 'LLC', 'Corp.', 'GmbH')[k % 4]}" for k in range(n_firms)])
    chunk = 1_000_000
    writers: dict[str, pacsv.CSVWriter] = {}

    def write(name: str, table: pa.Table) -> None:
        if name not in writers:
            writers[name] = pacsv.CSVWriter(folder / f"{name}.csv.tmp", table.schema)
        writers[name].write_table(table)

    for start in range(0, n_cases, chunk):
        n = min(chunk, n_cases - start)
        serial = pa.array((70_000_000 + start + np.arange(n)).astype(str))
        days = rng.integers(0, 365 * 28, n)
        dates = pc.strftime(pa.array((np.datetime64("1996-01-01") + days).astype("datetime64[s]")), "%Y-%m-%d")
        write(
            "case_file",
            pa.table({"serial_no": serial, "filing_dt": dates, "registration_no": pa.nulls(n, pa.string())}),
        )
        firms = (n_firms * rng.random(n) ** 2.5).astype(np.int64)
        two = rng.random(n) < 0.2  # a later assignee (type 30) on some
        owner_idx = np.concatenate([np.arange(n), np.flatnonzero(two)])
        owner_firm = np.concatenate([firms, rng.integers(0, n_firms, two.sum())])
        owner_type = np.concatenate([np.full(n, "10"), np.full(two.sum(), "30")])
        write("owner", pa.table({"serial_no": serial.take(pa.array(owner_idx)), "own_type_cd": pa.array(owner_type),
                                 "own_name": firm_names.take(pa.array(owner_firm))}))  # fmt: skip
        n_cls = np.minimum(8, 1 + rng.exponential(1 / 0.6, n).astype(np.int64))
        case_of = np.repeat(np.arange(n), n_cls)
        pick = rng.integers(0, len(pool), len(case_of))
        cls = np.array([pool[p][0] for p in range(len(pool))])[pick]
        texts = pa.array([t for _, t in pool]).take(pa.array(pick))
        rows = serial.take(pa.array(case_of))
        write(
            "intl_class", pa.table({"serial_no": rows, "intl_class_cd": pa.array(np.char.zfill(cls.astype(str), 3))})
        )
        code = pa.array(np.char.add(np.char.add("GS", np.char.zfill(cls.astype(str), 3)), "1"))
        write("statement", pa.table({"serial_no": rows, "statement_type_cd": code, "statement_text": texts}))
    for name, writer in writers.items():
        writer.close()
        (folder / f"{name}.csv.tmp").replace(folder / f"{name}.csv")
    (folder / "DONE").write_text(str(n_cases))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--euipo", type=int, default=2_500_000)
    parser.add_argument("--uspto", type=int, default=5_000_000)
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "marketbert-bench")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    t = time.perf_counter()
    print(write_euipo(args.euipo, args.cache_dir / f"euipo-{args.euipo}", args.workers))
    print(write_uspto_csv(args.uspto, args.cache_dir / f"uspto-csv-{args.uspto}"))
    print(f"# {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
