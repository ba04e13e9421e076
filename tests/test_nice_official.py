"""The shipped official Nice texts: complete, and identical to a fresh extraction from WIPO's master files."""

from __future__ import annotations

import pytest

from nice_classification import NUM_NICE_CLASSES
from nice_classification.extract_official import extract
from nice_classification.official import _load, class_texts, indications, indications_by_class
from tests.helpers.paths import SHARED_DATA

NICE_MASTER = SHARED_DATA / "nice"


def test_every_class_has_its_heading_and_indications():
    by_class = indications_by_class()
    assert len(indications()) == 9915
    assert sorted(by_class) == sorted(class_texts()) == list(range(1, NUM_NICE_CLASSES + 1))
    assert all(by_class[c] and class_texts()[c].heading_items for c in by_class)
    assert class_texts()[9].heading.startswith("Scientific, research, navigation")
    assert {t.kind for c, t in class_texts().items() if c >= 35} == {"service"}
    labels = {i.label for i in by_class[9]}
    assert "computer software, recorded" in labels or any("software" in label for label in labels)


def test_excludes_name_the_class_they_point_to():
    assert "raw natural resins (Cl. 2)" in class_texts()[1].excludes[0]


@pytest.mark.skipif(not NICE_MASTER.is_dir(), reason="WIPO master files not beside the project")
def test_shipped_data_is_a_fresh_extraction_of_the_master_files():
    assert extract(NICE_MASTER) == _load()
