"""Validation of every question type on the server, and hostile values (webform/forms.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.support.formclient import KANO, P1, P2, Respondent, count, frame, no_traceback
from webform.forms import parse_number


def _page2(respondent: Respondent):
    page = respondent.get("/s/alltypes")
    return respondent.post(page, P1)


def test_every_type_renders_native_inputs_without_preselection(respondent):
    page = respondent.get("/s/alltypes")
    assert page.status == 200
    text = page.text
    for qid in ("sat", "mood", "grid", "channel", "extras", "rec"):
        assert f'<fieldset class="q" id="f-{qid}"' in text
    assert text.count("<legend>") == 8  # 6 questions + 2 matrix rows
    assert page.inputs["q_sat"][0]["type"] == "radio" and len(page.inputs["q_sat"]) == 5
    assert len(page.inputs["q_rec"]) == 11 and page.inputs["q_rec"][0]["value"] == "0"
    assert [i["value"] for i in page.inputs["q_extras"]] == ["wifi", "coffee", "tv"]
    assert page.inputs["q_extras"][0]["id"] == "i-extras-wifi" and "id" not in page.inputs["q_extras"][1]
    assert page.inputs["q_extras"][0]["type"] == "checkbox"
    assert "q_grid" not in page.inputs and len(page.inputs["q_g1"]) == 5
    assert page.checked == {}  # never pre-selected
    assert "novalidate" in text
    # every radio and checkbox is wrapped by its label (the whole row is the tap target)
    assert text.count("<label><input type=") == sum(len(v) for v in page.inputs.values())
    page2 = respondent.post(page, P1)
    assert page2.screen == "p2"
    for name in ("q_age", "q_spend", "q_comment", "q_plate", "q_visit", "q_weights-speed", "q_weights-price"):
        assert name in page2.inputs, name
    assert page2.inputs["q_visit"][0]["type"] == "date"
    assert page2.inputs["q_age"][0]["inputmode"] == "numeric"
    assert page2.inputs["q_spend"][0]["inputmode"] == "decimal"
    assert "<output for=" in page2.text and 'data-total="100"' in page2.text


def test_fully_labelled_scale_is_a_list_and_partly_labelled_a_row(respondent):
    text = respondent.get("/s/alltypes").text
    mood = text[text.index('id="f-mood"') : text.index('id="f-grid"')]
    assert '<div class="list">' in mood and 'value="1">Very dissatisfied</label>' in mood
    sat = text[text.index('id="f-sat"') : text.index('id="f-mood"')]
    assert '<div class="scale">' in sat and '<span class="vh"> Strongly disagree</span>' in sat


def test_complete_survey_stores_canonical_values(app, respondent):
    page = respondent.complete_all_types()
    assert page.status == 200 and "Thanks a lot!" in page.text
    df = frame(app, "alltypes")
    assert len(df) == 1
    row = df.iloc[0]
    assert row["sat"] == 4 and row["mood"] == 3 and row["g1"] == 5 and row["g2"] == 2
    assert row["channel"] == "app" and row["rec"] == 9
    assert (row["extras_wifi"], row["extras_coffee"], row["extras_tv"]) == (1, 0, 1)
    assert row["age"] == 42 and row["spend"] == 12.5 and row["comment"] == "fine" and row["plate"] == "AB123"
    assert row["visit"] == "2024-05-31"
    assert (row["weights_speed"], row["weights_price"]) == (70, 30)
    assert row["why_app"] == "quick"
    assert pd.isna(row["why_young"])  # age 42: the question did not apply
    assert pd.isna(row["fix"])  # sat 4: page p3 skipped
    assert (row["wifi_kano_f"], row["wifi_kano_d"]) == ("like", "must_be")
    assert row["language"] == "en" and row["duration_s"] >= 0


MISSING_P1 = [
    ("q_sat", "Please choose an answer."),
    ("q_g2", "Please choose an answer."),
    ("q_channel", "Please choose an answer."),
    ("q_extras", "Please answer this question."),
    ("q_rec", "Please choose an answer."),
]


@pytest.mark.parametrize(("name", "message"), MISSING_P1)
def test_missing_required_answer_is_422_with_summary_and_inline_message(app, respondent, name, message):
    page = respondent.get("/s/alltypes")
    answers = {k: v for k, v in P1.items() if k != name}
    got = respondent.post(page, answers)
    assert got.status == 422
    assert 'class="error-summary" role="alert"' in got.text
    assert message in got.text
    qid = name[2:]
    question = {"g2": "grid"}.get(qid, qid)
    assert f'id="e-{question}"' in got.text and 'aria-invalid="true"' in got.text
    first = {"q_extras": "i-extras-wifi", "q_g2": "i-g2-1", "q_channel": "i-channel-phone"}.get(
        name, f"i-{qid}-" + ("0" if qid == "rec" else "1")
    )
    assert f'<a href="#{first}">' in got.text
    # what was answered is kept
    kept = {k: v for k, v in answers.items() if isinstance(v, str)}
    for key, value in kept.items():
        assert got.checked.get(key) == [value], key
    assert no_traceback(got.text)
    assert count(app, "alltypes") == 0


BAD_P1 = [
    ("q_sat", "0"),
    ("q_sat", "6"),
    ("q_sat", "-1"),
    ("q_sat", "3.0"),
    ("q_sat", "+3"),
    ("q_sat", " 3"),
    ("q_sat", "٣"),
    ("q_sat", "९"),
    ("q_sat", "3_0"),
    ("q_sat", "1e0"),
    ("q_sat", "9" * 5000),
    ("q_sat", "3\x00"),
    ("q_sat", ["3", "4"]),
    ("q_rec", "11"),
    ("q_rec", "010"),
    ("q_g1", "x"),
    ("q_channel", "fax"),
    ("q_channel", ["phone", "app"]),
    ("q_channel", "APP"),
    ("q_extras", ["wifi", "wifi"]),
    ("q_extras", ["beer"]),
    ("q_extras", ["wifi", "coffee", "tv"]),
    ("q_mood", "\ufffd"),
]


@pytest.mark.parametrize(("name", "value"), BAD_P1)
def test_hostile_choice_values_are_refused(app, respondent, name, value):
    page = respondent.get("/s/alltypes")
    got = respondent.post(page, {**P1, name: value})
    assert got.status == 422, got.text[:500]
    assert 'role="alert"' in got.text and no_traceback(got.text)
    assert got.screen == "p1"
    assert count(app, "alltypes") == 0


BAD_P2 = [
    ("q_age", "17", "Number must be between 18 and 99."),
    ("q_age", "100", "Number must be between 18 and 99."),
    ("q_age", "٤٢", "Enter a whole number"),
    ("q_age", "+42", "Enter a whole number"),
    ("q_age", "4_2", "Enter a whole number"),
    ("q_age", "4e1", "Enter a whole number"),
    ("q_age", "42.0", "Enter a whole number"),
    ("q_age", "0x2A", "Enter a whole number"),
    ("q_age", "4" * 5000, "Enter a whole number"),
    ("q_age", "", "Please answer this question."),
    ("q_spend", "-1", "Number must be at least 0."),
    ("q_spend", "12,5", "Enter a number"),
    ("q_spend", "nan", "Enter a number"),
    ("q_spend", "inf", "Enter a number"),
    ("q_comment", "x" * 51, "Field cannot be longer than 50 characters."),
    ("q_comment", "bad\x00byte", "control characters"),
    ("q_comment", "bell\x07", "control characters"),
    ("q_plate", "ab123", "not in the expected format"),
    ("q_visit", "2024-02-30", "Enter a date"),
    ("q_visit", "31/05/2024", "Enter a date"),
    ("q_visit", "２０２４-05-31", "Enter a date"),
    ("q_visit", "2019-12-31", "on or after 2020-01-01"),
    ("q_visit", "2031-01-01", "on or before 2030-12-31"),
    ("q_weights-speed", "71", "must add up to 100 (they add up to 101)"),
    ("q_weights-speed", "-70", "must add up to 100"),
    ("q_weights-speed", "101", "must add up to 100"),
    ("q_weights-speed", "7O", "Enter a whole number"),
    ("q_why_app", "", "Please answer this question."),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD_P2)
def test_hostile_and_wrong_typed_values_are_refused(app, respondent, name, value, message):
    page = _page2(respondent)
    got = respondent.post(page, {**P2, name: value})
    assert got.status == 422
    assert message in got.text.replace("&#39;", "'")
    assert no_traceback(got.text)
    assert count(app, "alltypes") == 0


@pytest.mark.parametrize("raw", [b"%ED%A0%80", b"%C0%80", b"%FF", b"%00", b"\xed\xa0\x80"])
def test_undecodable_bytes_and_encoded_surrogates_are_refused(app, respondent, raw):
    page = _page2(respondent)
    body = "&".join(f"{k}={v}" for k, v in {**page.hidden, **P2, "action": "next"}.items() if k != "q_comment")
    got = respondent.client.post(
        page.action, data=body.encode() + b"&q_comment=x" + raw, content_type="application/x-www-form-urlencoded"
    )
    # Werkzeug keeps an undecodable escape as literal text, replaces it with U+FFFD (refused), or - for raw
    # non-UTF-8 bytes - drops the whole form (a 400: the CSRF token is missing)
    assert got.status_code in (303, 400, 422)
    assert no_traceback(got.get_data(as_text=True))
    draft = respondent.get(page.url)
    if got.status_code == 303:
        draft.values["q_comment"].encode("utf-8")
        assert "\ufffd" not in draft.values["q_comment"]
    assert count(app, "alltypes") == 0


def test_invalid_input_is_shown_back_escaped(respondent):
    page = _page2(respondent)
    got = respondent.post(page, {**P2, "q_age": '"><script>alert(1)</script>', "q_comment": "</textarea><b>x</b>"})
    assert got.status == 422
    assert "<script>alert(1)" not in got.text and "&lt;script&gt;" in got.text
    assert "</textarea><b>" not in got.text
    assert got.values["q_comment"] == "</textarea><b>x</b>"


def test_text_is_stored_nfc_and_verbatim(app, respondent):
    page = _page2(respondent)
    page = respondent.post(page, {**P2, "q_comment": "Cafe\u0301 =HYPERLINK(1) 👍", "q_why_app": "<script>x</script>"})
    respondent.post(page, KANO)
    row = frame(app, "alltypes").iloc[0]
    assert row["comment"] == "Caf\u00e9 =HYPERLINK(1) 👍"
    assert row["why_app"] == "<script>x</script>"


def test_optional_blank_answers_are_missing_not_zero(app, respondent):
    page = _page2(respondent)
    page = respondent.post(page, {**P2, "q_spend": "", "q_comment": "  ", "q_plate": ""})
    respondent.post(page, KANO)
    row = frame(app, "alltypes").iloc[0]
    assert pd.isna(row["spend"]) and pd.isna(row["comment"]) and pd.isna(row["plate"])


def test_constant_sum_blank_part_counts_as_zero(app, respondent):
    page = _page2(respondent)
    page = respondent.post(page, {**P2, "q_weights-speed": "100", "q_weights-price": ""})
    respondent.post(page, KANO)
    row = frame(app, "alltypes").iloc[0]
    assert (row["weights_speed"], row["weights_price"]) == (100, 0)


def test_constant_sum_running_total_rendered_on_the_server(respondent):
    page = _page2(respondent)
    got = respondent.post(page, {**P2, "q_weights-speed": "60", "q_weights-price": "30"})
    assert got.status == 422
    assert '<output for="i-weights-speed i-weights-price ">90</output>' in got.text


def test_validator_messages_follow_the_language(client):
    zh = Respondent(client, "zh-CN,zh;q=0.9,en;q=0.8")
    page = zh.post(zh.get("/s/alltypes"), P1)
    got = zh.post(page, {**P2, "q_age": "17", "q_comment": "x" * 51, "q_visit": ""})
    assert got.status == 422
    assert "数值大小必须介于 18 到 99 之间。" in got.text  # WTForms' own catalogue, through Flask-Babel
    assert "字段长度不能超过 50 个字符。" in got.text
    assert "请回答此题。" in got.text and "请修改以下问题" in got.text
    assert "Please" not in got.text


@pytest.mark.parametrize(
    ("raw", "integer", "expected"),
    [
        ("3", True, 3),
        ("-3", True, -3),
        ("007", True, 7),
        (" 12 ", True, 12),
        ("12.50", False, 12.5),
        ("12.0", False, 12),
    ],
)
def test_parse_number_accepts_plain_ascii(raw, integer, expected):
    got = parse_number(raw, integer)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("raw", ["٣", "+3", "3_0", "1e0", "3.0", "", "-", "1" * 16, "١٢", "3 4", "0x1", "\u00a03"])
def test_parse_number_refuses_everything_else(raw):
    with pytest.raises(ValueError, match=r"^integer$"):
        parse_number(raw, True)


def _state(fields) -> dict:
    """Every answer field's attributes but its form and meta (which belong to one form instance)."""
    return {name: {k: v for k, v in vars(f).items() if k not in ("_form", "meta")} for name, f in fields.items()}


def test_cached_form_class_leaks_nothing_between_respondents(app):
    """Fields are copies of a prototype bound once per cached class: each form starts as a fresh bind would."""
    from werkzeug.datastructures import MultiDict

    from tests.support.formclient import questionnaire
    from webform.forms import build_form

    q = questionnaire(app, "alltypes")
    posted = MultiDict({**P1, **P2, **KANO, "q_fix": "faster", "q_sat": "x", "q_age": "7", "q_weights-price": "-1"})
    with app.test_request_context(method="POST"):
        for screen in q.screens():
            cls = build_form(q, screen, "en")
            assert build_form(q, screen, "en") is cls  # cached
            first = cls(formdata=posted)
            for fld in first._fields.values():  # state written in place must stay with this form
                fld.errors.append("first respondent's")
                fld.process_errors.append("first respondent's")
            first.validate_visible({question.id for question in screen.questions})
            assert any(f.data is not None for f in first._fields.values())
            before = _state(first._fields)
            second = cls(formdata=None)
            meta = second.meta
            tr = meta.get_translations(second)
            fresh = {n: u.bind(None, n, "", tr, _meta=meta) for n, u in cls._unbound_fields}
            assert _state(second._fields) == _state(fresh)  # exactly what binding anew gives
            assert all(f._form is second and f.meta is meta for f in second._fields.values())
            assert not {id(f) for f in first._fields.values()} & {id(f) for f in second._fields.values()}
            assert _state(first._fields) == before  # the first respondent's answers and errors untouched
        assert build_form(q, q.screens()[0], "en")(formdata=posted).validate_visible({"sat"}) is False


def test_answer_fields_validate_as_wtforms_does(app):
    """AnswerField.validate skips WTForms' generic steps only: the errors and the verdict are WTForms' own."""
    from werkzeug.datastructures import MultiDict
    from wtforms import Field

    from tests.support.formclient import questionnaire
    from webform.forms import build_form

    q = questionnaire(app, "alltypes")
    postings = [
        MultiDict({**P1, **P2, **KANO}),  # valid
        MultiDict({**P1, **P2, **KANO, "q_sat": "x", "q_age": "7", "q_weights-price": "-1", "q_comment": "\x07"}),
        MultiDict({"q_sat": "", "q_age": "", "q_extras": ["wifi", "wifi"]}),  # blanks, a repeated tick
    ]
    verdicts = set()
    with app.test_request_context(method="POST"):
        for posted in postings:
            for screen in q.screens():
                cls = build_form(q, screen, "en")
                ours, theirs = cls(formdata=posted), cls(formdata=posted)
                for name, fld in ours._fields.items():
                    other = theirs._fields[name]
                    verdict = fld.validate(ours)
                    assert verdict == Field.validate(other, theirs), name
                    assert fld.errors == other.errors, name
                    verdicts.add((verdict, bool(fld.errors)))
    assert verdicts == {(True, False), (False, True)}  # both outcomes were compared
