"""Piping: earlier answers and fields in later wording, checked by the loader where they are written."""

from __future__ import annotations

import textwrap

import pytest

from surveykit import QuestionnaireError, load_questionnaire
from surveykit.piping import has_pipes, pipe_screen, pipe_text, pipes_in

SURVEY = textwrap.dedent("""\
    survey: ptest
    version: 1
    title: {zh: 测试, en: Test}
    languages: [zh, en]
    fields:
      dealer: {label: {zh: 经销商, en: Dealer}, values: {de01: {zh: 北京一店, en: Beijing One}}}
    scales:
      a5: {points: 5, labels: {1: {zh: 差, en: Bad}, 5: {zh: 好, en: Good}}}
    pages:
      - id: p1
        questions:
          - id: visit_type
            type: choice
            text: {zh: 类型, en: Type}
            options: {repair: {zh: 维修, en: Repair}, service: {zh: 保养, en: Service}}
          - id: extras
            type: multi
            text: {zh: 用了什么, en: Used}
            options: {wifi: {zh: 无线网络, en: Wi-Fi}, coffee: {zh: 咖啡, en: Coffee}}
          - {id: name, type: text, required: false, text: {zh: 名字, en: Name}}
          - {id: mood, type: likert, scale: a5, text: {zh: 心情, en: Mood}}
      - id: p2
        title: {zh: "您在{field:dealer}的{answer:visit_type}", en: "Your {answer:visit_type} at {field:dealer}"}
        questions:
          - id: sat
            type: likert
            scale: a5
            text: {zh: "{answer:name}，您用了{answer:extras}", en: "{answer:name}, you used {answer:extras}"}
            help: {zh: "心情：{answer:mood}", en: "Mood: {answer:mood}"}
    """)


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(SURVEY)


def test_answers_and_fields_become_their_labels_in_each_language(q):
    answers = {"visit_type": "repair", "extras_wifi": 1, "extras_coffee": 1, "name": "Li", "mood": 5}
    screen = q.screens()[1]
    assert has_pipes(screen) and not has_pipes(q.screens()[0])
    piped = pipe_screen(screen, q, answers, {"dealer": "de01"})
    assert piped.title.as_dict() == {"zh": "您在北京一店的维修", "en": "Your Repair at Beijing One"}
    assert piped.questions[0].text.as_dict() == {"zh": "Li，您用了无线网络、咖啡", "en": "Li, you used Wi-Fi, Coffee"}
    assert piped.questions[0].help.as_dict() == {"zh": "心情：好", "en": "Mood: Good"}
    assert [x.id for x in piped.questions] == [x.id for x in screen.questions]


def test_a_missing_answer_or_unknown_field_value_is_plain(q):
    text = q.screens()[1].title
    assert pipe_text(text, q, {}, {}).best("en") == "Your  at "
    assert pipe_text(text, q, {"visit_type": "service"}, {"dealer": "DE99"}).best("en") == "Your Service at DE99"


def test_a_hostile_answer_is_kept_as_plain_text(q):
    # the page templates escape it; here it must pass through untouched, never interpreted
    hostile = "<script>alert(1)</script>{answer:name}"
    piped = pipe_text(q.screens()[1].questions[0].text, q, {"name": hostile}, {})
    assert piped.best("en").startswith(hostile + ", you used")


def test_pipes_in_lists_every_language():
    q = load_questionnaire(SURVEY)
    assert ("field", "dealer") in pipes_in(q.screens()[1].title)


BAD = textwrap.dedent("""\
    survey: ptest
    version: 1
    title: T
    languages: [en]
    fields:
      dealer: {label: Dealer}
    pages:
      - id: p1
        questions:
          - {id: name, type: text, text: Name}
          - {id: early, type: text, text: "Same page {answer:name}"}
      - id: p2
        questions:
          - {id: sat, type: nps, text: "About {answer:nope} at {field:dealr}"}
          - {id: later, type: text, text: "{answer:after}"}
      - type: servqual
        id: sq
        scale: a5
        items:
          - id: s1
            dimension: d
            expectation: E
            perception: "You said {answer:s1_e}"
          - {id: s2, dimension: d, expectation: "No {answer:s2_p}", perception: P}
      - id: p3
        questions:
          - {id: after, type: text, text: After}
    dimensions: {d: D}
    scales:
      a5: {points: 5}
    """)


def test_each_bad_pipe_is_reported_at_its_line_and_column():
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(BAD)
    lines = BAD.splitlines()
    assert all(lines[p.line - 1][p.column - 1] == "{" for p in info.value.problems)
    assert [str(p) for p in info.value.problems] == [
        "<string>:11:50: pages[0].questions[1].text: {answer:name} pipes 'name', which is not asked on an earlier "
        "page; piping may only use answers of earlier pages",
        "<string>:14:43: pages[1].questions[0].text: {answer:nope} pipes 'nope', which is no answer",
        "<string>:14:60: pages[1].questions[0].text: {field:dealr} pipes 'dealr', which is no field "
        "(did you mean 'dealer'?)",
        "<string>:15:40: pages[1].questions[1].text: {answer:after} pipes 'after', which is not asked on an earlier "
        "page; piping may only use answers of earlier pages",
        "<string>:24:49: pages[2].items[1].expectation: {answer:s2_p} pipes 's2_p', which is not asked on an "
        "earlier page; piping may only use answers of earlier pages",
    ]


def test_a_pipe_outside_the_pages_is_refused_where_it_is_written():
    text = BAD.replace("title: T\n", 'title: T\ndescription: "Dear {field:dealer} customer"\n')
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(text)
    first = info.value.problems[0]
    assert str(first) == (
        "<string>:4:20: description: {field:dealer}: piping works in what a page shows (titles, intros, "
        "questions, help, options, rows), not in description:"
    )
    assert text.splitlines()[first.line - 1][first.column - 1] == "{"


def test_an_option_variable_pipes_its_text_or_its_points():
    q = load_questionnaire(
        SURVEY.replace(
            "  - id: p2\n",
            textwrap.indent(
                textwrap.dedent("""\
                    - id: p15
                      questions:
                        - id: share
                          type: constant_sum
                          total: 100
                          text: {zh: 分配, en: Share}
                          options: {price: {zh: 价格, en: Price}, speed: {zh: 速度, en: Speed}}
                    """),
                "  ",
            )
            + "  - id: p2\n",
        ).replace("{answer:mood}", "{answer:share_price} {answer:extras_wifi}{answer:extras_coffee}")
    )
    answers = {"share_price": 70.0, "extras_wifi": 1, "extras_coffee": 0, "mood": 5}
    help_text = pipe_text(q.question("sat").help, q, answers, {})
    assert help_text.as_dict() == {"zh": "心情：70 无线网络", "en": "Mood: 70 Wi-Fi"}
