"""Where the tests find their data: the repo's own fixtures and the shared real registry samples beside the repo."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"  # real EUIPO/USPTO samples and the Nice texts
