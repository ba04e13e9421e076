"""What a build read, kept and rejected: `BuildReport` (saved as `build_report.json`), `rejects.jsonl`, the card stats.

Every record read is either kept or rejected with one of `REJECT_REASONS` (a record is rejected once per reason). A
kept record that names no owner is a filing without a firm: in `filings` (null firm), counted in
`filings_without_firm`, in no sequence and in no firm count.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from dataset_builder.db import lit
from dataset_builder.normalize import MIN_DATE

REJECT_REASONS = {
    "malformed_xml": "the XML is not well-formed (a truncated file loses the rest of the file)",
    "unsafe_xml": "the XML declares entities or nests too deep; refused",
    "unsafe_archive_member": "zip member with an absolute or '..' name, or inflating without bound; refused",
    "unreadable_file": "a file that could not be read: missing, not a zip archive, truncated, or an I/O error",
    "wrong_format": "a file in another format than the source's (e.g. a JSON array as JSON Lines, missing columns)",
    "malformed_record": "a CSV row or JSON line that could not be parsed",
    "orphan_row": "a USPTO table row (class, owner, statement) whose serial number has no case file",
    "bad_encoding": "text that is not valid UTF-8",
    "missing_application_number": "no application / serial number",
    "missing_date": "no filing date",
    "invalid_date": "a filing date that cannot be parsed or does not exist (e.g. 2021-02-30)",
    "date_out_of_range": f"a filing date before {MIN_DATE} or in the future",
    "no_valid_class": "no Nice class in 1-45 (codes like 0, 46, 9a, A, 200 are not Nice classes)",
    "duplicate_filing": "same application number as an earlier record (the first is kept)",
    "firm_below_min_filings": "every owner firm has fewer filings than the minimum",
}
REPO_DIR, REJECTS_NAME, REPORT_NAME = "repo", "rejects.jsonl", "build_report.json"


@dataclass
class BuildReport:
    """What a build read, kept and rejected, and where it wrote it (also saved as `build_report.json`)."""

    out_dir: str
    source: str
    seed: int
    min_filings: int
    records_read: int = 0
    records_kept: int = 0
    records_rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    dropped_class_codes: dict[str, int] = field(default_factory=dict)  # invalid codes removed from kept filings
    firms: dict[str, int] = field(default_factory=dict)  # per split
    filings: dict[str, int] = field(default_factory=dict)  # rows of the `filings` config, per split
    filings_without_firm: int = 0  # kept filings whose record names no owner: in `filings` with a null firm
    firms_below_min_filings: int = 0
    stats: dict = field(default_factory=dict)  # for the card: sizes, classes, dates, class frequency
    inputs: list[str] = field(default_factory=list)
    synthetic: dict | None = None  # the SyntheticConfig used, for synthetic builds
    reader: str | None = None  # the reader of generated registry files (`synthetic-euipo` -> `euipo`)
    seconds: float = 0.0

    @property
    def repo_dir(self) -> Path:
        return Path(self.out_dir) / REPO_DIR

    @property
    def rejects_path(self) -> Path:
        return Path(self.out_dir) / REJECTS_NAME

    def summary(self) -> str:
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(self.rejected_by_reason.items())) or "none"
        return (
            f"read {self.records_read} = kept {self.records_kept} + rejected {self.records_rejected} ({reasons}); "
            f"firms {sum(self.firms.values())} ({', '.join(f'{s} {n}' for s, n in self.firms.items())}); "
            f"filing rows {sum(self.filings.values())} ({self.filings_without_firm} without a firm)"
        )

    def save(self) -> Path:
        path = Path(self.out_dir) / REPORT_NAME
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, out_dir: str | Path) -> BuildReport:
        path = Path(out_dir) / REPORT_NAME
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: build the dataset first (hub-release dataset build).")
        return cls(**json.loads(path.read_text()))


def fill_counts(con: duckdb.DuckDBPyConnection, report: BuildReport, term_stats: dict) -> None:
    """Fill the counts and the card's statistics from the pipeline's tables; check that read = kept + rejected."""
    report.records_read = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    report.filings_without_firm = con.execute("SELECT count(*) FROM unowned").fetchall()[0][0]
    firm_filings = con.execute("SELECT count(DISTINCT rec_id) FROM kept").fetchall()[0][0]
    report.records_kept = firm_filings + report.filings_without_firm
    report.records_rejected = con.execute("SELECT count(*) FROM rejects").fetchall()[0][0]
    report.rejected_by_reason = dict(
        con.execute("SELECT reason, count(*) FROM rejects GROUP BY 1 ORDER BY 1").fetchall()
    )
    report.dropped_class_codes = dict(
        con.execute(
            """SELECT code, count(*) FROM (SELECT unnest(bad_codes) AS code FROM parsed
               SEMI JOIN kept USING (rec_id) WHERE len(bad_codes) > 0) GROUP BY 1 ORDER BY 1"""
        ).fetchall()
    )
    report.firms_below_min_filings = con.execute(
        "SELECT count(*) FROM firms WHERE n_filings < ?", [report.min_filings]
    ).fetchall()[0][0]
    report.stats = _stats(con, term_stats)
    if report.records_read != report.records_kept + report.records_rejected:
        raise RuntimeError(
            f"Internal accounting error: read {report.records_read} != kept {report.records_kept} + rejected "
            f"{report.records_rejected}; please report this bug."
        )


def _stats(con: duckdb.DuckDBPyConnection, term_stats: dict) -> dict:
    sizes = con.execute(
        """SELECT avg(n)::DOUBLE, median(n)::DOUBLE, max(n), min(n)
           FROM (SELECT count(*) AS n FROM kept GROUP BY firm_id)"""
    ).fetchall()[0]
    per_filing = con.execute(
        "SELECT avg(len(classes))::DOUBLE, min(fdate)::VARCHAR, max(fdate)::VARCHAR FROM kept"
    ).fetchall()[0]
    classes = dict(
        con.execute(
            "SELECT c::INTEGER, count(*) FROM (SELECT unnest(classes) AS c FROM kept) GROUP BY c ORDER BY c"
        ).fetchall()
    )
    languages = con.execute(
        """SELECT coalesce(g.lang, 'unknown'), count(*) FROM (
               SELECT unnest(goods_services) AS g FROM raw
               SEMI JOIN (SELECT rec_id FROM kept UNION SELECT rec_id FROM unowned) USING (rec_id))
           WHERE length(g.text) > 0 GROUP BY 1 ORDER BY 2 DESC, 1"""
    ).fetchall()
    return {
        "filings_per_firm": {"mean": round(sizes[0] or 0, 2), "median": sizes[1], "max": sizes[2], "min": sizes[3]},
        "classes_per_filing": round(per_filing[0] or 0, 3),
        "terms_per_filing": term_stats["terms_per_filing"],
        "first_filing_date": per_filing[1],
        "last_filing_date": per_filing[2],
        "distinct_terms": term_stats["distinct_terms"],
        "class_frequency": {str(c): classes.get(c, 0) for c in range(1, 46)},
        "text_languages": dict(languages),  # kept goods/services texts per language code ("unknown": not given)
    }


def write_rejects(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Write `rejects.jsonl`: one line per rejected record (file, locator, reason, detail), in input order."""
    con.execute(
        f"""COPY (SELECT r.source_file, r.locator, j.reason,
                    CASE WHEN j.reason = 'duplicate_filing'
                         THEN 'application ' || trim(r.application_number) || ' first seen at '
                              || f.source_file || ' ' || f.locator
                         ELSE coalesce(j.detail, r.detail) END AS detail
              FROM rejects j JOIN raw r USING (rec_id) LEFT JOIN raw f ON f.rec_id = j.first_rec
              ORDER BY j.rec_id, j.reason)
            TO {lit(path)} (FORMAT JSON)"""
    )
