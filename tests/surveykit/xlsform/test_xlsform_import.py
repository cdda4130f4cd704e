"""surveykit xlsform import: the mapping, the refusals at their rows, and hostile files.

The fixtures in forms/ are built by build_forms.py (committed with it).
"""

from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from surveykit import load_questionnaire
from surveykit.cli.xlsform import xlsform_group
from surveykit.xlsform import XLSFormError, import_xlsform, workbook
from surveykit.xlsform.workbook import MAX_UNPACKED_BYTES

FORMS = Path(__file__).parent / "forms"
SATISFACTION = FORMS / "satisfaction_zh_en.xlsx"


def _write(
    path: Path, survey: list[list[str]], choices: list[list[str]] | None = None, **sheets: list[list[str]]
) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    for name, rows in (({"choices": choices} if choices else {}) | sheets).items():
        extra = book.create_sheet(name)
        for row in rows:
            extra.append(row)
    book.save(path)
    return path


def _messages(exc: pytest.ExceptionInfo[XLSFormError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


# ---- the satisfaction form ------------------------------------------------------------------


@pytest.fixture(scope="module")
def satisfaction():
    return import_xlsform(SATISFACTION)


def test_satisfaction_form_structure(satisfaction):
    q = satisfaction.questionnaire
    assert q.survey == "dealer_visit"
    assert q.version == 2024060101
    assert q.languages == ("zh", "en")  # default_language Chinese (zh) first
    assert q.title["zh"] == "经销商来店满意度"
    assert [f.id for f in q.fields] == ["dealer"]
    assert [s.id for s in q.screens()] == ["visit", "ratings", "page_1"]
    assert [(qq.id, qq.type) for qq in q.questions()] == [
        ("channel", "choice"),
        ("channel_other", "text"),
        ("sat_overall", "likert"),
        ("visits", "number"),
        ("wait_minutes", "number"),
        ("staff", "matrix"),
        ("improve", "multi"),
        ("improve_other_text", "text"),
        ("recommend", "number"),
        ("next_visit", "date"),
        ("comment", "text"),
    ]


def test_satisfaction_form_details(satisfaction):
    q = satisfaction.questionnaire
    channel = q.question("channel")
    assert [o.code for o in channel.options] == ["phone", "app", "walk_in", "other"]  # Walk-In renamed
    assert channel.options[0].text.as_dict() == {"zh": "电话", "en": "By phone"}
    sat = q.question("sat_overall")
    assert sat.scale is not None and sat.scale.points == 5
    assert [p for p, _ in sat.scale.labels] == [1, 5]  # points labelled with their number carry no label
    visits = q.question("visits")
    assert (visits.min, visits.max, visits.integer, visits.required) == (0, 50, True, True)
    assert visits.help is not None and visits.help["en"] == "Number of visits"
    wait = q.question("wait_minutes")
    # the page section (a group inside a field-list group): its relevant joins the question's, its label is help
    assert str(wait.visible_if) == "channel == 'phone'"
    assert wait.help is not None and wait.help["en"] == "Booking by phone"
    assert (wait.integer, wait.required, wait.max) == (False, False, 240)
    staff = q.question("staff")
    assert [r.id for r in staff.rows] == ["friendly", "competent"] and staff.scale is sat.scale
    improve = q.question("improve")
    assert improve.max == 2
    assert str(q.question("improve_other_text").visible_if) == "'other' in improve"
    assert str(q.question("channel_other").visible_if) == "channel == 'other'"
    assert (q.question("recommend").min, q.question("recommend").max) == (0, 10)
    assert q.question("next_visit").min == "2024-01-01"
    assert str(q.question("comment").visible_if) == "not sat_overall >= 4 and visits > 1"
    first, last = q.screens()[0], q.screens()[-1]
    assert first.intro is not None and first.intro["en"] == "Thank you for taking part in this survey."
    assert last.intro is not None and last.intro["zh"] == "最后一个问题。"


def test_satisfaction_form_warnings_name_their_rows(satisfaction):
    lines = [str(w) for w in satisfaction.warnings]
    path = str(SATISFACTION)
    assert f"{path}:choices:4: choice 'Walk-In' of list 'channel' becomes code 'walk_in'" in lines
    assert any(
        line.startswith(f"{path}:survey:20: name 'improve_other' becomes 'improve_other_text'") for line in lines
    )
    assert f"{path}:survey:26: a note with no question after it is not carried over" in lines
    assert any(line.startswith(f"{path}:survey:1: column 'constraint_message::English (en)'") for line in lines)
    assert any(line.startswith(f"{path}:survey:2: start: surveykit records this itself") for line in lines)


def test_xls_reads_as_the_xlsx(satisfaction):
    """The .xls copy (xlrd) gives the same questionnaire as the .xlsx (openpyxl)."""
    other = import_xlsform(FORMS / "satisfaction_zh_en.xls")
    assert other.yaml.splitlines()[1:] == satisfaction.yaml.splitlines()[1:]


def test_cli_import_writes_a_questionnaire_that_validates(tmp_path):
    out = tmp_path / "q.yaml"
    result = CliRunner().invoke(xlsform_group, ["import", str(SATISFACTION), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "dealer_visit, 3 pages, 15 answer variables, languages zh, en" in result.stdout
    assert f"warning: {SATISFACTION}:choices:4:" in result.stderr
    assert load_questionnaire(out).survey == "dealer_visit"


def test_cli_import_to_stdout():
    result = CliRunner().invoke(xlsform_group, ["import", str(SATISFACTION)])
    assert result.exit_code == 0
    assert result.stdout.startswith("# Imported from satisfaction_zh_en.xlsx")
    assert "survey: dealer_visit" in result.stdout


# ---- unsupported rows -------------------------------------------------------------------------

UNSUPPORTED = [
    (3, "type geopoint has no equivalent"),
    (4, "type image has no equivalent"),
    (5, "type audio has no equivalent"),
    (6, "type barcode has no equivalent"),
    (7, "type calculate has no equivalent"),
    (8, "type begin_repeat has no equivalent (a repeat 'children'; its 1 rows are left out)"),
    (12, "relevant 'count-selected(${topics}) > 1' cannot be translated: count-selected() has no equivalent"),
    (13, "choice_filter 'region = ${respondent}' has no equivalent"),
    (14, "default '30' has no equivalent"),
]


def test_unsupported_rows_are_all_listed_and_the_import_fails(tmp_path):
    path = FORMS / "unsupported.xlsx"
    out = tmp_path / "q.yaml"
    result = CliRunner().invoke(xlsform_group, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    for row, message in UNSUPPORTED:
        assert any(line.startswith(f"{path}:survey:{row}: {message}") for line in lines), (row, lines)
    assert "--skip-unsupported" in result.stderr
    assert not out.exists()
    assert "Traceback" not in result.output


def test_skip_unsupported_imports_the_rest_with_each_row_as_a_warning(tmp_path):
    path = FORMS / "unsupported.xlsx"
    out = tmp_path / "q.yaml"
    result = CliRunner().invoke(xlsform_group, ["import", str(path), "-o", str(out), "--skip-unsupported"])
    assert result.exit_code == 0, result.output
    for row, message in UNSUPPORTED:
        assert f"warning: {path}:survey:{row}: {message}" in result.stderr
    q = load_questionnaire(out)
    assert [qq.id for qq in q.questions()] == ["respondent", "topics", "many", "city", "age"]
    assert q.question("many").visible_if is None  # the untranslated condition is left out, and said so
    assert q.languages == ("en",)  # plain `label` columns in English words


# ---- what the specification refuses ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("malformed_no_name", "survey:2: a row of type text needs a name"),
        ("malformed_duplicate_column", "survey:1: duplicate column 'Label' (columns C and D)"),
        ("malformed_unknown_type", "survey:2: unknown type 'textt'"),
        ("malformed_undefined_list", "survey:2: choice list 'nolist' is not defined on the choices sheet"),
        ("malformed_unclosed_group", "survey:2: begin group 'g' is never closed"),
    ],
)
def test_spec_violations_are_refused_at_their_row(name, expected):
    path = FORMS / f"{name}.xlsx"
    with pytest.raises(XLSFormError) as exc:
        import_xlsform(path, skip_unsupported=True)  # not something --skip-unsupported lets through
    assert f"{path}:{expected}" in _messages(exc)


@pytest.mark.parametrize(
    ("survey", "choices", "expected"),
    [
        ([["type", "name", "label"], ["end group", "", ""]], None, "survey:2: end group without a begin group"),
        (
            [["type", "name", "label"], ["text", "q1", "A"], ["integer", "q1", "B"]],
            None,
            "survey:3: name 'q1' is used twice (rows 2 and 3)",
        ),
        ([["type", "name", "label"], ["text", "1st", "A"]], None, "survey:2: name '1st' is not valid"),
        ([["type", "name", "label"], ["select_one", "q1", "A"]], None, "needs the name of a choice list"),
        (
            [["type", "name", "label"], ["select_one yn", "q1", "A"]],
            [["list_name", "name", "label"], ["yn", "y", "Yes"], ["yn", "y", "Yes again"]],
            "choices:3: list 'yn' has the choice 'y' twice (rows 2 and 3)",
        ),
        ([["type", "name", "label"], ["text", "q1", ""]], None, "survey:2: question 'q1' has no label"),
        ([["name", "label"], ["q1", "A"]], None, "survey:1: the survey sheet has no 'type' column"),
        (
            [["type", "name", "label"], ["begin group", "g", "G"], ["end repeat", "", ""], ["end group", "", ""]],
            None,
            "survey:3: end repeat closes begin group 'g' (row 2)",
        ),
    ],
)
def test_more_spec_violations(tmp_path, survey, choices, expected):
    path = _write(tmp_path / "f.xlsx", survey, choices)
    with pytest.raises(XLSFormError) as exc:
        import_xlsform(path, skip_unsupported=True)
    assert any(expected in m for m in _messages(exc)), _messages(exc)


def test_no_survey_sheet(tmp_path):
    book = openpyxl.Workbook()
    assert book.active is not None
    book.active.title = "Sheet1"
    book.save(tmp_path / "f.xlsx")
    with pytest.raises(XLSFormError, match="needs a sheet named 'survey'"):
        import_xlsform(tmp_path / "f.xlsx")


# ---- what the specification allows ----------------------------------------------------------


def test_generous_spellings(tmp_path):
    """Aliases and spellings found in public forms: sheet and column case, select one, or_other, begin_group."""
    path = _write(
        tmp_path / "f.xlsx",
        [
            ["TYPE", "NAME", "Label::English", "Label::中文", "RELEVANT", "appearance"],
            ["begin_group", "g1", "Group", "组", "", "field-list"],
            ["select one yn", "likes", "Do you like it?", "喜欢吗？"],
            ["select_multiple feat or_other", "feat", "Which features?", "哪些功能？", "${likes} = 'Y'"],
            ["add integer prompt", "n", "How many?", "多少？", "selected(${feat}, 'fast') or ${likes} != ''"],
            ["end_group"],
        ],
        [
            ["list name", "name", "label::English", "label::中文"],
            ["yn", "Y", "Yes", "是"],
            ["yn", "N", "No", "否"],
            ["feat", "fast", "Fast", "快"],
        ],
    )
    result = import_xlsform(path)
    q = result.questionnaire
    assert q.languages == ("en", "zh")
    assert [qq.id for qq in q.questions()] == ["likes", "feat", "feat_other_text", "n"]
    assert str(q.question("feat").visible_if) == "likes == 'y'"  # the code renamed in the condition too
    # ${likes} != '' (answered): one of its options chosen
    assert str(q.question("n").visible_if) == "'fast' in feat or likes == 'y' or likes == 'n'"
    assert [o.code for o in q.question("feat").options] == ["fast", "other"]
    assert str(q.question("feat_other_text").visible_if) == "'other' in feat"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("label::zh-CN", ("zh",)),
        ("label::Chinese (zh-Hans)", ("zh",)),
        ("label::English (en-GB)", ("en",)),
        ("label::英文", ("en",)),
        ("label::Chinese (zh-TW)", ("zh-Hant",)),
        ("label::繁體中文", ("zh-Hant",)),
        ("label::Traditional Chinese (zh-Hant)", ("zh-Hant",)),
        ("label::日本語", ("ja",)),
        ("label::Japanese (ja-JP)", ("ja",)),
        ("label::French (fr)", ("fr",)),
        ("label::Serbian (sr-Latn)", ("sr-Latn",)),
    ],
)
def test_language_columns(tmp_path, header, expected):
    path = _write(tmp_path / "f.xlsx", [["type", "name", header], ["text", "q1", "A"]])
    assert import_xlsform(path).questionnaire.languages == expected


def test_a_column_that_names_no_language_is_unsupported(tmp_path):
    path = _write(
        tmp_path / "f.xlsx", [["type", "name", "label::English (en)", "label::Klingon"], ["text", "q1", "A", "B"]]
    )
    with pytest.raises(XLSFormError) as exc:
        import_xlsform(path)
    assert any(
        "survey:1: column 'label::Klingon': 'Klingon' names no language (write it as Name (code), e.g. Japanese (ja))"
        in m
        for m in _messages(exc)
    )
    assert import_xlsform(path, skip_unsupported=True).questionnaire.languages == ("en",)


def test_missing_translations_borrow_and_warn(tmp_path):
    path = _write(
        tmp_path / "f.xlsx",
        [
            ["type", "name", "label::English (en)", "label::Chinese (zh)"],
            ["text", "q1", "One", "一"],
            ["text", "q2", "Two", ""],
        ],
    )
    result = import_xlsform(path)
    assert result.questionnaire.question("q2").text.as_dict() == {"en": "Two", "zh": "Two"}
    assert any("survey:3: label has no 'zh' text on rows 3" in str(w) for w in result.warnings)


def test_bare_label_language_is_guessed_and_said(tmp_path):
    path = _write(tmp_path / "f.xlsx", [["type", "name", "label"], ["text", "q1", "您的意见"]])
    result = import_xlsform(path)
    assert result.questionnaire.languages == ("zh",)
    assert any("it is taken as 'zh'" in str(w) for w in result.warnings)
    assert import_xlsform(path, language="en").questionnaire.languages == ("en",)


@pytest.mark.parametrize(
    ("constraint", "kind", "expected"),
    [
        (". > 0", "integer", {"min": 1}),
        ("(. >= 1) and (. <= 7)", "integer", {"min": 1, "max": 7}),
        ("100 >= .", "decimal", {"max": 100}),
        ("regex(., '^[0-9]{11}$')", "text", {"pattern": "[0-9]{11}"}),
    ],
)
def test_simple_constraints(tmp_path, constraint, kind, expected):
    path = _write(tmp_path / "f.xlsx", [["type", "name", "label", "constraint"], [kind, "q1", "A", constraint]])
    question = import_xlsform(path).questionnaire.question("q1")
    for key, value in expected.items():
        assert getattr(question, key) == value


@pytest.mark.parametrize("constraint", [". > ${other}", ". <= today()", ". > 0 or . < -5", ". > 0.5"])
def test_other_constraints_are_unsupported(tmp_path, constraint):
    path = _write(
        tmp_path / "f.xlsx",
        [["type", "name", "label", "constraint"], ["integer", "other", "B"], ["decimal", "q1", "A", constraint]],
    )
    with pytest.raises(XLSFormError) as exc:
        import_xlsform(path)
    assert any(f"survey:3: constraint {constraint!r} cannot be translated" in m for m in _messages(exc))


def test_a_relevant_pointing_forward_is_reported(tmp_path):
    path = _write(
        tmp_path / "f.xlsx",
        [["type", "name", "label", "relevant"], ["text", "a", "A", "${b} = 'x'"], ["text", "b", "B"]],
    )
    with pytest.raises(XLSFormError) as exc:
        import_xlsform(path)
    assert any(
        "survey:2: relevant \"${b} = 'x'\" cannot be translated: ${b} is not an earlier question" in m
        for m in _messages(exc)
    )


def test_ungrouped_questions_between_groups_make_pages(tmp_path):
    path = _write(
        tmp_path / "f.xlsx",
        [
            ["type", "name", "label", "relevant", "appearance"],
            ["integer", "a", "A"],
            ["begin group", "outer", "Outer", "${a} > 1"],
            ["text", "b", "B"],
            ["begin group", "inner", "Inner", "${a} > 2"],
            ["text", "c", "C"],
            ["end group"],
            ["text", "d", "D"],
            ["end group"],
            ["text", "e", "E"],
        ],
    )
    q = import_xlsform(path).questionnaire
    assert [(s.id, [x.id for x in s.questions], str(s.visible_if or "")) for s in q.screens()] == [
        ("page_1", ["a"], ""),
        ("outer", ["b"], "a > 1"),
        ("inner", ["c"], "a > 1 and a > 2"),  # a group inside a group that is not a field-list: a page of its own
        ("outer_2", ["d"], "a > 1"),
        ("page_2", ["e"], ""),
    ]


# ---- hostile files ------------------------------------------------------------------------------


def _problem(path: Path) -> str:
    result = CliRunner().invoke(xlsform_group, ["import", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a message and exit 1, not an exception
    assert "Traceback" not in result.output
    return result.stderr


def test_a_renamed_text_file(tmp_path):
    path = tmp_path / "form.xlsx"
    path.write_text("type,name,label\ntext,q1,Hello\n", encoding="utf-8")
    assert f"{path}: is not a spreadsheet" in _problem(path)


def test_a_renamed_yaml_as_xls(tmp_path):
    path = tmp_path / "form.xls"
    shutil.copy(Path("questionnaires/recovery.yaml"), path)
    assert "is not a spreadsheet" in _problem(path)


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04garbage", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600])
def test_damaged_containers(tmp_path, data):
    path = tmp_path / "form.xlsx"
    path.write_bytes(data)
    assert "form.xlsx: " in _problem(path)


def test_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "form.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hello")
    assert "is a zip file but not an .xlsx workbook" in _problem(path)


def test_a_truncated_workbook(tmp_path):
    path = tmp_path / "form.xlsx"
    path.write_bytes(SATISFACTION.read_bytes()[:3000])
    assert "is not a readable .xlsx workbook" in _problem(path)


def test_a_truncated_xls_gives_one_message_and_no_reader_chatter(tmp_path):
    """xlrd logs its complaints ('WARNING *** file size ...') to the sys.stdout of the time it was imported,
    unless given a log, which the test runner's capture would hide: so the command runs in a process of its own."""
    path = tmp_path / "form.xls"
    path.write_bytes((FORMS / "satisfaction_zh_en.xls").read_bytes()[:3000])
    command = [sys.executable, "-c", "from surveykit.cli import main; main()", "xlsform", "import", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"{path}: is not a readable .xls workbook (IndexError: array index out of range)"
    ]


def test_a_zip_bomb_is_refused_before_inflating(tmp_path):
    """A sheet that unpacks past the limit is refused from the zip directory alone."""
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(SATISFACTION) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        with bomb.open("xl/media/padding.bin", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(MAX_UNPACKED_BYTES // len(chunk) + 1):
                member.write(chunk)
    assert path.stat().st_size < 1_000_000
    assert "unpacks to" in _problem(path)


def test_a_zip_whose_directory_lies_about_sizes(tmp_path):
    """A member that inflates to more than its directory entry says fails zipfile's own size check."""
    data = io.BytesIO()
    with zipfile.ZipFile(SATISFACTION) as source, zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item, source.read(item))
    raw = bytearray(data.getvalue())
    start = raw.find(b"PK\x01\x02")
    while start != -1:  # every central-directory entry claims 10 bytes unpacked
        raw[start + 24 : start + 28] = struct.pack("<I", 10)
        start = raw.find(b"PK\x01\x02", start + 4)
    path = tmp_path / "liar.xlsx"
    path.write_bytes(bytes(raw))
    assert f"{path}: is not a readable .xlsx workbook" in _problem(path)


@pytest.fixture(scope="module")
def million_empty_rows(tmp_path_factory) -> Path:
    """The satisfaction form with a million formatted empty rows after its survey rows."""
    path = tmp_path_factory.mktemp("million") / "million.xlsx"
    with zipfile.ZipFile(SATISFACTION) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, tail = data.split(b"</sheetData>")
                rows = b"".join(b'<row r="%d" ht="15" customHeight="1"/>' % r for r in range(40, 1_000_040))
                data = head + rows + b"</sheetData>" + tail
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:L1000039"', data)
            out.writestr(item, data)
    return path


def test_a_million_empty_rows_stop_after_the_empty_run(million_empty_rows, satisfaction, monkeypatch):
    """Reading stops after EMPTY_RUN empty rows (benchmarks/bench_xlsform.py measures the time)."""
    seen = []
    original = workbook._text
    monkeypatch.setattr(workbook, "_text", lambda value: seen.append(value) or original(value))
    result = import_xlsform(million_empty_rows)
    assert result.yaml.splitlines()[1:] == satisfaction.yaml.splitlines()[1:]
    assert len(seen) < 2000  # the form's cells and a run of empty rows, not a million rows


def test_a_file_that_does_not_exist(tmp_path):
    assert "cannot read the file" in _problem(tmp_path / "missing.xlsx")


def test_a_character_the_loader_refuses_is_reported_at_its_cell(tmp_path):
    path = _write(tmp_path / "f.xlsx", [["type", "name", "label"], ["text", "q1", "line\u2028break"]])
    with pytest.raises(XLSFormError) as exc:
        import_xlsform(path)
    assert [m.split(": ", 1)[0] for m in _messages(exc)] == [f"{path}:survey:2"]
    assert "column C: " in _messages(exc)[0] and "U+2028" in _messages(exc)[0]


def test_cli_import_to_a_folder_that_does_not_exist(tmp_path):
    from surveykit.cli import main

    out = tmp_path / "missing" / "q.yaml"
    result = CliRunner().invoke(main, ["xlsform", "import", str(SATISFACTION), "-o", str(out)])
    assert result.exit_code == 1
    assert f"error: cannot write {out}" in result.output


def test_a_questionnaire_past_the_loader_size_cap_says_how_to_raise_it():
    with pytest.raises(XLSFormError, match="over the loader's limit of 2,000; raise it with --max-bytes"):
        import_xlsform(SATISFACTION, max_bytes=2000)
    assert import_xlsform(SATISFACTION, max_bytes=10**6).questionnaire.survey == "dealer_visit"


KOBO_STYLE = """
| type                      | name           | label                              | relevant                          | constraint          | appearance | choice_filter          | calculation            |
| start                     | start          |                                    |                                   |                     |            |                        |                        |
| end                       | end            |                                    |                                   |                     |            |                        |                        |
| today                     | today          |                                    |                                   |                     |            |                        |                        |
| deviceid                  | deviceid       |                                    |                                   |                     |            |                        |                        |
| begin_group               | household      | Household                          |                                   |                     | field-list |                        |                        |
| text                      | hh_name        | Name of the head of household      |                                   |                     |            |                        |                        |
| select_one yes_no         | has_children   | Are there children?                |                                   |                     |            |                        |                        |
| integer                   | num_children   | How many?                          | ${has_children} = 'yes'           | . > 0 and . < 20    |            |                        |                        |
| end_group                 |                |                                    |                                   |                     |            |                        |                        |
| select_multiple fruits    | fruits         | Which fruits do you grow?          |                                   |                     |            |                        |                        |
| text                      | fruits_other   | Which other fruit?                 | selected(${fruits}, 'other')      |                     |            |                        |                        |
| calculate                 | n_fruits       |                                    |                                   |                     |            |                        | count-selected(${fruits}) |
| select_one region         | region         | Region                             |                                   |                     | minimal    |                        |                        |
| select_one district       | district       | District                           |                                   |                     | minimal    | region=${region}       |                        |
| note                      | thanks_note    | Thank you, ${hh_name}.             |                                   |                     |            |                        |                        |
| acknowledge               | done           | Done                               |                                   |                     |            |                        |                        |
"""
KOBO_CHOICES = """
| list_name | name   | label  | region |
| yes_no    | yes    | Yes    |        |
| yes_no    | no     | No     |        |
| fruits    | mango  | Mango  |        |
| fruits    | banana | Banana |        |
| fruits    | other  | Other  |        |
| region    | north  | North  |        |
| region    | south  | South  |        |
| district  | d1     | D1     | north  |
| district  | d2     | D2     | south  |
"""


def _table(markdown: str) -> list[list[str]]:
    """A markdown table (as pyxform's tests write XLSForms) as rows of cells."""
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in markdown.strip().splitlines()]


def test_a_kobo_style_form(tmp_path):
    """A form as KoboToolbox users write them: metadata, field-list groups, a cascade, calculate."""
    path = _write(tmp_path / "kobo.xlsx", _table(KOBO_STYLE), _table(KOBO_CHOICES))
    with pytest.raises(XLSFormError) as exc:
        import_xlsform(path)
    refused = {int(m.split(":")[2]): m.split(": ", 1)[1] for m in _messages(exc)}
    assert refused == {
        5: "type deviceid has no equivalent",
        4: "type today has no equivalent",
        13: "type calculate has no equivalent",
        15: "choice_filter 'region=${region}' has no equivalent",
        17: "type acknowledge has no equivalent",
    }
    result = import_xlsform(path, skip_unsupported=True, language="en")
    q = result.questionnaire
    assert [x.id for x in q.questions()] == [
        "hh_name",
        "has_children",
        "num_children",
        "fruits",
        "fruits_other_text",
        "region",
        "district",
    ]
    assert (q.question("num_children").min, q.question("num_children").max) == (1, 19)
    assert str(q.question("num_children").visible_if) == "has_children == 'yes'"
    assert str(q.question("fruits_other_text").visible_if) == "'other' in fruits"
    assert [o.code for o in q.question("district").options] == ["d1", "d2"]  # all districts: the filter is gone
    # the note after the last question has nowhere to go, and says so
    assert any("survey:16: a note with no question after it" in str(w) for w in result.warnings)


def test_a_third_language_is_imported(tmp_path):
    """A questionnaire may declare any language, so any language column imports; default_language comes first."""
    path = _write(
        tmp_path / "f.xlsx",
        [
            [
                "type",
                "name",
                "label::English (en)",
                "label::日本語",
                "label::Chinese (zh-CN)",
                "label::Chinese (zh-TW)",
            ],
            ["text", "q1", "A", "エー", "甲", "甲"],
        ],
        settings=[["form_title", "default_language"], ["Form", "Japanese (ja)"]],
    )
    result = import_xlsform(path)
    q = result.questionnaire
    assert q.languages == ("ja", "en", "zh", "zh-Hant")
    assert q.question("q1").text.as_dict() == {"ja": "エー", "en": "A", "zh": "甲", "zh-Hant": "甲"}
    assert load_questionnaire(result.yaml.encode()).languages == q.languages


def test_the_imported_questionnaire_works_downstream(satisfaction):
    """Simulated answers have the codebook's columns and follow the imported conditions."""
    from surveykit.simulate import simulate

    q = satisfaction.questionnaire
    df = simulate(q, 300, seed=3)
    assert list(df.columns) == list(q.columns())
    # wait_minutes is asked only after booking by phone; channel_other only after "other"
    assert df.loc[df["channel"] != "phone", "wait_minutes"].isna().all()
    assert df.loc[df["channel"] == "phone", "wait_minutes"].notna().any()
    assert df.loc[df["channel"] != "other", "channel_other"].isna().all()
    assert set(df["sat_overall"].dropna()) <= {1, 2, 3, 4, 5}


def test_a_form_title_without_language_is_said_to_stand_for_the_others(tmp_path):
    """form_title has no language column in XLSForm: the other languages get its words, and a warning says so
    (validate cannot tell them from a translation)."""
    path = _write(
        tmp_path / "f.xlsx",
        [["type", "name", "label::English (en)", "label::Chinese (zh)"], ["text", "q1", "One", "一"]],
        settings=[["form_title", "default_language"], ["Clinic survey", "English (en)"]],
    )
    result = import_xlsform(path)
    assert result.questionnaire.title.as_dict() == {"en": "Clinic survey", "zh": "Clinic survey"}
    assert [str(w) for w in result.warnings if "form_title" in w.message] == [
        f"{path}:settings:2: form_title 'Clinic survey' is also the title in 'zh'; "
        "a settings column surveykit_title::Chinese (zh) gives that language its own"
    ]
    titled = _write(
        tmp_path / "g.xlsx",
        [["type", "name", "label::English (en)", "label::Chinese (zh)"], ["text", "q1", "One", "一"]],
        settings=[["form_title", "surveykit_title::Chinese (zh)"], ["Clinic survey", "诊所调查"]],
    )
    again = import_xlsform(titled)
    assert again.questionnaire.title.as_dict() == {"en": "Clinic survey", "zh": "诊所调查"}
    assert not [w for w in again.warnings if "form_title" in w.message]
    # a title given for the language, even in the same words (as the export writes it), is no copy
    same = _write(
        tmp_path / "h.xlsx",
        [["type", "name", "label::English (en)", "label::Chinese (zh)"], ["text", "q1", "One", "一"]],
        settings=[["form_title", "surveykit_title::Chinese (zh)"], ["Clinic survey", "Clinic survey"]],
    )
    assert not [w for w in import_xlsform(same).warnings if "form_title" in w.message]


def test_a_column_without_language_beside_the_same_language_named_gives_way(tmp_path):
    """label beside label::en, label::fr... (pyxform's "default" language): the named columns are
    imported, the bare one is not, and a warning says so; two named columns of one language stay an error."""
    path = _write(
        tmp_path / "f.xlsx",
        [
            ["type", "name", "label", "label::en", "label::fr", "label::sw"],
            ["text", "name", "Quel est votre nom?", "What is your name?", "Quel est votre nom?", "Jina lako nani?"],
        ],
    )
    result = import_xlsform(path)
    q = result.questionnaire
    assert q.languages == ("en", "fr", "sw")
    assert q.question("name").text.as_dict() == {
        "en": "What is your name?",
        "fr": "Quel est votre nom?",
        "sw": "Jina lako nani?",
    }
    assert any(
        "survey:1: column 'label' names no language and 'label::en' is language 'en' too: 'label' is not carried over"
        in str(w)
        for w in result.warnings
    )
    twice = _write(
        tmp_path / "g.xlsx", [["type", "name", "label::en", "label::English (en-GB)"], ["text", "a", "A", "A"]]
    )
    with pytest.raises(XLSFormError) as exc:
        import_xlsform(twice)
    assert any("columns 'label::en' and 'label::English (en-GB)' are both language 'en'" in m for m in _messages(exc))


def test_parameters_that_are_not_carried_over_are_named(tmp_path):
    """ODK's seed= on a shuffled select, a range's step and settings surveykit lacks: a warning each."""
    path = _write(
        tmp_path / "f.xlsx",
        [
            ["type", "name", "label::English (en)", "parameters"],
            ["integer", "s", "Seed", ""],
            ["select_one c", "c", "Pick", "randomize=true seed=${s}"],
            ["range", "r", "Rate", "start=0 end=10 step=1"],
            ["range", "r2", "Rate", "start=1 end=5 step=0.5"],
            ["select_multiple c", "m", "Some", "randomize=true"],
            ["text", "t", "Say", "rows=5"],
        ],
        [["list_name", "name", "label::English (en)"], ["c", "a", "A"], ["c", "b", "B"]],
    )
    result = import_xlsform(path)
    assert [str(w).split(":", 1)[1] for w in result.warnings if "parameter" in w.message] == [
        "survey:3: parameter 'seed=${s}' is not carried over: each respondent's order is drawn from the "
        "response's own seed (order_seed)",
        "survey:5: parameter 'step=0.5' is not carried over: any number between start and end is accepted",
        "survey:7: parameter 'rows=5' is not carried over: surveykit has no such setting",
    ]
    q = result.questionnaire
    assert q.question("c").shuffle is not None and q.question("m").shuffle is not None
    assert (q.question("r2").min, q.question("r2").max, q.question("r2").integer) == (1, 5, False)


def test_settings_that_are_not_carried_over_are_named(tmp_path):
    """An encrypted form's public_key above all: the author must hear that submissions are no longer encrypted."""
    path = _write(
        tmp_path / "f.xlsx",
        [["type", "name", "label::English (en)"], ["text", "t", "Say"]],
        settings=[
            ["form_title", "form_id", "instance_name", "public_key", "submission_url", "allow_choice_duplicates"],
            [
                "T",
                "t_form",
                "concat(${t})",
                "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
                "https://example.org/x",
                "",
            ],
        ],
    )
    messages = [w.message for w in import_xlsform(path).warnings if w.sheet == "settings"]
    assert messages == [
        "instance_name 'concat(${t})' is not carried over: surveykit has no such setting",
        "public_key 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKC' is not carried over: "
        "ODK encrypts each submission with it; surveykit keeps answers in its own store",
        "submission_url 'https://example.org/x' is not carried over: "
        "answers go to the surveykit server that serves the form",
    ]


CLINIC = """
| type              | name        | label::English (en)         | label::Chinese (zh) | hint::English (en) | required | relevant                                                      | constraint                 | appearance | choice_filter   | default |
| start             | start       |                             |                     |                    |          |                                                               |                            |            |                 |         |
| note              | intro       | Welcome to the clinic       | 欢迎参加诊所调查    |                    |          |                                                               |                            |            |                 |         |
| begin_group       | about       | About you                   | 关于您              |                    |          |                                                               |                            | field-list |                 |         |
| integer           | age         | Your age                    | 您的年龄            | In years           | yes      |                                                               | . >= 0 and . <= 120        |            |                 |         |
| select_one region | region      | Region                      | 地区                |                    | yes      |                                                               |                            |            |                 |         |
| select_one city   | city        | City                        | 城市                |                    | yes      |                                                               |                            |            | region=${region} |        |
| end_group         | about       |                             |                     |                    |          |                                                               |                            |            |                 |         |
| begin group       | visit       | Your visit                  | 您的就诊            |                    |          | ${age} >= 16                                                  |                            |            |                 |         |
| begin group       | waiting     | Waiting                     | 等候                |                    |          |                                                               |                            | field-list |                 |         |
| select_one yn     | waited      | Did you wait?               | 您等候了吗？        |                    | yes      |                                                               |                            |            |                 | no      |
| decimal           | wait_hours  | How many hours?             | 多少小时？          |                    | yes      | ${waited} = 'yes'                                             | . >= 0.5 and . <= 24       |            |                 |         |
| end group         |             |                             |                     |                    |          |                                                               |                            |            |                 |         |
| select_multiple s | services    | Services used               | 使用的服务          |                    | yes      |                                                               |                            |            |                 |         |
| text              | lab_comment | Comment on the lab          | 对化验室的意见      |                    | no       | selected(${services}, 'lab') and not(${age} < 18)             |                            |            |                 |         |
| select_one agree  | sat         | I am satisfied              | 我很满意            |                    | yes      |                                                               |                            | likert     |                 |         |
| text              | why         | Why not?                    | 为什么？            |                    | no       | ${sat} <= 2 or (${waited} = 'yes' and ${wait_hours} > 2)     |                            |            |                 |         |
| end group         | visit       |                             |                     |                    |          |                                                               |                            |            |                 |         |
"""
CLINIC_CHOICES = """
| list_name | name  | label::English (en) | label::Chinese (zh) | region |
| region    | north | North               | 北部                |        |
| region    | south | South               | 南部                |        |
| city      | bj    | Beijing             | 北京                | north  |
| city      | gz    | Guangzhou           | 广州                | south  |
| yn        | yes   | Yes                 | 是                  |        |
| yn        | no    | No                  | 否                  |        |
| s         | lab   | Laboratory          | 化验                |        |
| s         | xray  | X-ray               | X光                 |        |
| agree     | 1     | Strongly disagree   | 非常不同意          |        |
| agree     | 2     | Disagree            | 不同意              |        |
| agree     | 3     | Neutral             | 一般                |        |
| agree     | 4     | Agree               | 同意                |        |
| agree     | 5     | Strongly agree      | 非常同意            |        |
"""


def test_an_english_first_clinic_form_end_to_end(tmp_path):
    """A form written as ODK users write one (English first, nested groups, selected()/not()/or, a cascade and a
    default): the two losses listed, then imported, valid, and served in both languages."""
    from webform.preview import create_preview_app

    path = _write(
        tmp_path / "clinic.xlsx",
        _table(CLINIC),
        _table(CLINIC_CHOICES),
        settings=[["form_title", "form_id", "default_language"], ["Clinic", "clinic", "English (en)"]],
    )
    with pytest.raises(XLSFormError) as exc:
        import_xlsform(path)
    assert [m.split(":", 2)[2] for m in _messages(exc)] == [
        "7: choice_filter 'region=${region}' has no equivalent",
        "11: default 'no' has no equivalent",
    ]
    result = import_xlsform(path, skip_unsupported=True)
    q = result.questionnaire
    assert q.languages == ("en", "zh")
    assert [(s.id, [x.id for x in s.questions]) for s in q.screens()] == [
        ("about", ["age", "region", "city"]),
        ("waiting", ["waited", "wait_hours"]),
        ("visit", ["services", "lab_comment", "sat", "why"]),
    ]
    assert q.screens()[0].intro is not None and q.screens()[0].intro["zh"] == "欢迎参加诊所调查"
    assert (q.question("age").min, q.question("age").max, q.question("age").help["en"]) == (0, 120, "In years")
    assert (q.question("wait_hours").min, q.question("wait_hours").integer) == (0.5, False)
    assert str(q.screens()[1].visible_if) == "age >= 16"  # the outer group's condition reaches its inner page
    assert str(q.question("lab_comment").visible_if) == "'lab' in services and not age < 18"
    assert str(q.question("why").visible_if) == "sat <= 2 or waited == 'yes' and wait_hours > 2"
    assert q.question("sat").type == "likert" and q.question("sat").required
    assert not q.question("why").required
    yaml_file = tmp_path / "clinic.yaml"
    yaml_file.write_text(result.yaml, encoding="utf-8")
    assert load_questionnaire(yaml_file).variables() == q.variables()
    app = create_preview_app(str(yaml_file), {"TESTING": True})
    try:
        client = app.test_client()
        chinese = client.get("/s/clinic", headers={"Accept-Language": "zh-CN,zh"}).get_data(as_text=True)
        assert "您的年龄" in chinese and "欢迎参加诊所调查" in chinese
        english = client.get("/s/clinic", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Your age" in english and "Beijing" in english
    finally:
        app.extensions["surveykit"].engine.dispose()


def test_piping_words_written_as_plain_text_are_named_not_a_loader_error(tmp_path):
    """'{answer:x}' is plain text in an XLSForm but piping here, and the format has no escape for it."""
    path = _write(
        tmp_path / "f.xlsx",
        [["type", "name", "label::English (en)"], ["text", "a", "Type {answer:zz} as shown"], ["text", "b", "B"]],
        settings=[["form_title"], ["Form {field:x}"]],
    )
    with pytest.raises(XLSFormError) as exc:
        import_xlsform(path)
    assert [m.split(":", 2)[2] for m in _messages(exc)] == [
        "2: label 'Type {answer:zz} as shown': {answer:…} and {field:…} are surveykit's piping and cannot be plain "
        "text (an XLSForm pipes an earlier answer as ${name}); with --skip-unsupported they are written with ( ) for { }"
    ]
    result = import_xlsform(path, skip_unsupported=True)
    assert result.questionnaire.question("a").text["en"] == "Type (answer:zz) as shown"
    assert result.questionnaire.title["en"] == "Form (field:x)"
