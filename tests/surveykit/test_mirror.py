"""mirror_of: the staff mirror of a customer SERVQUAL survey, and every refusal at its line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from surveykit import QuestionnaireError, load_questionnaire

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"

CUSTOMER = """\
survey: cust
version: 1
title: {zh: 客户, en: Customers}
languages: [zh, en]
scales:
  a5: {points: 5}
  a7: {points: 7}
dimensions:
  rel: {zh: 可靠性, en: Reliability}
pages:
  - type: servqual
    id: sq
    scale: a5
    items:
      - {id: rel1, dimension: rel, expectation: {zh: 期望一, en: E one}, perception: {zh: 感知一, en: P one}}
      - {id: rel2, dimension: rel, expectation: {zh: 期望二, en: E two}, perception: {zh: 感知二, en: P two}}
"""

MIRROR_HEAD = """\
survey: staff
version: 1
title: {zh: 员工, en: Staff}
languages: [zh, en]
scales:
  a5: {points: 5}
  a7: {points: 7}
"""  # 7 lines


def write_pair(tmp_path: Path, mirror_body: str, customer: str = CUSTOMER) -> Path:
    (tmp_path / "cust.yaml").write_text(customer, encoding="utf-8")
    path = tmp_path / "staff.yaml"
    path.write_text(MIRROR_HEAD + textwrap.dedent(mirror_body), encoding="utf-8")
    return path


GOOD = """\
mirror_of: {survey: cust, file: cust.yaml, block: sq}
pages:
  - id: p1
    questions:
      - id: m
        type: matrix
        scale: a5
        text: {zh: 客户期望, en: Customers expect}
        rows:
          - {id: m_rel1, mirrors: rel1, text: {zh: 一, en: One}}
      - {id: m_rel2, type: likert, scale: a5, mirrors: rel2, text: {zh: 二, en: Two}}
"""


def problems(path: Path) -> list[tuple[int, str]]:
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(path)
    return [(p.line, str(p)) for p in info.value.problems]


def test_mirror_loads_with_its_pairs(tmp_path):
    q = load_questionnaire(write_pair(tmp_path, GOOD))
    assert q.mirror_of is not None
    assert q.mirror_of.survey == "cust" and q.mirror_of.block == "sq"
    assert q.mirror_of.items == (("m_rel1", "rel1"), ("m_rel2", "rel2"))
    assert q.question("m_rel2").mirrors == "rel2"
    assert q.question("m").rows[0].mirrors == "rel1"


def test_block_defaults_to_the_only_servqual_block(tmp_path):
    q = load_questionnaire(write_pair(tmp_path, GOOD.replace(", block: sq", "")))
    assert q.mirror_of is not None and q.mirror_of.block == "sq"


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "mirrors: rel2",
            "mirrors: rel3",
            18,
            "item 'rel3' is not in servqual block 'sq' of 'cust.yaml'; did you mean 'rel2'?",
        ),
        ("mirrors: rel2", "mirrors: rel1", 18, "item 'rel1' is already mirrored by 'm_rel1'"),
        ("scale: a5, mirrors", "scale: a7, mirrors", 18, "'m_rel2' has 7 points but the customers rated 'rel2' on 5"),
        ("file: cust.yaml", "file: nowhere.yaml", 8, "file 'nowhere.yaml' does not exist"),
        ("block: sq", "block: kano", 8, "'cust.yaml' has no servqual block 'kano' (servqual blocks: 'sq')"),
        ("survey: cust", "survey: other", 8, "survey 'other' does not match the survey of 'cust.yaml' ('cust')"),
        ("mirrors: rel2", "mirror: rel2", 18, "unknown key 'mirror'; did you mean 'mirrors'?"),
    ],
)
def test_bad_mirror_is_reported_at_its_line(tmp_path, old, new, line, message):
    assert old in GOOD
    found = problems(write_pair(tmp_path, GOOD.replace(old, new)))
    assert any(ln == line and message in text for ln, text in found), found
    assert all(text.startswith(str(tmp_path / "staff.yaml")) for _, text in found)


def test_mirrors_without_mirror_of_is_refused(tmp_path):
    body = GOOD.replace("mirror_of: {survey: cust, file: cust.yaml, block: sq}\n", "")
    found = problems(write_pair(tmp_path, body))
    assert [ln for ln, _ in found] == [16, 17]
    assert all("mirrors: needs a top-level mirror_of:" in text for _, text in found)


def test_mirror_of_without_mirrored_items_is_refused(tmp_path):
    body = GOOD.replace(", mirrors: rel1", "").replace(", mirrors: rel2", "")
    found = problems(write_pair(tmp_path, body))
    assert found == [
        (
            8,
            f"{tmp_path / 'staff.yaml'}:8:12: mirror_of: a mirror survey needs rating items with mirrors: <customer item id>",
        )
    ]


def test_a_customer_file_that_does_not_load_is_named_with_its_problem(tmp_path):
    found = problems(write_pair(tmp_path, GOOD, CUSTOMER.replace("scale: a5\n    items", "scale: a9\n    items")))
    assert len(found) == 1 and found[0][0] == 8
    assert "'cust.yaml' does not load: 13:12: scale 'a9' is not defined" in found[0][1]


def test_a_mirror_cannot_mirror_a_mirror_even_itself(tmp_path):
    path = write_pair(
        tmp_path, GOOD.replace("file: cust.yaml", "file: staff.yaml").replace("survey: cust", "survey: staff")
    )
    found = problems(path)
    assert any(ln == 8 and "'staff.yaml' is itself a mirror survey" in text for ln, text in found), found


def test_from_text_the_file_is_not_resolved_but_the_pairs_are_kept():
    text = MIRROR_HEAD + GOOD  # no folder to resolve cust.yaml in: the analysis checks the items instead
    q = load_questionnaire(text)
    assert q.mirror_of is not None and q.mirror_of.items == (("m_rel1", "rel1"), ("m_rel2", "rel2"))


def test_shipped_staff_mirror_covers_every_servqual_item():
    mirror = load_questionnaire(ROOT / "servqual_staff_mirror.yaml")
    customer = load_questionnaire(ROOT / "servqual.yaml")
    assert mirror.mirror_of is not None
    (block,) = customer.blocks("servqual")
    assert sorted(item for _, item in mirror.mirror_of.items) == sorted(i.id for i in block.items)
    dims = {i.id: i.dimension for i in block.items}
    for variable, item in mirror.mirror_of.items:
        assert mirror.variable(variable).dimension == dims[item]
