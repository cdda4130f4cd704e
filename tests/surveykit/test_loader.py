"""The loader: the format of DESIGN.md, and every refusal with its message and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from surveykit import QuestionnaireError, load_questionnaire
from surveykit.loader import load_directory, loads
from surveykit.yamlsafe import YamlProblem, compose

HEAD = """\
survey: demo
version: 1
title: {zh: 演示, en: Demo}
languages: [zh, en]
scales:
  a5:
    points: 5
    labels:
      1: {zh: 很差, en: Poor}
      5: {zh: 很好, en: Excellent}
dimensions:
  rel: {zh: 可靠性, en: Reliability}
"""  # 12 lines


def load(body: str, head: str = HEAD):
    return load_questionnaire(head + textwrap.dedent(body))


def problems(body: str, head: str = HEAD) -> list[tuple[int, str]]:
    with pytest.raises(QuestionnaireError) as info:
        load(body, head)
    return [(p.line, str(p)) for p in info.value.problems]


ONE_PAGE = """\
pages:
  - id: p1
    questions:
      - id: q1
        type: likert
        scale: a5
        text: {zh: 满意吗, en: Satisfied?}
"""


def test_minimal_questionnaire_loads():
    q = load(ONE_PAGE)
    assert q.survey == "demo" and q.version == 1 and q.languages == ("zh", "en")
    assert q.title["zh"] == "演示"
    assert q.columns()[-1] == "q1"
    assert q.variable("q1").value_labels[0][1]["en"] == "Poor"
    assert len(q.sha256) == 64


def test_design_example_loads_with_every_variable(tmp_path):
    design = tmp_path / "d.yaml"
    design.write_text(DESIGN_EXAMPLE, encoding="utf-8")
    q = load_questionnaire(design)
    answers = [v.name for v in q.answer_variables()]
    assert answers == [
        "sat_overall",
        "channel",
        "fac_clean",
        "fac_crowded",
        "weights_reliability",
        "weights_responsiveness",
        "recommend",
        "comment",
        "rel1_e",
        "rel1_p",
        "courtesy_car_f",
        "courtesy_car_d",
        "speed_i",
        "speed_p",
    ]
    assert [s.id for s in q.screens()] == [
        "visit",
        "sq_expectation",
        "sq_perception",
        "kano",
        "ipa_importance",
        "ipa_performance",
    ]
    assert q.variable("rel1_e").role == "expectation" and q.variable("rel1_p").dimension == "reliability"
    assert q.variable("fac_crowded").reverse is True
    assert q.variable("courtesy_car_d").codes == ("like", "must_be", "neutral", "live_with", "dislike")
    assert q.variable("speed_i").role == "importance" and q.variable("speed_p").role == "performance"
    assert q.alerts[0].department_field == "dealer" and q.alerts[0].first_contact_hours == 24
    assert q.source == str(design)


def test_bom_and_aliases_are_accepted():
    text = (
        "\ufeff"
        + HEAD
        + textwrap.dedent("""\
        pages:
          - id: p1
            title: &t {zh: 第一页, en: Page one}
            questions:
              - {id: q1, type: likert, scale: a5, text: *t}
        """)
    )
    q = load_questionnaire(text.encode("utf-8").decode("utf-8"))
    assert q.question("q1").text["en"] == "Page one"


def test_one_language_survey_takes_plain_strings():
    head = "survey: mono\nversion: 2\ntitle: Mono\nlanguages: [en]\n"
    q = load_questionnaire(head + "pages:\n  - id: p\n    questions:\n      - {id: a, type: nps, text: How likely?}\n")
    assert q.question("a").text["en"] == "How likely?"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        # unknown keys with a did-you-mean
        (
            ONE_PAGE.replace("scale: a5", "scale: a5\n        dimention: rel"),
            19,
            "pages[0].questions[0].dimention: unknown key 'dimention'; did you mean 'dimension'?",
        ),
        # a missing scale, quoted with what is defined
        (ONE_PAGE.replace("scale: a5", "scale: likert9"), 18, "scale 'likert9' is not defined (defined: 'a5')"),
        # wrong types
        (
            ONE_PAGE.replace("scale: a5", "scale: a5\n        required: 'yes'"),
            19,
            "required: expected true or false, got the text 'yes'",
        ),
        (ONE_PAGE.replace("scale: a5", "scale: 5"), 18, "expected an id, got the number '5'; quote it: '5'"),
        # missing required keys
        (ONE_PAGE.replace("        text: {zh: 满意吗, en: Satisfied?}\n", ""), 16, "missing required key 'text'"),
        # text in an undeclared language / missing a declared one
        (ONE_PAGE.replace("en: Satisfied?", "en: Satisfied?, fr: Satisfait"), 19, "language 'fr' is not declared"),
        (ONE_PAGE.replace(", en: Satisfied?", ""), 19, "text is missing the declared language(s) 'en'"),
        # a NUL in text
        (
            ONE_PAGE.replace("满意吗", "x\\0y").replace("{zh: x\\0y", '{zh: "x\\0y"'),
            19,
            "control characters are not allowed",
        ),
        # ids
        (ONE_PAGE.replace("id: q1", "id: Q1"), 16, "'Q1' is not a valid id"),
        (ONE_PAGE.replace("id: q1", "id: " + "q" * 64), 16, "ids have at most 63"),
        (ONE_PAGE.replace("id: q1", "id: wave"), 16, "id 'wave' clashes with a metadata column"),
        # unknown question type with a hint
        (
            ONE_PAGE.replace("type: likert", "type: likret"),
            17,
            "unknown question type 'likret'; did you mean 'likert'?",
        ),
    ],
)
def test_refusals(body, line, message):
    found = problems(body)
    assert any(line == got_line and message in text for got_line, text in found), found


def test_every_problem_is_reported_at_once_with_file_line_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        HEAD
        + textwrap.dedent("""\
        pages:
          - id: p1
            questions:
              - {id: q1, type: likert, scale: nope, text: {zh: a, en: b}}
              - {id: q2, type: nps, text: {zh: a}, lable: x}
        """),
        encoding="utf-8",
    )
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{path}:16:")
    assert "pages[0].questions[0].scale: scale 'nope' is not defined" in lines[0]
    assert any("unknown key 'lable'; did you mean 'label'?" in line for line in lines)
    assert info.value.line == 16 and info.value.path == str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("survey: [unclosed", "YAML syntax error"),
        ("a: 1\na: 2\n", "duplicate key 'a' (first at line 1)"),
        ("pages:\n  - id: p\n    id: q\n", "duplicate key 'id' (first at line 2)"),
        ("a: !!python/object/apply:os.system [echo hi]\n", "YAML tag"),
        ("a: !!binary aGVsbG8=\n", "YAML tag"),
        ("a: !!set {x, y}\n", "YAML tag"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", "merge keys ('<<') are not allowed"),
        ("a: &x [*x]\n", "refers to a node that contains it"),
        ("a: 1\n---\nb: 2\n", "one YAML document"),
        ("[" * 50 + "]" * 50, "nesting deeper than 20 levels"),
        ("", "the file is empty"),
        ("- just\n- a list\n", "expected a mapping of keys"),
    ],
)
def test_hostile_yaml(text, message):
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(text + ("\n" if "\n" not in text else ""))
    assert message in str(info.value)


def test_alias_bomb_is_refused():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire("\n".join(lines) + "\n")
    assert "alias bomb" in str(info.value)  # by its node budget; bench_hostile.py times it


def test_deep_nesting_that_crashes_libyaml_is_refused():
    # libyaml's own composer segfaults on this; ours stops at the depth limit
    with pytest.raises(QuestionnaireError, match="nesting deeper"):
        load_questionnaire("a: " + "[" * 100_000 + "]" * 100_000 + "\n")


def test_size_cap_is_settable(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(HEAD + ONE_PAGE + "#" * 2000 + "\n", encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="the limit is 1,000"):
        load_questionnaire(path, max_bytes=1000)
    assert load_questionnaire(path, max_bytes=10_000).survey == "demo"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_file_is_read_only_up_to_the_limit():
    # /dev/zero reports size 0; reading it whole never ended
    with pytest.raises(QuestionnaireError, match="the limit is 1,000"):
        load_questionnaire(Path("/dev/zero"), max_bytes=1000)


def test_a_nul_in_the_file_name_is_a_clean_error():
    with pytest.raises(QuestionnaireError, match=r"a\\0b.yaml:1:1: cannot read the file: embedded null byte"):
        load_questionnaire("a\0b.yaml")


def test_invalid_utf8_reports_its_position():
    with pytest.raises(QuestionnaireError) as info:
        loads(b"survey: x\ntitle: \xff\xfe\n", name="f.yaml")
    assert info.value.line == 2 and "not valid UTF-8" in str(info.value)


def test_invalid_utf8_column_counts_characters_not_bytes():
    with pytest.raises(QuestionnaireError) as info:
        loads("survey: x\ntitle: 满意\n".encode() + b"\xff\n", name="f.yaml")
    assert (info.value.line, info.value.column) == (3, 1)
    with pytest.raises(QuestionnaireError) as info:
        loads("title: 满意".encode() + b"\xc3(\n", name="f.yaml")
    assert (info.value.line, info.value.column) == (1, 10)
    # after a BOM: once a UnicodeDecodeError traceback (the utf-8-sig codec counts positions after the BOM)
    with pytest.raises(QuestionnaireError) as info:
        loads(b"\xef\xbb\xbfsu\xb6vey: x\n", name="f.yaml")
    assert (info.value.line, info.value.column) == (1, 3)


LABELS = HEAD.replace("      5: {zh: 很好", "      SECOND: {zh: 很好")


@pytest.mark.parametrize(
    ("second", "reads"),
    [
        ("01", "the number 1"),
        ("0x1", "the number 1"),
        ("+1", "the number 1"),
        ("0b1", "the number 1"),
        ("1.0", "the number 1.0"),
        ("1_", "the number 1"),
    ],
)
def test_scale_labels_equal_as_numbers_are_duplicate_keys(second, reads):
    # 1: and 01: are both the integer 1: once a TypeError from sorting Text objects, now line 10
    found = problems(ONE_PAGE, LABELS.replace("SECOND", second))
    assert found == [
        (10, f"<string>:10:7: duplicate key {second!r}: YAML reads it as {reads}, the same key as '1' (line 9)")
    ]


@pytest.mark.parametrize(
    ("first", "second", "reads"),
    [
        ("yes", "true", "the YAML boolean true"),
        ("on", "Yes", "the YAML boolean true"),
        ("no", "off", "the YAML boolean false"),
        ("~", "null", "the YAML null"),
        ("NULL", "Null", "the YAML null"),
        (".nan", ".NaN", "the number .nan"),
        ("1.0e+3", "1000", "the number 1000"),
        ("010", "8", "the number 8"),
        ("2001-12-15T02:59:43.1Z", "2001-12-14t21:59:43.10-05:00", "the YAML date 2001-12-14 21:59:43.100000-05:00"),
    ],
)
def test_keys_equal_as_yaml_values_are_duplicates_at_any_depth(first, second, reads):
    # a mapping inside a list inside a mapping inside a list: the second key's own line and column
    text = f"a:\n  - b:\n      - {{x: 1, {first}: 2,\n         {second}: 3}}\n"
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(text)
    assert (info.value.line, info.value.column) == (4, 10)
    assert f"duplicate key {second!r}: YAML reads it as {reads}, the same key as {first!r} (line 3)" in str(info.value)


def test_every_duplicate_key_is_reported_in_one_run_with_what_stops_composing():
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire("a: 1\nb: {x: 1, x: {y: 2}, 1: a, 01: b}\na: 3\nc: [\n")
    assert [str(p) for p in info.value.problems] == [
        "<string>:2:11: duplicate key 'x' (first at line 2)",
        "<string>:2:28: duplicate key '01': YAML reads it as the number 1, the same key as '1' (line 2)",
        "<string>:3:1: duplicate key 'a' (first at line 1)",
        "<string>:5:1: YAML syntax error: while parsing a flow node did not find expected node content",
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [("'1'", "1"), ("true", "1"), ("'yes'", "yes"), ("null", "'null'"), ("1", "2"), ("2024-01-02", "'2024-01-02'")],
)
def test_keys_of_different_yaml_values_are_not_duplicates(first, second):
    # true and 1 are a boolean and a number: YAML 1.1 keeps them apart, and so do we
    text = f"a: {{{first}: x, {second}: y}}\n"
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(text)
    assert "duplicate key" not in str(info.value)


def test_option_codes_equal_as_booleans_are_duplicates_not_a_traceback():
    body = ONE_PAGE.replace(
        "type: likert\n        scale: a5",
        "type: choice\n        options:\n          yes: {zh: 是, en: 'Yes'}\n          true: {zh: 对, en: 'True'}",
    )
    found = problems(body)
    assert found[0][0] == 20 and "duplicate key 'true': YAML reads it as the YAML boolean true" in found[0][1]


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\x00", "control characters are not allowed (found U+0000)"),
        ("\x07", "control characters are not allowed (found U+0007)"),
        ("\x1b", "control characters are not allowed (found U+001B)"),
        ("\x7f", "control characters are not allowed (found U+007F)"),
        ("\x85", "control characters are not allowed (found U+0085)"),
        ("\x9f", "control characters are not allowed (found U+009F)"),
        ("\u2028", "the Unicode line separator U+2028 is not allowed"),
        ("\ufeff", "a byte-order mark (U+FEFF) is only allowed at the very start"),
        ("\uffff", "U+FFFF is not a character"),
    ],
)
def test_forbidden_characters_are_reported_at_their_own_line_and_column(char, shown):
    text = HEAD + ONE_PAGE.replace("满意吗", "满意" + char + "吗")
    with pytest.raises(QuestionnaireError) as info:
        loads(text.encode("utf-8"), name="f.yaml")
    assert len(info.value.problems) == 1  # nothing else is read from a file with such a character
    assert str(info.value).startswith(f"f.yaml:19:22: {shown}")  # 满 at column 20, 意 at 21


def test_every_forbidden_character_is_reported_up_to_a_cap():
    text = "survey: x\x00\r\ntitle: \x01\rx: \x02" + "\x03" * 30
    with pytest.raises(QuestionnaireError) as info:
        loads(text.encode(), name="f.yaml")
    where = [(p.line, p.column) for p in info.value.problems]
    assert where[:3] == [(1, 10), (2, 8), (3, 4)]  # CR LF and a lone CR each end a line
    assert len(where) == 11 and "23 more characters like these" in info.value.problems[-1].message


def test_compose_alone_keeps_pyyaml_errors_on_one_line():
    # loads refuses the NUL before composing; compose on its own still gives a one-line message
    with pytest.raises(YamlProblem) as info:
        compose("a: b\x00\n")
    assert "\n" not in info.value.message and "position 4" in info.value.message


def test_a_bom_is_accepted_only_at_the_start():
    with pytest.raises(QuestionnaireError) as info:
        loads(b"\xef\xbb\xbf\xef\xbb\xbfsurvey: x\n", name="f.yaml")
    assert (info.value.line, info.value.column) == (1, 1) and "byte-order mark" in str(info.value)


@pytest.mark.parametrize("escape", ["\\x85", "\\u2028", "\\uFEFF", "\\x9b", "\\e"])
def test_escaped_control_characters_are_refused_in_text(escape):
    body = ONE_PAGE.replace("{zh: 满意吗", '{zh: "满意' + escape + '吗"')
    found = problems(body)
    # at the escape itself: the quote is at column 20, 满 at 21, 意 at 22
    assert any(
        text.startswith(
            "<string>:19:23: pages[0].questions[0].text.zh: control characters are not allowed in text (found U+"
        )
        for _, text in found
    ), found


def test_an_escape_after_other_escapes_is_placed_by_walking_them():
    body = ONE_PAGE.replace("{zh: 满意吗", '{zh: "\\x41\\u0041\\U00000041\\\\\\0"')
    found = problems(body)
    assert [text for _, text in found] == [
        "<string>:19:43: pages[0].questions[0].text.zh: control characters are not allowed in text (found U+0000)"
    ]


def test_an_escape_in_a_scalar_over_two_lines_is_reported_at_its_start():
    body = ONE_PAGE.replace("{zh: 满意吗", '{zh: "满意\\\n          \\0"')
    found = problems(body)
    assert [text for _, text in found] == [
        "<string>:19:20: pages[0].questions[0].text.zh: control characters are not allowed in text (found U+0000)"
    ]


def test_a_lone_surrogate_in_a_python_string_is_reported_with_a_position():
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire("survey: x\ntitle: a\ud800b\n")
    assert (info.value.line, info.value.column) == (2, 9) and "not valid UTF-8" in str(info.value)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("no", "the YAML boolean 'no'"),
        ("1.10", "the number '1.10'"),
        ("on", "the YAML boolean 'on'"),
        ("~", "the YAML null '~'"),
    ],
)
def test_yaml11_coercions_are_refused_with_a_hint_to_quote(value, shown):
    body = ONE_PAGE.replace(
        "type: likert\n        scale: a5", f"type: choice\n        options:\n          a: {{zh: {value}, en: x}}"
    )
    found = problems(body)
    assert any(shown in text and "quote it" in text for _, text in found), found


SKIP = (
    HEAD
    + """\
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
pages:
  - id: p1
    questions:
      - {id: sat, type: likert, scale: a5, text: {zh: a, en: b}}
      - id: channel
        type: choice
        text: {zh: a, en: b}
        options: {phone: {zh: 电话, en: Phone}, app: {zh: 应用, en: App}}
      - id: extras
        type: multi
        text: {zh: a, en: b}
        options: {wifi: {zh: 无线, en: Wifi}, coffee: {zh: 咖啡, en: Coffee}}
      - id: why
        type: text
        required: false
        visible_if: COND
        text: {zh: a, en: b}
"""
)


@pytest.mark.parametrize(
    "condition",
    [
        "sat <= 2",
        "sat <= 2 or (channel == 'app' and not 'wifi' in extras)",
        "'coffee' not in extras",
        "dealer == 'x' and extras_wifi == 1",
        "not (sat > 3)",
    ],
)
def test_conditions_on_earlier_answers_and_fields_are_accepted(condition):
    q = load_questionnaire(SKIP.replace("COND", f'"{condition}"'))
    assert str(q.question("why").visible_if) == condition


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("why == 'x'", "refers to its own question 'why'"),
        ("later > 1", "refers to 'later', which comes later"),
        ("satt > 1", "refers to 'satt', which is no answer or field (did you mean 'sat'?)"),
        ("sat == 'high'", "'sat' is a number; compare it with a number, not 'high'"),
        ("channel == 1", "holds option codes; quote the code"),
        ("channel == 'email'", "'email' is not an option of 'channel'"),
        ("'tea' in extras", "'tea' is not an option of 'extras'"),
        ("'app' in channel", "'in' needs a multiple-choice question"),
        ("sat = 2", "unexpected character '=' (use == to compare)"),
        ("sat <= ", "the condition ends too early"),
        ("(sat > 2", "a '(' is not closed"),
        ("x" * 1001, "at most 1000 characters"),
    ],
)
def test_bad_conditions(condition, message):
    text = SKIP.replace("COND", f'"{condition}"') + "      - {id: later, type: nps, text: {zh: a, en: b}}\n"
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(text)
    assert message in str(info.value)
    assert info.value.line == 30  # the visible_if line


def test_condition_errors_point_at_the_name():
    text = SKIP.replace("COND", "sat > 1 and satt > 1")
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(text)
    assert (info.value.line, info.value.column) == (30, 33)


def test_page_condition_may_not_use_its_own_answers():
    text = HEAD + textwrap.dedent("""\
        pages:
          - id: p1
            questions:
              - {id: a, type: nps, text: {zh: a, en: b}}
          - id: p2
            visible_if: b > 2
            questions:
              - {id: b, type: nps, text: {zh: a, en: b}}
        """)
    with pytest.raises(QuestionnaireError, match="refers to 'b', which comes later"):
        load_questionnaire(text)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            """\
  - type: servqual
    id: sq
    scale: a5
    items:
      - {id: q1, dimension: rel, expectation: {zh: a, en: b}, perception: {zh: a, en: b}}
""",
            "id 'q1_e' clashes with a question",
        ),
        (
            """\
  - type: servqual
    id: sq
    scale: a5
    items:
      - {id: x, dimension: nodim, expectation: {zh: a, en: b}, perception: {zh: a, en: b}}
""",
            "dimension 'nodim' is not defined (defined: 'rel')",
        ),
        (
            """\
  - type: kano
    id: kn
    importance_scale: a5
    attributes:
      - {id: car, functional: {zh: a, en: b}, dysfunctional: {zh: a, en: b}}
""",
            "needs an importance: question",
        ),
        (
            """\
  - type: importance_performance
    id: ip
    items:
      - {id: speed, importance: {zh: a, en: b}, performance: {zh: a, en: b}}
""",
            "needs scale",
        ),
        (
            """\
  - type: likert
    id: x
""",
            "a question cannot stand directly under pages:",
        ),
        (
            """\
  - type: servqal
    id: x
""",
            "did you mean 'servqual'?",
        ),
    ],
)
def test_paired_block_rules(block, message):
    body = ONE_PAGE.replace("id: q1", "id: q1_e") + block
    with pytest.raises(QuestionnaireError) as info:
        load(body)
    assert message in str(info.value)


def test_paired_suffix_collision_with_later_question():
    body = """\
pages:
  - type: importance_performance
    id: ip
    scale: a5
    items:
      - {id: speed, importance: {zh: a, en: b}, performance: {zh: a, en: b}}
  - id: p
    questions:
      - {id: speed_p, type: nps, text: {zh: a, en: b}}
"""
    with pytest.raises(QuestionnaireError, match="id 'speed_p' clashes with the performance variable of 'speed'"):
        load(body)


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (
            "{id: w, type: constant_sum, text: {zh: a, en: b}, options: {x: {zh: a, en: b}}}",
            "missing required key 'total'",
        ),
        ("{id: w, type: matrix, scale: a5, text: {zh: a, en: b}, rows: []}", "a matrix needs at least one row"),
        ("{id: w, type: number, min: 5, max: 1, text: {zh: a, en: b}}", "min (5) is greater than max (1)"),
        ("{id: w, type: text, pattern: '[a-', text: {zh: a, en: b}}", "invalid regular expression"),
        # OverflowError and (past the length cap) RecursionError from re.compile were tracebacks
        ("{id: w, type: text, pattern: 'a{99999999999}', text: {zh: a, en: b}}", "a repetition count is too large"),
        (
            "{id: w, type: text, pattern: '" + "(" * 1000 + ")" * 1000 + "', text: {zh: a, en: b}}",
            "at most 200 characters",
        ),
        (
            "{id: w, type: multi, max: 3, text: {zh: a, en: b}, options: {x: {zh: a, en: b}}}",
            "max (3) is more than the 1 options",
        ),
        ("{id: w, type: choice, text: {zh: a, en: b}, options: {'1': {zh: a, en: b}, x: {zh: a, en: b}}}", None),
        ("{id: w, type: date, min: 2026-13-45, text: {zh: a, en: b}}", "expected a date written YYYY-MM-DD"),
    ],
)
def test_question_rules(question, message):
    body = f"pages:\n  - id: p\n    questions:\n      - {question}\n"
    if message is None:
        assert load(body).variable("w").codes == ("1", "x")
        return
    with pytest.raises(QuestionnaireError) as info:
        load(body)
    assert message in str(info.value)


def test_two_pages_with_one_id_are_one_clash():
    page = "  - id: p1\n    questions:\n      - {id: QID, type: nps, text: {zh: a, en: b}}\n"
    found = problems("pages:\n" + page.replace("QID", "q1") + page.replace("QID", "q2"))
    assert [text for _, text in found] == [
        "<string>:17:9: pages[1].id: id 'p1' clashes with a page or block id (line 14)"
    ]


def test_a_page_without_id_is_reported_once():
    found = problems("pages:\n  - questions:\n      - {id: q1, type: nps, text: {zh: a, en: b}}\n")
    assert [text for _, text in found] == ["<string>:14:5: pages[0]: missing required key 'id'"]


def test_an_unsupported_language_is_reported_once():
    found = problems(ONE_PAGE, HEAD.replace("[zh, en]", "[zh, klingon]"))
    assert [text for _, text in found].count(
        "<string>:4:17: languages[1]: language 'klingon' is not a language tag such as zh, en, zh-Hant or ja "
        "(lower-case language, then script, region or variant)"
    ) == 1, found


def test_scale_points_are_bounded():
    head = HEAD.replace("points: 5", "points: 12")
    with pytest.raises(QuestionnaireError, match="a scale has 2 to 11 points, got 12"):
        load(ONE_PAGE, head)


def test_scoring_maxima_and_bands():
    body = """\
scoring:
  categories:
    part:
      label: {zh: 伙伴, en: Partner}
      items: [c1, c2, c3]
    avg:
      label: {zh: 平均, en: Average}
      items: [c1, c2]
      method: mean
  bands:
    - {min: 80, label: {zh: 优秀, en: Excellent}}
    - {min: 0, label: {zh: 需改进, en: Needs work}}
pages:
  - id: p
    questions:
      - id: m
        type: matrix
        scale: a5
        text: {zh: a, en: b}
        rows:
          - {id: c1, text: {zh: a, en: b}}
          - {id: c2, text: {zh: a, en: b}}
          - {id: c3, text: {zh: a, en: b}}
"""
    q = load(body)
    part, avg = q.scoring.categories
    assert (part.maximum, part.minimum, avg.maximum) == (15, 3, 5)
    assert q.scoring.band(85).label["en"] == "Excellent" and q.scoring.band(10).label["en"] == "Needs work"
    with pytest.raises(QuestionnaireError, match="'c9' is no rating question"):
        load(body.replace("[c1, c2, c3]", "[c1, c9]"))
    with pytest.raises(QuestionnaireError, match="bands go from the highest minimum down"):
        load(body.replace("min: 80", "min: -1").replace("min: 0,", "min: 50,"))


def test_alert_rules_are_checked():
    body = SKIP.replace("COND", "sat < 3") + textwrap.dedent("""\
        alerts:
          - id: unhappy
            when: sat <= 2 or why == 'x'
            department: {field: dealer}
            priority: high
          - id: fixed
            when: channel == 'app'
            department: {value: service}
        """)
    q = load_questionnaire(body)
    assert [a.id for a in q.alerts] == ["unhappy", "fixed"]
    assert q.alerts[0].priority == "high" and q.alerts[1].department_value == "service"
    assert q.alerts[1].priority == "normal" and q.alerts[1].first_contact_hours == 24
    for bad, message in [
        ("{field: nofield}", "field 'nofield' is not defined"),
        ("{field: dealer, value: x}", "give exactly one of field: or value:"),
    ]:
        with pytest.raises(QuestionnaireError, match=message.replace("(", r"\(")):
            load_questionnaire(body.replace("{field: dealer}", bad))
    with pytest.raises(QuestionnaireError, match="'urgentest' is not allowed"):
        load_questionnaire(body.replace("priority: high", "priority: urgentest"))
    with pytest.raises(QuestionnaireError, match="refers to 'nope'"):
        load_questionnaire(body.replace("sat <= 2", "nope <= 2"))


def test_load_directory(tmp_path):
    (tmp_path / "a.yaml").write_text(HEAD + ONE_PAGE, encoding="utf-8")
    (tmp_path / "b.yaml").write_text((HEAD + ONE_PAGE).replace("survey: demo", "survey: other"), encoding="utf-8")
    assert sorted(load_directory(tmp_path)) == ["demo", "other"]


def test_model_is_frozen():
    q = load(ONE_PAGE)
    with pytest.raises(AttributeError):
        q.survey = "x"  # type: ignore[misc]


DESIGN_EXAMPLE = """\
survey: dealer_service
version: 3
title: {zh: 售后服务满意度调查, en: After-sales service survey}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
  advisor: {label: {zh: 服务顾问, en: Service advisor}}
scales:
  agree7:
    points: 7
    labels:
      1: {zh: 非常不同意, en: Strongly disagree}
      7: {zh: 非常同意, en: Strongly agree}
dimensions:
  reliability: {zh: 可靠性, en: Reliability}
  responsiveness: {zh: 响应性, en: Responsiveness}
  tangibles: {zh: 有形性, en: Tangibles}
pages:
  - id: visit
    title: {zh: 您的来店经历, en: Your visit}
    questions:
      - id: sat_overall
        type: likert
        scale: agree7
        text: {zh: 总体而言，我对这次服务感到满意。, en: "Overall, I am satisfied with this visit."}
      - id: channel
        type: choice
        text: {zh: 您是怎样预约的？, en: "How did you book this visit?"}
        options:
          phone: {zh: 电话, en: By phone}
          app: {zh: 手机应用, en: In the app}
      - id: premises
        type: matrix
        scale: agree7
        text: {zh: 请评价门店环境。, en: Please rate our premises.}
        rows:
          - {id: fac_clean, dimension: tangibles, text: {zh: 门店干净整洁。, en: The premises are clean.}}
          - {id: fac_crowded, reverse: true, text: {zh: 休息区过于拥挤。, en: The lounge is too crowded.}}
      - id: weights
        type: constant_sum
        total: 100
        text: {zh: 请把 100 分分配给以下各项。, en: Share 100 points according to importance.}
        options:
          reliability: {zh: 可靠性, en: Reliability}
          responsiveness: {zh: 响应性, en: Responsiveness}
      - id: recommend
        type: nps
        text: {zh: 您有多大可能向亲友推荐我们？, en: "How likely are you to recommend us?"}
      - id: comment
        type: text
        required: false
        visible_if: sat_overall <= 3 or (recommend < 7 and channel == 'app')
        text: {zh: 请告诉我们哪里做得不好。, en: Please tell us what went wrong.}
  - type: servqual
    id: sq
    scale: agree7
    items:
      - id: rel1
        dimension: reliability
        expectation: {zh: 优秀的经销商能一次修好问题。, en: Excellent dealers fix the problem right the first time.}
        perception: {zh: 这家经销商一次修好了问题。, en: This dealer fixed the problem right the first time.}
  - type: kano
    id: kano
    attributes:
      - id: courtesy_car
        functional: {zh: 如果维修期间提供代步车，您觉得如何？, en: "If a courtesy car is offered while your car is serviced, how do you feel?"}
        dysfunctional: {zh: 如果维修期间不提供代步车，您觉得如何？, en: "If no courtesy car is offered, how do you feel?"}
  - type: importance_performance
    id: ipa
    scale: agree7
    items:
      - id: speed
        dimension: responsiveness
        importance: {zh: 维修速度对您有多重要？, en: "How important is the speed of the repair?"}
        performance: {zh: 您如何评价本店的维修速度？, en: "How would you rate our repair speed?"}
alerts:
  - id: unhappy
    when: sat_overall <= 2 or recommend <= 6
    department: {field: dealer}
    priority: high
    first_contact_hours: 24
"""


def test_long_kano_blocks_are_split_into_screens_of_four():
    attributes = "".join(
        f"      - {{id: f{i}, functional: {{zh: a, en: b}}, dysfunctional: {{zh: a, en: b}}}}\n" for i in range(9)
    )
    q = load("pages:\n  - type: kano\n    id: kn\n    attributes:\n" + attributes)
    screens = q.screens()
    assert [s.id for s in screens] == ["kn", "kn_2", "kn_3"]
    assert [len(s.questions) for s in screens] == [8, 8, 2]
    assert {s.block for s in screens} == {"kn"}
    clash = (
        "pages:\n  - type: kano\n    id: kn\n    attributes:\n"
        + attributes
        + ONE_PAGE.replace("pages:\n  - id: p1", "  - id: kn_2")
    )
    with pytest.raises(QuestionnaireError, match="'kn_2' is also the name of a page of block 'kn'"):
        load(clash)
