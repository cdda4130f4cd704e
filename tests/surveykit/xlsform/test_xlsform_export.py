"""surveykit xlsform export: every shipped instrument converts with pyxform and imports back the same.

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


def test_pyxform_converts_the_export(exported):
    q, path, _ = exported
    warnings: list[str] = []
    result = convert(str(path), warnings=warnings)
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
    assert [w for w in result.warnings if "becomes" in w.message] == []


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
    assert out.exists() and load_questionnaire(Path("questionnaires/servqual.yaml")).alerts


def test_cli_export_of_a_broken_questionnaire(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("survey: x\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["xlsform", "export", str(bad), "-o", str(tmp_path / "f.xlsx")])
    assert result.exit_code == 1
    assert f"{bad}:1:1" in result.output
