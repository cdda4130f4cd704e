"""surveykit xlsform export: every shipped instrument converts with pyxform, passes ODK Validate, imports back the same.

The instruments are globbed at collection time, so an instrument added to questionnaires/ is
checked with no change here.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert

from surveykit import load_questionnaire
from surveykit.cli import main
from surveykit.cli.xlsform import xlsform_group
from surveykit.dump import dump_questionnaire
from surveykit.expressions import parse
from surveykit.model import Questionnaire
from surveykit.xlsform import export_xlsform, import_xlsform
from surveykit.xlsform.relevant import canonical

INSTRUMENTS = sorted(Path("questionnaires").glob("*.yaml"))


def _signature(q: Questionnaire) -> list[tuple]:
    """What the round trip keeps: every column's name, label in every language, value codes, condition."""
    return [
        (v.name, v.label.as_dict(), v.codes, canonical(parse(v.visible_if)) if v.visible_if else None)
        for v in q.variables()
    ]


@pytest.fixture(scope="module", params=INSTRUMENTS, ids=[p.stem for p in INSTRUMENTS])
def exported(request, tmp_path_factory):
    q = load_questionnaire(request.param)
    path = tmp_path_factory.mktemp("xlsform") / f"{q.survey}.xlsx"
    notes = export_xlsform(q, path)
    return q, path, notes


def test_instruments_exist():
    assert len(INSTRUMENTS) >= 8


def test_pyxform_converts_the_export_and_odk_validate_accepts_it(exported):
    """pyxform converts, and ODK Validate (JavaRosa, the jar pyxform ships; java is on the machine) parses
    the XForm as ODK Collect would: a form ODK tools accept."""
    q, path, _ = exported
    warnings: list[str] = []
    result = convert(str(path), warnings=warnings, validate=True)
    assert warnings == []
    xform = result.xform
    assert f'<data id="{q.survey}" version="{q.version}"' in xform
    assert '<translation lang="Chinese (zh)" default="true()">' in xform
    for question in q.questions():
        assert f"/{question.id}" in xform or question.type in ("matrix", "constant_sum") or question.rows
    for question in q.questions():
        if question.visible_if is not None and question.block is None:
            assert "relevant=" in xform
            break


def test_import_of_the_export_keeps_variables_codes_labels_and_conditions(exported):
    q, path, _ = exported
    result = import_xlsform(path)
    assert _signature(result.questionnaire) == _signature(q)
    assert result.questionnaire.languages == q.languages
    assert result.questionnaire.title == q.title
    # the description and thanks cross as the first and last notes
    assert (result.questionnaire.description, result.questionnaire.thanks) == (q.description, q.thanks)
    assert [w for w in result.warnings if any(s in w.message for s in ("becomes", "parameter", "form_title"))] == []


def test_paired_blocks_keep_their_structure(exported):
    q, path, _ = exported
    back = import_xlsform(path).questionnaire
    assert [(p.type if hasattr(p, "type") else "page", p.id) for p in back.pages] == [
        (p.type if hasattr(p, "type") else "page", p.id) for p in q.pages
    ]
    assert [(d.id, d.label) for d in back.dimensions] == [
        (d.id, d.label) for d in q.dimensions if any(v.dimension == d.id for v in q.variables())
    ]
    assert [(v.name, v.role, v.dimension, v.reverse, v.scale) for v in back.answer_variables()] == [
        (v.name, v.role, v.dimension, v.reverse, v.scale) for v in q.answer_variables()
    ]


def test_paired_block_items_are_groups_with_both_questions(tmp_path):
    q = load_questionnaire(Path("questionnaires/servqual.yaml"))
    path = tmp_path / "servqual.xlsx"
    export_xlsform(q, path)
    rows = list(openpyxl.load_workbook(path)["survey"].iter_rows(values_only=True))
    header = rows[0]
    types = [(r[header.index("type")], r[header.index("name")] or "") for r in rows[1:]]
    block = q.blocks("servqual")[0]
    first = block.items[0].id
    start = types.index(("begin_group", first))
    assert types[start : start + 4] == [
        ("begin_group", first),
        (f"select_one {block.scale.id}", f"{first}_e"),
        (f"select_one {block.scale.id}", f"{first}_p"),
        ("end_group", ""),
    ]


def test_cli_export_names_what_is_left_out(tmp_path):
    out = tmp_path / "form.xlsx"
    result = CliRunner().invoke(xlsform_group, ["export", "questionnaires/servqual.yaml", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "note: alerts has no XLSForm equivalent and is not exported" in result.stderr
    assert "description" not in result.stderr and "thanks" not in result.stderr  # both are notes now
    rows = list(openpyxl.load_workbook(out)["survey"].iter_rows(values_only=True))
    notes = [row[:2] for row in rows if row[0] == "note"]
    assert notes[0] == ("note", "survey_description") and notes[-1] == ("note", "survey_thanks")
    assert out.exists() and load_questionnaire(Path("questionnaires/servqual.yaml")).alerts


def test_cli_export_of_a_broken_questionnaire(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("survey: x\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["xlsform", "export", str(bad), "-o", str(tmp_path / "f.xlsx")])
    assert result.exit_code == 1
    assert f"{bad}:1:1" in result.output


RANDOMISED = """\
survey: rnd
version: 2
title: {zh: 随机, en: Random}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
scales:
  a5:
    points: 5
    labels:
      1: {zh: 差, en: Poor}
      5: {zh: 好, en: Good}
dimensions:
  rel: {zh: 可靠性, en: Reliability}
pages:
  - id: first
    title: {zh: 第一页, en: First}
    randomize: true
    fixed: [visit_type]
    questions:
      - id: visit_type
        type: choice
        text: {zh: 来店目的？, en: "Why did you visit?"}
        randomize: true
        fixed: [other]
        randomize_group: opts
        options:
          service: {zh: 保养, en: Service}
          repair: {zh: 维修, en: Repair}
          other: {zh: 其他, en: Other}
      - id: reasons
        type: multi
        text: {zh: 原因？, en: "Reasons?"}
        randomize: true
        randomize_group: opts
        options:
          a: {zh: 甲, en: A}
          b: {zh: 乙, en: B}
          dk: {zh: 不知道, en: "Don't know"}
        fixed: [dk]
  - id: second
    title: {zh: "关于{answer:visit_type}", en: "About your {answer:visit_type}"}
    questions:
      - id: grid
        type: matrix
        scale: a5
        randomize: true
        text: {zh: "在{field:dealer}的体验", en: "Your visit to {field:dealer}"}
        rows:
          - {id: r1, text: {zh: 行一, en: Row one}}
          - {id: r2, text: {zh: 行二, en: Row two}}
  - type: servqual
    id: sq
    scale: a5
    randomize: true
    items:
      - {id: s1, dimension: rel, expectation: {zh: 期望一, en: E1}, perception: {zh: 感知一, en: P1}}
      - {id: s2, dimension: rel, expectation: {zh: 期望二, en: E2}, perception: {zh: 感知二, en: P2}}
"""


def _shuffles(q: Questionnaire) -> list[tuple]:
    found = [(section.id, getattr(section, "shuffle", None)) for section in q.pages]
    found += [(question.id, question.shuffle) for question in q.questions()]
    return found


def test_randomisation_and_piping_survive_the_round_trip(tmp_path):
    """randomize/fixed/randomize_group ride in the surveykit column (and ODK's randomize=true on
    selects); {answer:q} and {field:f} become ${q} and ${f} in the labels and come back."""
    source = tmp_path / "rnd.yaml"
    source.write_text(RANDOMISED, encoding="utf-8")
    q = load_questionnaire(source)
    path = tmp_path / "rnd.xlsx"
    export_xlsform(q, path)
    warnings: list[str] = []
    xform = convert(str(path), warnings=warnings, validate=True).xform
    assert warnings == []
    assert "randomize(instance('visit_type')" in xform  # ODK shuffles the options of the selects itself
    assert "/data/first/visit_type" in xform and "<output value=" in xform  # the piped answer
    rows = list(openpyxl.load_workbook(path)["survey"].iter_rows(values_only=True))
    header = rows[0]
    labels = [r[header.index("label::English (en)")] for r in rows[1:]]
    assert "About your ${visit_type}" in labels and "Your visit to ${dealer}" in labels
    back = import_xlsform(path).questionnaire
    assert dump_questionnaire(back) == dump_questionnaire(q)
    assert _shuffles(back) == _shuffles(q)
    assert any(shuffle is not None and shuffle.key == "group:opts" for _, shuffle in _shuffles(back))
    assert back.screens()[1].title == q.screens()[1].title
    assert back.screens()[1].title is not None and "{answer:visit_type}" in back.screens()[1].title["en"]


def test_a_label_reference_to_the_same_page_is_not_piped(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in [
        ["type", "name", "label", "appearance"],
        ["begin group", "p1", "Page", "field-list"],
        ["text", "name", "Your name?"],
        ["text", "hello", "Hello ${name}, how are you?"],
        ["end group"],
        ["text", "later", "Thanks ${name}."],
    ]:
        sheet.append(row)
    book.save(tmp_path / "f.xlsx")
    result = import_xlsform(tmp_path / "f.xlsx")
    q = result.questionnaire
    assert q.question("hello").text["en"] == "Hello ${name}, how are you?"
    assert q.question("later").text["en"] == "Thanks {answer:name}."
    assert any("refers to ${name}, which is not asked on an earlier page" in str(w) for w in result.warnings)


def test_cli_export_to_a_folder_that_does_not_exist(tmp_path):
    out = tmp_path / "missing" / "form.xlsx"
    result = CliRunner().invoke(main, ["xlsform", "export", "questionnaires/servqual.yaml", "-o", str(out)])
    assert result.exit_code == 1
    assert f"error: cannot write {out}" in result.output


def test_a_checklist_is_named_as_carried_over_in_part(tmp_path):
    audits = [p for p in INSTRUMENTS if any(q.type == "checklist" for q in load_questionnaire(p).questions())]
    assert audits, "an audit instrument ships (issue 17)"
    q = load_questionnaire(audits[0])
    notes = export_xlsform(q, tmp_path / "audit.xlsx")
    first = next(x for x in q.questions() if x.type == "checklist")
    assert any(note.startswith(f"{first.id}: a checklist is exported as a table-list") for note in notes)


@pytest.mark.parametrize("form", ["satisfaction_zh_en.xlsx", "satisfaction_zh_en.xls"])
def test_an_imported_form_exports_again_for_odk(tmp_path, form):
    """Import a hand-written XLSForm, export it, and ODK Validate accepts it; importing that gives the same."""
    first = import_xlsform(Path(__file__).parent / "forms" / form).questionnaire
    path = tmp_path / "again.xlsx"
    export_xlsform(first, path)
    warnings: list[str] = []
    convert(str(path), warnings=warnings, validate=True)
    assert warnings == []
    assert _signature(import_xlsform(path).questionnaire) == _signature(first)


FOUR_LANGUAGES = """\
survey: four
version: 2
title: {zh: 满意度, en: Satisfaction, zh-Hant: 滿意度, ja: 満足度}
languages: [zh, en, zh-Hant, ja]
scales:
  a5: {points: 5, labels: {1: {zh: 差, en: Bad, zh-Hant: 差, ja: 悪い}, 5: {zh: 好, en: Good, zh-Hant: 好, ja: 良い}}}
pages:
  - id: p1
    title: {zh: 来店, en: Visit, zh-Hant: 來店, ja: 来店}
    questions:
      - {id: sat, type: likert, scale: a5, text: {zh: 满意, en: Satisfied, zh-Hant: 滿意, ja: 満足}}
      - id: via
        type: choice
        text: {zh: 预约方式, en: Booked by, zh-Hant: 預約方式, ja: 予約方法}
        options:
          phone: {zh: 电话, en: Phone, zh-Hant: 電話, ja: 電話}
          app: {zh: 应用, en: App, zh-Hant: 應用程式, ja: アプリ}
      - id: why
        type: text
        required: false
        visible_if: sat <= 2 and via == 'app'
        text: {zh: 为什么？, en: Why?, zh-Hant: 為什麼？, ja: なぜですか？}
"""


def test_a_third_and_fourth_language_cross_the_bridge(tmp_path):
    """zh-Hant and ja, which a questionnaire may declare, export as label::Name (code) columns that
    ODK Validate accepts and import back as the same languages, texts, codes and conditions."""
    source = tmp_path / "four.yaml"
    source.write_text(FOUR_LANGUAGES, encoding="utf-8")
    q = load_questionnaire(source)
    path = tmp_path / "four.xlsx"
    export_xlsform(q, path)
    header = next(openpyxl.load_workbook(path)["survey"].iter_rows(values_only=True))
    assert "label::Traditional Chinese (zh-Hant)" in header and "label::Japanese (ja)" in header
    warnings: list[str] = []
    xform = convert(str(path), warnings=warnings, validate=True).xform
    # pyxform checks a language code against single IANA subtags, so a tag with a script draws its
    # one warning; ODK Validate (validate=True) accepts the form, and ODK Collect reads the whole tag.
    assert warnings == [
        "The following language declarations do not contain valid machine-readable codes: "
        "Traditional Chinese (zh-Hant). Learn more: http://xlsform.org#multiple-language-support"
    ]
    assert '<translation lang="Japanese (ja)">' in xform and "アプリ" in xform
    back = import_xlsform(path)
    assert back.questionnaire.languages == q.languages
    assert dump_questionnaire(back.questionnaire) == dump_questionnaire(q)
    assert _signature(back.questionnaire) == _signature(q)


FORMULA_LIKE = """\
survey: eq
version: 1
title: {zh: "=1+1", en: "=HYPERLINK(\\"http://example.org\\")"}
languages: [zh, en]
pages:
  - id: p1
    questions:
      - id: q1
        type: choice
        text: {zh: "=SUM(1,2)", en: "=cmd|' /C calc'!A0"}
        options: {a: {zh: "=A", en: "@B"}, b: {zh: "-5分", en: "+5"}}
"""


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path):
    """openpyxl would store '=SUM(1,2)' as a formula: Excel would compute it (or run a DDE payload),
    and the import, which reads values, would find the label empty."""
    source = tmp_path / "eq.yaml"
    source.write_text(FORMULA_LIKE, encoding="utf-8")
    q = load_questionnaire(source)
    path = tmp_path / "eq.xlsx"
    export_xlsform(q, path)
    book = openpyxl.load_workbook(path)
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert "=cmd|' /C calc'!A0" in [c.value for c in cells]
    warnings: list[str] = []
    assert "=SUM(1,2)" in convert(str(path), warnings=warnings, validate=True).xform
    assert dump_questionnaire(import_xlsform(path).questionnaire) == dump_questionnaire(q)
