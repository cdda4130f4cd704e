"""analysis.report.report_from_store: the one way a report is drawn from the response store."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.report import MIN_RESPONSES, TooFewResponses, data_sha256, report_from_store
from surveykit import load_questionnaire, storage
from surveykit.simulate import simulate

CSI = Path(__file__).resolve().parents[2] / "questionnaires" / "dealer_aftersales_csi.yaml"


@pytest.fixture
def store(tmp_path):
    engine = storage.make_engine(f"sqlite:///{tmp_path}/store.sqlite3")
    storage.init_db(engine)
    q = load_questionnaire(CSI)
    storage.register_version(engine, q, CSI.read_text(encoding="utf-8"))
    yield engine, q
    engine.dispose()


def test_too_few_responses_make_no_report(store, tmp_path):
    engine, q = store
    storage.save_frame(engine, q, simulate(q, MIN_RESPONSES - 1, seed=3))
    with pytest.raises(TooFewResponses, match=f"2 stored response.*at least {MIN_RESPONSES}"):
        report_from_store(engine, q, output=tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_report_from_store_writes_what_it_read(store, tmp_path):
    engine, q = store
    storage.save_frame(engine, q, simulate(q, 40, seed=3, fields={"department": ["mechanical"]}))
    target = tmp_path / "r.html"
    made = report_from_store(engine, q, lang="en", source="demo database", seed=7, output=target)
    assert made.responses == 40 and target.read_text(encoding="utf-8") == made.html
    assert (
        "demo database, survey dealer_aftersales_csi; excluded: straightlining, speeder, duplicate_answers" in made.html
    )
    assert data_sha256(storage.responses_frame(engine, q)) in made.html
    assert '<section id="recovery">' in made.html  # the rules opened cases: the recovery section
    kept = report_from_store(engine, q, lang="en", exclude=())
    assert "database, survey dealer_aftersales_csi; excluded: none" in kept.html and kept.timings.statistics_s > 0


def test_the_filters_line_is_in_the_reports_language(store):
    """A Chinese report names its source, survey and excluded flags in Chinese (it was English)."""
    engine, q = store
    storage.save_frame(engine, q, simulate(q, 40, seed=3))
    zh = report_from_store(engine, q, lang="zh", exclude=("speeder",))
    assert "数据库，问卷 dealer_aftersales_csi；剔除：speeder" in zh.html
    assert "excluded:" not in zh.html
    assert "数据库，问卷 dealer_aftersales_csi；剔除：无" in report_from_store(engine, q, lang="zh", exclude=()).html


def test_a_pdf_is_printed_from_the_written_html(store, tmp_path):
    engine, q = store
    with pytest.raises(ValueError, match="give output as well"):
        report_from_store(engine, q, pdf=tmp_path / "r.pdf")
