"""Translations back into the questionnaire's YAML, keeping its comments, key order and style.

A text that is a language mapping gains (or changes) the target language's entry; in a
one-language survey a plain-string text becomes a mapping of the source and the target,
written in flow style like the shipped files.  The target is added to ``languages:``.
Rows whose key is not a text of the questionnaire, a key given twice and a translation
holding a character the loader refuses (a control character, U+2028...) are refused with
their row number, and nothing is written; a row whose source text differs from the questionnaire's (edited since the export) is
applied and listed, so the author can check it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from surveykit.translate.files import TranslationFile
from surveykit.translate.texts import languages_of, load_roundtrip, text_nodes
from surveykit.yamlsafe import forbidden_characters

__all__ = ["ImportReport", "import_texts"]


@dataclass
class ImportReport:
    """What an import did: texts translated, still missing, refused rows and changed sources (with rows)."""

    target: str
    applied: int = 0
    missing: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


def import_texts(questionnaire: str | Path, translations: TranslationFile, output: str | Path) -> ImportReport:
    """Write ``questionnaire`` with ``translations`` applied to ``output``; refused rows write nothing.

    Returns the report; when ``report.refused`` is not empty nothing was written.
    """
    data, yaml, _ = load_roundtrip(questionnaire)
    target = translations.target
    langs = languages_of(data)
    source = translations.source if translations.source in langs else (langs[0] if langs else "")
    report = ImportReport(target)
    texts = {key: (container, slot, value) for key, container, slot, value in text_nodes(data)}
    if target == source:
        report.refused.append(f"{target!r} is the questionnaire's source language: an import never replaces its texts")
        return report
    given: dict[str, tuple[int, str, str]] = {}
    for number, key, src, text in translations.rows:
        if not key:
            report.refused.append(f"row {number}: no key (the key column, or the PO entry's msgctxt, is empty)")
        elif key not in texts:
            report.refused.append(f"row {number}: {key!r} is not a text of the questionnaire")
        elif key in given:
            report.refused.append(f"row {number}: {key!r} is given twice (rows {given[key][0]} and {number})")
        elif refused := forbidden_characters(text):
            report.refused.append(f"row {number}: {key}: {refused[0].message}")
        else:
            given[key] = (number, src, text)
    if report.refused:
        return report
    for key, (container, slot, value) in texts.items():
        current = value.get(source) if isinstance(value, dict) else value
        number, src, text = given.get(key, (0, "", ""))
        if not text.strip():
            if not (isinstance(value, dict) and isinstance(value.get(target), str)):
                report.missing.append(key)
            continue
        if src and isinstance(current, str) and src.strip() != current.strip():
            report.changed.append(f"row {number}: {key}: the source text changed since the export")
        if isinstance(value, dict):
            value[target] = text
        else:
            mapping = CommentedMap([(source, value), (target, text)])
            mapping.fa.set_flow_style()
            container[slot] = mapping
        report.applied += 1
    if target not in langs:
        seq = data.get("languages")
        if isinstance(seq, CommentedSeq):
            seq.append(target)
        else:
            data["languages"] = [*langs, target]
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    Path(output).write_text(buffer.getvalue(), encoding="utf-8")
    return report
