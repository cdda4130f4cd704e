"""The web form shows randomised lists in each respondent's order, the same after Back and resume, and pipes safely."""

from __future__ import annotations

import textwrap

from surveykit import storage
from surveykit.randomize import order_seed, personal_screen
from tests.support.formclient import Respondent, engine_of, frame, questionnaire

SURVEY = textwrap.dedent("""\
    survey: rform
    version: 1
    title: {zh: 随机, en: Randomised}
    languages: [zh, en]
    fields:
      dealer: {label: {zh: 经销商, en: Dealer}}
    scales:
      a5: {points: 5, labels: {1: {zh: 差, en: Bad}, 5: {zh: 好, en: Good}}}
    pages:
      - id: p1
        randomize: true
        questions:
          - {id: q1, type: likert, scale: a5, text: {zh: 一, en: One}}
          - {id: q2, type: likert, scale: a5, text: {zh: 二, en: Two}}
          - {id: q3, type: likert, scale: a5, text: {zh: 三, en: Three}}
          - {id: q4, type: likert, scale: a5, text: {zh: 四, en: Four}}
          - id: ch
            type: choice
            text: {zh: 选, en: Pick}
            randomize: true
            fixed: [other]
            options:
              a: {zh: 甲, en: A}
              b: {zh: 乙, en: B}
              c: {zh: 丙, en: C}
              d: {zh: 丁, en: D}
              other: {zh: 其他, en: Other}
          - {id: name, type: text, required: false, text: {zh: 名字, en: Your name}}
      - id: p2
        title: {zh: "{answer:name}，您好", en: "Hello {answer:name}"}
        questions:
          - id: m
            type: matrix
            scale: a5
            text: {zh: "您选了{answer:ch}", en: "You picked {answer:ch}"}
            randomize: true
            rows:
              - {id: r1, text: {zh: 行一, en: Row one}}
              - {id: r2, text: {zh: 行二, en: Row two}}
              - {id: r3, text: {zh: 行三, en: Row three}}
              - {id: r4, text: {zh: 行四, en: Row four}}
    """)
P1 = {"q_q1": "1", "q_q2": "2", "q_q3": "3", "q_q4": "4", "q_ch": "b", "q_name": "<script>alert(1)</script>"}
P2 = {"q_r1": "5", "q_r2": "4", "q_r3": "3", "q_r4": "2"}


def _order(page, prefix: str = "q_") -> list[str]:
    """The answer names in the order the page shows them."""
    return [name[len(prefix) :] for name in page.inputs if name.startswith(prefix)]


def test_order_is_per_respondent_and_stable_across_back_resume_and_submit(make_app):
    app = make_app(SURVEY)
    q = questionnaire(app, "rform")
    orders = set()
    for _ in range(8):
        respondent = Respondent(app.test_client())
        first = respondent.get("/s/rform")
        shown = _order(first)
        options = [i["value"] for i in first.inputs["q_ch"]]
        assert options[-1] == "other" and sorted(options[:-1]) == ["a", "b", "c", "d"]
        orders.add((tuple(shown), tuple(options)))
        second = respondent.post(first, P1)
        rows = _order(second)
        back = respondent.post(second, {}, action="back")
        assert _order(back) == shown and [i["value"] for i in back.inputs["q_ch"]] == options
        link = second.text.split('class="resume">', 1)[1].split('<a href="', 1)[1].split('"', 1)[0]
        other = Respondent(app.test_client())
        again = other.get(link.replace("http://localhost", ""))
        assert _order(other.post(again, P1)) == rows
        done = respondent.post(respondent.post(back, P1), P2)
        assert done.status == 200
        # the stored seed reproduces exactly what this respondent was shown
        seed = frame(app, "rform")["order_seed"].iloc[-1]
        assert [x.id for x in personal_screen(q.screens()[0], int(seed)).questions] == shown
        assert [r.id for r in personal_screen(q.screens()[1], int(seed)).questions[0].rows] == rows
    assert len(orders) > 4  # eight respondents do not all see one order


def test_the_draft_keeps_the_first_screens_key(make_app):
    app = make_app(SURVEY)
    respondent = Respondent(app.test_client())
    first = respondent.get("/s/rform")
    signed = first.hidden["k"]
    respondent.post(first, P1)
    with app.test_request_context():
        from webform.respondent_session import submission_key

        key = submission_key(signed)[0]
    draft_ids = [row[0] for row in engine_of(app).connect().exec_driver_sql("select id from drafts").all()]
    draft = storage.load_draft(engine_of(app), draft_id=draft_ids[0])
    assert draft.key == key and order_seed(draft.key) == order_seed(key)


def test_piped_hostile_answer_is_escaped_and_shown_in_the_answer_language(make_app):
    app = make_app(SURVEY)
    respondent = Respondent(app.test_client())
    second = respondent.post(respondent.get("/s/rform"), P1)
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;" in second.text
    assert "<script>alert(1)" not in second.text
    assert "You picked B" in second.text
    chinese = Respondent(app.test_client(), lang="zh-CN,zh;q=0.9")
    page = chinese.post(chinese.get("/s/rform"), P1)
    assert "您选了乙" in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;，您好" in page.text


def test_a_moved_question_keeps_its_ready_made_view(make_app):
    from webform.presenters import build_screen_view, screen_view

    app = make_app(SURVEY)
    q = questionnaire(app, "rform")
    with app.test_request_context():
        screen = q.screens()[0]
        cached = screen_view(q, screen, "en")
        view = build_screen_view(q, personal_screen(screen, 12345), "en", base=(screen, cached))
        ready = {qv.id: qv for qv in cached.questions}
        # only the choice, which has its own option order, is rendered anew
        assert [qv.id for qv in view.questions if qv is not ready[qv.id]] == ["ch"]
        assert [qv.id for qv in view.questions] == [x.id for x in personal_screen(screen, 12345).questions]
