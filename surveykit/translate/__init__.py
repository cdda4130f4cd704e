"""The translation workflow: ``surveykit translate export`` and ``surveykit translate import``.

A translator never edits the YAML: :func:`export_texts` lists every translatable
text of a questionnaire (its key path, the source language's text and any
existing translation) as a spreadsheet or a gettext ``.po`` catalogue, and
:func:`import_texts` writes the filled-in translations back into the YAML,
keeping its comments, key order, quoting and flow style (ruamel.yaml's
round trip; the loader itself still reads with the project's safe composer).

* :mod:`.texts` finds the texts by the format's key table (:mod:`surveykit.spec`);
* :mod:`.files` writes and reads the XLSX and PO files;
* :mod:`.roundtrip` applies translations to the YAML.
"""

from __future__ import annotations

from surveykit.translate.files import read_translations, write_translations
from surveykit.translate.roundtrip import ImportReport, import_texts
from surveykit.translate.texts import Entry, export_texts, missing_by_language

__all__ = [
    "Entry",
    "ImportReport",
    "export_texts",
    "import_texts",
    "missing_by_language",
    "read_translations",
    "write_translations",
]
