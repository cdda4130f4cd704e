"""The compiled screen check (webform.forms.screen_check) decides a post as the WTForms form does.

The submit path decides with the compiled check and builds the WTForms form only to show a
refused post again, so the two must agree on every post: per question the verdict, the answers
as parsed (what a later condition reads) and the valid answers kept.  The corpus is a good post
of every screen of the test survey and of every shipped instrument, and that post with one input
at a time replaced by a hostile value (non-ASCII digits, signs, exponents, 5,000 digits, spaces,
controls, a value twice, a file in place of an answer, blanks).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from tests.support.formclient import ALL_TYPES, KANO, P1, P2, questionnaire, write
from webform import create_app
from webform.forms import (
    AnswerField,
    ChoiceAnswer,
    ConstantSumAnswer,
    DateAnswer,
    MultiAnswer,
    NumberAnswer,
    TextAnswer,
    build_form,
    screen_check,
)

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = ["٣", "+3", "1e0", "3_0", "9" * 5000, "-0", " 3 ", "3.5", "1.0", "1234567890123456", "-1", "99999", "", " "]
TEXTS = ["\x00", "a\ufffdb", "a" * 5000, "  ", "e\u0301", "x\r\ny", "\t", "AB123", "ab", "\u202e", ""]
DATES = ["2024-02-30", "2024-2-3", "٢٠٢٤-05-31", " 2024-05-31 ", "1900-01-01", "2999-12-31", "2024-05-31T00", ""]


def _file() -> FileStorage:
    return FileStorage(io.BytesIO(b"x"), filename="x.txt", name="upload")


def _good(fld: AnswerField) -> dict[str, Any]:
    """A valid answer for one input (the first code, a number in range, an ISO date, the points split)."""
    if isinstance(fld, ChoiceAnswer):
        return {fld.name: sorted(fld.codes)[0]}
    if isinstance(fld, MultiAnswer):
        return {fld.name: list(fld.codes[: max(1, fld.low or 1)])}
    if isinstance(fld, ConstantSumAnswer):
        first, *rest = fld.codes
        return {f"{fld.name}-{first}": str(int(fld.total)), **{f"{fld.name}-{c}": "0" for c in rest}}
    if isinstance(fld, NumberAnswer):
        return {fld.name: "3"}
    if isinstance(fld, DateAnswer):
        return {fld.name: fld.low or "2024-05-31"}
    assert isinstance(fld, TextAnswer)
    return {fld.name: "AB123"}


def _hostile(fld: AnswerField) -> list[dict[str, Any]]:
    """Replacements of one input's value(s): each one a post to compare."""
    name = fld.name
    if isinstance(fld, ChoiceAnswer):
        code = sorted(fld.codes)[0]
        values: list[Any] = [
            "٣",
            "+3",
            "1e0",
            f" {code}",
            f"{code} ",
            code.upper() + "x",
            "0" + code,
            "9" * 5000,
            "",
            " ",
            "\t",
        ]
        return [{name: v} for v in values] + [{name: [code, code]}, {name: _file()}, {name: [code, ""]}]
    if isinstance(fld, MultiAnswer):
        codes = list(fld.codes)
        return [{name: v} for v in ([codes[0], codes[0]], ["nope"], [""], codes, [codes[-1], ""])] + [{name: _file()}]
    if isinstance(fld, ConstantSumAnswer):
        out: list[dict[str, Any]] = []
        for code in fld.codes:
            key = f"{name}-{code}"
            out += [{key: v} for v in ("-1", str(int(fld.total) + 1), "50.5", "٣", "", "1e1", " 7 ")]
            out += [{key: ["1", "1"]}, {key: _file()}]
        return out
    if isinstance(fld, NumberAnswer):
        return [{name: v} for v in NUMBERS] + [{name: ["3", "3"]}, {name: _file()}]
    if isinstance(fld, DateAnswer):
        return [{name: v} for v in DATES] + [{name: ["2024-05-31", "2024-05-31"]}]
    return [{name: v} for v in TEXTS] + [{name: ["a", "a"]}, {name: _file()}]


def _typed(answers: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """Answers with their types: 3 and 3.0 (or "3") are different answers here."""
    return {k: (type(v).__name__, v) for k, v in answers.items()}


def _compare(form_cls: Any, check: Any, posted: MultiDict, applying: set[str]) -> tuple[bool, bool]:
    form = form_cls(formdata=posted)
    verdict = form.validate_visible(applying)
    got = check.run(posted)
    assert got.valid(applying) == verdict
    assert _typed(got.valid_answers(applying)) == _typed(form.valid_answers(applying))
    for qid in form.by_question:
        assert _typed(got.question_answers(qid)) == _typed(form.question_answers(qid)), qid
        if qid in applying:
            refused = any(fld.errors for fld in form.answer_fields(qid))
            assert got.valid({qid}) is not refused, (qid, posted)
    return verdict, any(fld.errors for fld in form._fields.values())


def _screens(app: Any) -> list[tuple[Any, Any]]:
    return [(q, screen) for q, _version in app.extensions["surveykit"].current.values() for screen in q.screens()]


@pytest.fixture
def shipped_app(tmp_path: Path) -> Any:
    paths = [str(p) for p in sorted((ROOT / "questionnaires").glob("*.yaml"))]
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path}/c.sqlite3",
            "QUESTIONNAIRES": [*paths, write(tmp_path, "all.yaml", ALL_TYPES)],
        }
    )
    yield app
    app.extensions["surveykit"].engine.dispose()


def test_compiled_check_decides_every_post_as_the_form(shipped_app):
    outcomes = set()
    types = set()
    with shipped_app.test_request_context(method="POST"):
        for q, screen in _screens(shipped_app):
            for lang in q.languages:
                form_cls = build_form(q, screen, lang)
                check = screen_check(q, screen, lang)
                assert screen_check(q, screen, lang) is check  # compiled once per screen and language
                fields = list(form_cls(formdata=None)._fields.values())
                assert check.input_names == form_cls(formdata=None).input_names()
                good: dict[str, Any] = {}
                for fld in fields:
                    good.update(_good(fld))
                    types.add(type(fld).__name__)
                every = {question.id for question in screen.questions}
                some = {question.id for question in screen.questions[::2]}
                posts = [MultiDict(good), MultiDict(), MultiDict({name: "" for name in good})]
                posts += [MultiDict({**good, **bad}) for fld in fields for bad in _hostile(fld)]
                for posted in posts:
                    outcomes.add(_compare(form_cls, check, posted, every))
                    _compare(form_cls, check, posted, some)
    assert outcomes == {(True, False), (False, True)}  # both verdicts were compared
    assert types == {"ChoiceAnswer", "MultiAnswer", "NumberAnswer", "TextAnswer", "DateAnswer", "ConstantSumAnswer"}


def test_compiled_check_on_the_test_survey_posts(app):
    """The posts the other form tests send (a complete survey, and typed mistakes) decided alike."""
    q = questionnaire(app, "alltypes")
    posts = [
        MultiDict({**P1, **P2, **KANO}),
        MultiDict({**P1, **P2, **KANO, "q_sat": "x", "q_age": "7", "q_weights-price": "-1", "q_comment": "\x07"}),
        MultiDict({"q_sat": "", "q_age": "", "q_extras": ["wifi", "wifi"]}),
    ]
    with app.test_request_context(method="POST"):
        for screen in q.screens():
            every = {question.id for question in screen.questions}
            for posted in posts:
                _compare(build_form(q, screen, "en"), screen_check(q, screen, "en"), posted, every)
