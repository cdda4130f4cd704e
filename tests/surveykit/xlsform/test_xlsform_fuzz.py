"""Random XLSForms: the import ends in a questionnaire that loads or in XLSFormError, never a traceback."""

from __future__ import annotations

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveykit.xlsform import XLSFormError, import_xlsform

TYPES = [
    "text",
    "integer",
    "decimal",
    "date",
    "note",
    "hidden",
    "range",
    "calculate",
    "geopoint",
    "select_one yn",
    "select_one agree",
    "select_multiple yn",
    "select_one yn or_other",
    "select_one missing",
    "begin group",
    "end group",
    "begin_group",
    "end_group",
    "begin repeat",
    "end repeat",
    "start",
    "",
    "textt",
]
NAMES = ["a", "b", "c", "Q-1", "q.2", "a_yes", "1x", "", "language", "b_other", "g"]
RELEVANT = [
    "",
    "${a} = 'yes'",
    "${b} > 2",
    "selected(${a}, 'no')",
    "count-selected(${a}) > 1",
    "${zz} = 1",
    "${c} != ''",
    "not(${a} = 'no') and ${b} < 3",
    "${a} = ''",
    "(${b}",
]
CONSTRAINT = ["", ". >= 0 and . <= 9", ". > 1", "count-selected(.) <= 1", "string-length(.) <= 5", ". > ${a}"]
APPEARANCE = ["", "likert", "field-list", "table-list", "minimal"]
# openpyxl cannot write most control characters; test_xlsform_import checks the ones it can (a tab
# is fine, U+0085 and U+2028 are refused at their row)
TEXT = st.one_of(
    st.sampled_from(["", "Label", "标签", "1", "2", "a\u2028b", "{answer:a}", "${a} {field:b}"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=8),
)

ROW = st.tuples(
    st.sampled_from(TYPES),
    st.sampled_from(NAMES),
    TEXT,
    TEXT,
    st.sampled_from(["", "yes", "no", "${a} = 'x'"]),
    st.sampled_from(RELEVANT),
    st.sampled_from(CONSTRAINT),
    st.sampled_from(APPEARANCE),
    st.sampled_from(["", "matrix", "nps", "servqual"]),
)
CHOICE = st.tuples(
    st.sampled_from(["yn", "agree", "", "other"]), st.sampled_from(["yes", "no", "1", "2", "3", "Yes", ""]), TEXT, TEXT
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(ROW, max_size=12),
    choices=st.lists(CHOICE, max_size=8),
    header=st.sampled_from(
        [
            ("label::English (en)", "label::Chinese (zh)"),
            ("label", "Label::zh"),
            ("label", "hint"),
            ("label", "label::en"),  # pyxform's "default" language beside a named one
            ("label::日本語", "label::Chinese (zh-TW)"),  # third languages
            ("label::fr", "label::Klingon"),  # a column that names no language
            ("label::en", "label::English (en-GB)"),  # two columns of one language
        ]
    ),
    parameters=st.sampled_from(["", "randomize=true", "randomize=true seed=${a}", "start=0 end=10 step=0.5", "x"]),
)
def test_random_forms_import_or_are_refused(tmp_path_factory, rows, choices, header, parameters):
    path = tmp_path_factory.mktemp("fuzz") / "form.xlsx"
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(
        ["type", "name", *header, "required", "relevant", "constraint", "appearance", "surveykit", "parameters"]
    )
    for row in rows:
        survey.append([*row, parameters])
    sheet = book.create_sheet("choices")
    sheet.append(["list_name", "name", *header])
    for row in choices:
        sheet.append(list(row))
    book.save(path)
    for skip in (False, True):
        problems: tuple = ()
        try:
            result = import_xlsform(path, skip_unsupported=skip)
        except XLSFormError as exc:
            problems = exc.problems
        if problems:  # a refusal names its rows; a questionnaire the loader refuses would be our bug
            assert not any("does not load" in p.message for p in problems), problems
        else:
            assert tuple(result.questionnaire.questions())


SUPPORTED = [
    "text",
    "integer",
    "decimal",
    "date",
    "select_one yn",
    "select_one agree",
    "select_multiple yn",
    "select_one yn or_other",
    "range",
    "note",
    "hidden",
    "geopoint",
    "calculate",
]
TEMPLATES = [
    "${e} = 'yes'",
    "${e} > 2",
    "selected(${e}, 'no')",
    "${e} != ''",
    "not(${e} = '1')",
    "${e} = ''",
    "${e} <= 4",
    "${e} = 'x' or ${e} = 'no'",
]


@st.composite
def well_formed(draw):
    """Forms the specification accepts: unique names, labels, defined lists, balanced groups."""
    rows, names, depth = [], [], 0
    for i in range(draw(st.integers(1, 14))):
        action = draw(st.sampled_from(["question"] * 4 + ["open", "close"]))
        if action == "open":
            appearance = draw(st.sampled_from(["", "field-list", "table-list"]))
            relevant = _relevant(draw, names)
            rows.append(["begin group", f"g{i}", f"Group {i}", relevant, "", appearance])
            depth += 1
        elif action == "close" and depth:
            rows.append(["end group"])
            depth -= 1
        else:
            qtype = draw(st.sampled_from(SUPPORTED))
            constraint = draw(st.sampled_from(["", ". >= 0 and . <= 9", "count-selected(.) <= 1", ". > ${q0}"]))
            appearance = draw(st.sampled_from(["", "likert"]))
            rows.append([qtype, f"q{i}", f"Question {i}", _relevant(draw, names), constraint, appearance])
            names.append(f"q{i}")
    rows.append(["text", "last", "Last question"])
    rows += [["end group"]] * depth
    return rows


def _relevant(draw, names):
    if not names or draw(st.booleans()):
        return ""
    parts = [
        draw(st.sampled_from(TEMPLATES)).replace("${e}", "${" + draw(st.sampled_from(names)) + "}")
        for _ in range(draw(st.integers(1, 3)))
    ]
    return f" {draw(st.sampled_from(['and', 'or']))} ".join(parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=well_formed())
def test_well_formed_forms_always_import_with_skip_unsupported(tmp_path_factory, rows):
    """Whatever has no equivalent is left out with a warning; what remains always loads."""
    path = tmp_path_factory.mktemp("wellformed") / "form.xlsx"
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label", "relevant", "constraint", "appearance"])
    for row in rows:
        survey.append(row)
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for row in [["yn", "yes", "Yes"], ["yn", "no", "No"], *[["agree", str(i), f"P{i}"] for i in range(1, 6)]]:
        choices.append(row)
    book.save(path)
    result = import_xlsform(path, skip_unsupported=True)
    assert "last" in [q.id for q in result.questionnaire.questions()]
