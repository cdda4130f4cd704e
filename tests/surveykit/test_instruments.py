"""The shipped instruments in questionnaires/: they load, and they measure what they claim to.

Expected structures come from the published instruments: SERVQUAL's 22 items over five dimensions
with 4/5/4/4/5 items (Parasuraman, Berry & Zeithaml 1991, Journal of Retailing 67(4), 420-450), and
the customer-orientation self-test's seven categories with 7/5/4/7/4/7/6 items scored 1-5, whose
maxima the source states as 35/25/20/35/20/35/30.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from surveykit import Questionnaire, load_questionnaire
from surveykit.model import Text

FOLDER = Path(__file__).resolve().parents[2] / "questionnaires"
FILES = sorted(FOLDER.glob("*.yaml"))
SCHEMA_LINE = "# yaml-language-server: $schema=../surveykit.schema.json"
INSTRUMENTS = (
    "servqual",
    "kano_dealer",
    "dealer_aftersales_csi",
    "sales_csi",
    "customer_orientation_selftest",
    "lost_customer",
    "acsi_aftersales",
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _load(name: str) -> Questionnaire:
    return load_questionnaire(FOLDER / f"{name}.yaml")


def _texts(obj: Any) -> Iterator[Text]:
    """Every Text reachable from a model object: titles, questions, options, labels, codebook."""
    if isinstance(obj, Text):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _texts(item)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _texts(getattr(obj, f.name))


def test_every_instrument_is_shipped() -> None:
    assert set(INSTRUMENTS) <= {path.stem for path in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_loads_with_chinese_first(path: Path) -> None:
    q = load_questionnaire(path)
    assert q.survey == path.stem
    assert q.languages == ("zh", "en")
    assert q.answer_variables()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_first_line_is_the_schema_comment(path: Path) -> None:
    first = path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert first == SCHEMA_LINE


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="libyaml is not installed")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_libyaml_and_pure_python_yaml_read_the_same_document(path: Path) -> None:
    # libyaml accepts an unquoted "you?}" in a flow mapping that PyYAML's own parser rejects, and
    # the loader falls back to the latter where libyaml is missing: keep the files portable.
    text = path.read_text(encoding="utf-8")
    assert yaml.load(text, Loader=yaml.SafeLoader) == yaml.load(text, Loader=yaml.CSafeLoader)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_text_has_chinese_and_english(path: Path) -> None:
    q = load_questionnaire(path)
    texts = list(_texts(q))
    assert texts
    for text in texts:
        assert text.languages == ("zh", "en"), text
        zh, en = text["zh"].strip(), text["en"].strip()
        assert zh and en, text
        assert CJK.search(zh), f"no Chinese in the zh text {zh!r}"
        assert not CJK.search(en), f"Chinese in the en text {en!r}"


# -- SERVQUAL -------------------------------------------------------------------------------

SERVQUAL_DIMENSIONS = {"tangibles": 4, "reliability": 5, "responsiveness": 4, "assurance": 4, "empathy": 5}


def test_servqual_has_22_pairs_in_the_published_order() -> None:
    q = _load("servqual")
    (block,) = q.blocks("servqual")
    dims = [item.dimension for item in block.items]
    assert len(dims) == 22
    # items 1-4 tangibles, 5-9 reliability, 10-13 responsiveness, 14-17 assurance, 18-22 empathy
    assert dims == [d for d, n in SERVQUAL_DIMENSIONS.items() for _ in range(n)]
    assert Counter(dims) == SERVQUAL_DIMENSIONS
    assert [d.id for d in q.dimensions] == list(SERVQUAL_DIMENSIONS)
    assert block.scale.points == 7
    assert not any(item.reverse for item in block.items)  # the 1991 wording is all positive
    assert all(item.label is not None for item in block.items)
    columns = set(q.columns())
    for item in block.items:
        assert {f"{item.id}_e", f"{item.id}_p"} <= columns


def test_servqual_importance_is_100_points_over_the_dimensions() -> None:
    q = _load("servqual")
    weights = next(question for question in q.questions() if question.type == "constant_sum")
    assert weights.total == 100
    assert [o.code for o in weights.options] == list(SERVQUAL_DIMENSIONS)
    assert q.question("recommend").type == "nps"
    assert q.question("sat_overall").type == "likert"
    comment = q.question("comment")
    assert comment.type == "text" and not comment.required and comment.visible_if is not None
    assert "dealer" in {f.id for f in q.fields}
    assert any(
        alert.first_contact_hours == 24 and (alert.department_value or alert.department_field) for alert in q.alerts
    )


# -- Kano -----------------------------------------------------------------------------------


def test_kano_has_at_least_eight_attributes_with_importance() -> None:
    q = _load("kano_dealer")
    (block,) = q.blocks("kano")
    assert len(block.attributes) >= 8
    assert block.importance_scale is not None
    columns = set(q.columns())
    for attr in block.attributes:
        assert attr.importance is not None and attr.label is not None
        assert {f"{attr.id}_f", f"{attr.id}_d", f"{attr.id}_si"} <= columns
    ids = {attr.id for attr in block.attributes}
    assert {"courtesy_car", "online_booking", "pickup_delivery", "cost_estimate", "follow_up_call"} <= ids


# -- CSI ------------------------------------------------------------------------------------

CSI_STEPS = {
    "dealer_aftersales_csi": [
        "appointment",
        "reception",
        "diagnosis",
        "repair_order",
        "in_progress",
        "work_quality",
        "delivery",
        "follow_up",
    ],
    "sales_csi": [
        "greeting",
        "needs_analysis",
        "presentation",
        "test_drive",
        "negotiation",
        "paperwork",
        "handover",
        "follow_up",
    ],
}


@pytest.mark.parametrize("name", sorted(CSI_STEPS))
def test_csi_follows_the_process_steps(name: str) -> None:
    q = _load(name)
    (block,) = q.blocks("importance_performance")
    assert [item.id for item in block.items] == CSI_STEPS[name]
    assert all(item.label is not None and item.help is not None for item in block.items)


@pytest.mark.parametrize("name", sorted(CSI_STEPS))
def test_csi_complaint_is_asked_only_of_dissatisfied_customers(name: str) -> None:
    q = _load(name)
    sat = q.question("sat_overall")
    # five named levels, from very dissatisfied (1) to very satisfied (5)
    assert sat.scale.points == 5
    assert [sat.scale.label(p)["zh"] for p in range(1, 6)] == ["很不满意", "不满意", "满意", "比较满意", "很满意"]
    complaint = q.question("complaint")
    assert complaint.type == "text" and not complaint.required
    assert complaint.visible_if is not None
    shown = [p for p in sat.points if complaint.visible_if.evaluate({"sat_overall": p, "recommend": 10})]
    assert shown == [1, 2]
    assert not complaint.visible_if.evaluate({})  # unanswered: stays hidden


@pytest.mark.parametrize("name", sorted(CSI_STEPS))
def test_csi_loyalty_questions_and_alert(name: str) -> None:
    q = _load(name)
    bands = next(
        question
        for question in q.questions()
        if question.type == "choice" and len(question.options) == 3 and "70%" in question.options[0].text["zh"]
    )
    assert [o.code for o in bands.options] == ["high", "medium", "low"]
    assert q.question("recommend").type == "nps"
    (alert,) = [a for a in q.alerts if a.id == "unhappy"]
    assert str(alert.when) == "sat_overall <= 2 or recommend <= 6"
    assert alert.priority == "high" and alert.first_contact_hours == 24
    assert alert.when.evaluate({"sat_overall": 4, "recommend": 6})
    assert not alert.when.evaluate({"sat_overall": 4, "recommend": 7})


def test_aftersales_csi_segments_and_alert_routing() -> None:
    q = _load("dealer_aftersales_csi")
    assert {"dealer", "branch", "department", "advisor"} <= {f.id for f in q.fields}
    (alert,) = [a for a in q.alerts if a.id == "unhappy"]
    assert alert.department_field == "department"


# -- Customer-orientation self-test ---------------------------------------------------------

SELFTEST_MAXIMA = {
    "climate": 35,
    "partnering": 25,
    "problem_solving": 20,
    "customer_information": 35,
    "accessibility": 20,
    "empowerment": 35,
    "improvement": 30,
}


def test_selftest_category_maxima_match_the_source() -> None:
    q = _load("customer_orientation_selftest")
    assert q.scoring is not None
    categories = q.scoring.categories
    assert {c.id: c.maximum for c in categories} == SELFTEST_MAXIMA
    assert [len(c.items) for c in categories] == [7, 5, 4, 7, 4, 7, 6]
    assert all(c.method == "sum" for c in categories)


def test_selftest_scores_every_item_once() -> None:
    q = _load("customer_orientation_selftest")
    rated = [v.name for v in q.answer_variables() if v.type == "matrix"]
    scored = [item for c in q.scoring.categories for item in c.items]
    assert len(rated) == 40  # 7 + 5 + 4 + 7 + 4 + 7 + 6
    assert sorted(scored) == sorted(rated)
    assert all(q.variable(name).max == 5 and not q.variable(name).reverse for name in rated)


def test_selftest_bands_cover_every_percent() -> None:
    scoring = _load("customer_orientation_selftest").scoring
    mins = [band.min for band in scoring.bands]
    assert mins == sorted(mins, reverse=True) and mins[-1] == 0
    assert scoring.band(100) is scoring.bands[0]
    assert scoring.band(20) is scoring.bands[-1]  # all answers 1: 20 % of the maximum


# -- Lost customers -------------------------------------------------------------------------


def test_lost_customer_reasons_and_win_back() -> None:
    q = _load("lost_customer")
    reasons, main = q.question("reasons"), q.question("main_reason")
    assert reasons.type == "multi" and main.type == "choice"
    assert [o.code for o in main.options] == [o.code for o in reasons.options]
    codes = {o.code for o in reasons.options}
    # the seeds' reasons, including staff indifference (the customer felt nobody cared)
    assert {
        "moved",
        "habit",
        "cheaper",
        "better_offer",
        "car_unhappy",
        "repair_quality",
        "uncared",
        "advisor_left",
        "complaint_unresolved",
    } <= codes
    assert q.question("winback").type == "multi"
    assert q.question("contact_ok").type == "choice"
    assert {"dealer", "branch"} <= {f.id for f in q.fields}
    fired = {
        a.id
        for a in q.alerts
        if a.when.evaluate(
            {
                "contact_ok": "phone",
                "reasons_uncared": 1,
                "reasons_moved": 0,
                "reasons_complaint_unresolved": 0,
                "reasons_repair_quality": 0,
                "reasons_pushy_billing": 0,
                "return_if_fixed": "probably",
            }
        )
    }
    assert fired == {"service_failure"}
    assert not any(a.when.evaluate({"contact_ok": "none", "reasons_uncared": 1}) for a in q.alerts)


def test_acsi_aftersales_has_the_acsi_structure() -> None:
    """Fornell et al. (1996): expectation, quality and value drive satisfaction; satisfaction drives complaints
    and loyalty; complaints drive loyalty; every item on ten points."""
    q = _load("acsi_aftersales")
    assert q.model is not None
    assert [c.id for c in q.model.constructs] == [
        "expectation",
        "quality",
        "value",
        "satisfaction",
        "complaints",
        "loyalty",
    ]
    assert set(q.model.paths) == {
        ("expectation", "quality"),
        ("expectation", "value"),
        ("quality", "value"),
        ("expectation", "satisfaction"),
        ("quality", "satisfaction"),
        ("value", "satisfaction"),
        ("satisfaction", "complaints"),
        ("satisfaction", "loyalty"),
        ("complaints", "loyalty"),
    }
    assert q.model.target == "loyalty"
    items = [item for c in q.model.constructs for item in c.items]
    assert len(items) == len(set(items)) == 14
    assert all(q.variable(item).min == 1 and q.variable(item).max == 10 for item in items)
    assert [item for item in items if q.variable(item).reverse] == ["exp_problems"]
    assert "Fornell" in (FOLDER / "acsi_aftersales.yaml").read_text(encoding="utf-8")
