"""The translation workflow: export every text, a translator fills it in, import keeps the YAML as written."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import opencc
import pytest
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner
from openpyxl import load_workbook

from surveykit import QuestionnaireError, load_questionnaire
from surveykit.cli import main
from surveykit.translate import export_texts, import_texts, missing_by_language, read_translations
from surveykit.translate.files import TranslationFileError, write_translations

ROOT = Path(__file__).parents[2]
SERVQUAL = ROOT / "questionnaires" / "servqual.yaml"
TO_TRADITIONAL = opencc.OpenCC("s2t")  # the stand-in translator: Simplified -> Traditional characters


def _fill_xlsx(path: Path, translate=TO_TRADITIONAL.convert, every: int = 1) -> None:
    book = load_workbook(path)
    sheet = book["translations"]
    for number, row in enumerate(sheet.iter_rows(min_row=2)):
        if number % every == 0:
            row[2].value = translate(row[1].value)
    book.save(path)


@pytest.mark.parametrize("path", sorted((ROOT / "questionnaires").glob("*.yaml")), ids=lambda p: p.stem)
def test_export_lists_exactly_the_texts_a_new_language_lacks(path, tmp_path):
    # independent count: declare a new language and let the loader report every text without it
    _, entries = export_texts(path, "ja")
    text = path.read_text(encoding="utf-8")
    declared = text.replace("languages: [zh, en]", "languages: [zh, en, ja]", 1)
    assert declared != text
    copy = tmp_path / path.name
    copy.write_text(declared, encoding="utf-8")
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(copy)
    assert missing_by_language(info.value.problems) == {"ja": len(entries)}
    assert all(e.source and not e.translation for e in entries)


def test_xlsx_round_trip_adds_the_language_and_keeps_every_comment_and_line(tmp_path):
    sheet = tmp_path / "sq.zh-Hant.xlsx"
    source, entries = export_texts(SERVQUAL, "zh-Hant")
    write_translations(sheet, source, "zh-Hant", entries, "servqual")
    _fill_xlsx(sheet)
    out = tmp_path / "sq2.yaml"
    report = import_texts(SERVQUAL, read_translations(sheet), out)
    assert (report.applied, report.missing, report.refused) == (len(entries), [], [])
    q = load_questionnaire(out)
    assert q.languages == ("zh", "en", "zh-Hant")
    assert q.title["zh-Hant"] == "售後服務質量調查（SERVQUAL）"
    before, after = SERVQUAL.read_text(encoding="utf-8").splitlines(), out.read_text(encoding="utf-8").splitlines()
    comments = [line for line in before if line.lstrip().startswith("#")]
    assert [line for line in after if line.lstrip().startswith("#")] == comments
    # every original line is still there, in order: as it was, or with a zh-Hant entry added to its flow mapping
    kept = iter(after)
    for line in before:
        assert any(a == line or re.sub(r", zh-Hant(: [^,}]*)?(?=[}\]])", "", a) == line for a in kept), line


def test_po_round_trip_gives_the_same_yaml_as_the_spreadsheet(tmp_path):
    source, entries = export_texts(SERVQUAL, "zh-Hant")
    po, sheet = tmp_path / "sq.po", tmp_path / "sq.xlsx"
    write_translations(po, source, "zh-Hant", entries, "servqual")
    write_translations(sheet, source, "zh-Hant", entries, "servqual")
    with po.open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if message.id:
            message.string = TO_TRADITIONAL.convert(message.id)
    with po.open("wb") as fh:
        write_po(fh, catalog)
    _fill_xlsx(sheet)
    import_texts(SERVQUAL, read_translations(po), tmp_path / "from_po.yaml")
    import_texts(SERVQUAL, read_translations(sheet), tmp_path / "from_xlsx.yaml")
    assert (tmp_path / "from_po.yaml").read_text() == (tmp_path / "from_xlsx.yaml").read_text()


def test_a_partial_translation_is_written_and_validate_counts_what_is_missing(tmp_path):
    runner = CliRunner()
    sheet = tmp_path / "sq.ja.xlsx"
    result = runner.invoke(main, ["translate", "export", str(SERVQUAL), "--to", "ja", "-o", str(sheet)])
    assert result.exit_code == 0, result.output
    total = int(result.output.split(": ", 1)[1].split()[0])
    _fill_xlsx(sheet, lambda text: f"訳:{text}", every=2)  # every other row
    out = tmp_path / "sq.ja.yaml"
    result = runner.invoke(main, ["translate", "import", str(SERVQUAL), str(sheet), "-o", str(out)])
    assert result.exit_code == 0, result.output
    missing = total // 2
    assert f"{missing} text(s) still missing in 'ja'" in result.output
    result = runner.invoke(main, ["validate", str(out)])
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(str(out))}:\d+:\d+: {missing} text\(s\) missing in 'ja' in this file", result.output)
    # exporting again carries the translations done so far
    _, entries = export_texts(out, "ja")
    assert sum(1 for e in entries if e.translation) == total - missing


def test_a_one_language_survey_gains_a_mapping_in_flow_style(tmp_path):
    yaml_file = tmp_path / "one.yaml"
    yaml_file.write_text(
        textwrap.dedent("""\
            # a one-language survey
            survey: one
            version: 1
            title: Visit  # trailing comment
            languages: [en]
            pages:
              - id: p
                questions:
                  - {id: q, type: nps, text: "How likely: =1+1?"}
            """),
        encoding="utf-8",
    )
    sheet = tmp_path / "one.xlsx"
    source, entries = export_texts(yaml_file, "fr")
    write_translations(sheet, source, "fr", entries, "one")
    cell = load_workbook(sheet)["translations"]["B3"]
    assert cell.value == "How likely: =1+1?" and cell.data_type == "s"
    _fill_xlsx(sheet, lambda text: {"Visit": "Visite", "How likely: =1+1?": "Probabilité : =1+1 ?"}[text])
    import_texts(yaml_file, read_translations(sheet), tmp_path / "two.yaml")
    text = (tmp_path / "two.yaml").read_text(encoding="utf-8")
    assert "title: {en: Visit, fr: Visite} # trailing comment" in text and "languages: [en, fr]" in text
    assert load_questionnaire(tmp_path / "two.yaml").question("q").text["fr"] == "Probabilité : =1+1 ?"


def test_unknown_keys_write_nothing_and_bad_files_are_clean_errors(tmp_path):
    sheet = tmp_path / "sq.xlsx"
    source, entries = export_texts(SERVQUAL, "ja")
    write_translations(sheet, source, "ja", entries, "servqual")
    book = load_workbook(sheet)
    book["translations"].append(["pages[9].questions[0].text", "x", "y"])
    book.save(sheet)
    out = tmp_path / "out.yaml"
    report = import_texts(SERVQUAL, read_translations(sheet), out)
    assert report.refused == [
        f"row {len(entries) + 2}: 'pages[9].questions[0].text' is not a text of the questionnaire"
    ]
    assert not out.exists()
    fake = tmp_path / "fake.xlsx"
    shutil.copy(SERVQUAL, fake)
    with pytest.raises(TranslationFileError, match=r"is not a spreadsheet: a translation file is an \.xlsx"):
        read_translations(fake)
    broken = tmp_path / "broken.po"
    broken.write_text('msgid "a"\nmsgstr "b"\nmsgid', encoding="utf-8")
    with pytest.raises(TranslationFileError, match="not a readable PO catalogue"):
        read_translations(broken)
    with pytest.raises(TranslationFileError, match=r"\.xlsx or \.po"):
        write_translations(tmp_path / "x.csv", "zh", "ja", entries, "servqual")


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    import zipfile

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"\0" * (70 * 1024 * 1024))
    assert bomb.stat().st_size < 200_000
    with pytest.raises(TranslationFileError, match="unpacks to 73,400,320 bytes"):
        read_translations(bomb)


def test_empty_formatted_rows_after_the_texts_are_ignored(tmp_path, monkeypatch):
    from surveykit.translate import files

    monkeypatch.setattr(files, "MAX_ROWS", 10)  # formatted empty rows must not count against the cap
    sheet = tmp_path / "sq.xlsx"
    source, entries = export_texts(SERVQUAL, "ja")
    write_translations(sheet, source, "ja", entries[:3], "servqual")
    book = load_workbook(sheet)
    ws = book["translations"]
    for row in range(5, 3005):
        ws.cell(row=row, column=1).number_format = "@"  # formatted, empty
    book.save(sheet)
    assert [row[1] for row in read_translations(sheet).rows] == [e.key for e in entries[:3]]


def test_a_key_given_twice_or_a_refused_character_writes_nothing(tmp_path):
    """A translator's copy-paste: the same key on two rows, or a U+2028 / control character from a word
    processor; either is refused at its row before anything is written (the loader would refuse the YAML)."""
    sheet = tmp_path / "sq.xlsx"
    source, entries = export_texts(SERVQUAL, "ja")
    write_translations(sheet, source, "ja", entries, "servqual")
    book = load_workbook(sheet)
    rows = book["translations"]
    rows.cell(row=3, column=1).value = entries[0].key
    rows.cell(row=4, column=3).value = "一行目\u2028二行目"
    rows.cell(row=5, column=3).value = "削除\x7f"
    book.save(sheet)
    out = tmp_path / "out.yaml"
    report = import_texts(SERVQUAL, read_translations(sheet), out)
    assert report.refused == [
        f"row 3: {entries[0].key!r} is given twice (rows 2 and 3)",
        f"row 4: {entries[2].key}: the Unicode line separator U+2028 is not allowed; use an ordinary line break",
        f"row 5: {entries[3].key}: control characters are not allowed (found U+007F); only tab and line breaks are",
    ]
    assert not out.exists()


@pytest.mark.parametrize(
    "command",
    [
        ["translate", "export", str(SERVQUAL), "--to", "ja", "-o", "{out}.xlsx"],
        ["translate", "import", str(SERVQUAL), "{sheet}", "-o", "{out}.yaml"],
        ["print", str(SERVQUAL), "-o", "{out}.html"],
        ["print", str(SERVQUAL), "-o", "{out}.pdf"],
    ],
    ids=["translate-export", "translate-import", "print-html", "print-pdf"],
)
def test_an_output_in_a_missing_folder_is_an_error_not_a_traceback(tmp_path, command):
    """The authoring commands say which folder is missing (exit 1) before any work, as xlsform does."""
    sheet = tmp_path / "sq.xlsx"
    source, entries = export_texts(SERVQUAL, "ja")
    write_translations(sheet, source, "ja", entries, "servqual")
    out = tmp_path / "missing" / "out"
    args = [a.format(out=out, sheet=sheet) for a in command]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"error: cannot write {args[-1]}: the folder {out.parent} does not exist" in result.output


def test_an_entry_without_key_and_the_source_language_are_refused(tmp_path):
    """A PO entry without msgctxt is named, not skipped; a catalogue in the source language would overwrite
    the texts everything else is translated from, so it is refused whole."""
    out = tmp_path / "out.yaml"
    unkeyed = tmp_path / "unkeyed.po"
    unkeyed.write_text(
        'msgid ""\nmsgstr ""\n"Language: ja\\n"\n\nmsgid "hello"\nmsgstr "こんにちは"\n', encoding="utf-8"
    )
    assert import_texts(SERVQUAL, read_translations(unkeyed), out).refused == [
        "row 5: no key (the key column, or the PO entry's msgctxt, is empty)"
    ]
    source = tmp_path / "zh.po"
    source.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh\\n"\n\nmsgctxt "title"\nmsgid "x"\nmsgstr "y"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["translate", "import", str(SERVQUAL), str(source), "-o", str(out)])
    assert result.exit_code == 1
    assert f"{source}: 'zh' is the questionnaire's source language: an import never replaces its texts" in result.output
    assert not out.exists()


def test_a_formula_that_failed_in_the_translators_spreadsheet_is_refused(tmp_path):
    """A translation typed as '=...' becomes a formula; the program saves its error (#NAME?), never the text."""
    sheet = tmp_path / "sq.xlsx"
    source, entries = export_texts(SERVQUAL, "ja")
    write_translations(sheet, source, "ja", entries, "servqual")
    book = load_workbook(sheet)
    cell = book["translations"].cell(row=3, column=3)
    cell.value, cell.data_type = "#NAME?", "e"
    book.save(sheet)
    with pytest.raises(TranslationFileError, match=r"sq\.xlsx:translations:row 3: the translation is the spreadsheet "):
        read_translations(sheet)
