"""The ``type`` column of an XLSForm: its spellings, and what each type becomes here.

The spellings are those of the XLSForm specification and the aliases pyxform accepts
(``select one``, ``select1``, ``begin_group``, ``add integer prompt``…), so that forms written
for ODK, KoboToolbox, SurveyCTO or Ona read as their authors meant them.  A type is one of:

* a question type that has an equivalent (``select_one``, ``select_multiple``, ``integer``,
  ``decimal``, ``range``, ``text``, ``date``), a ``note``, a ``hidden`` value (a segment field
  here), a group's ``begin_group``/``end_group``;
* ``start``/``end``, which surveykit records anyway (``started_at``, ``submitted_at``);
* a type with no equivalent (:data:`UNSUPPORTED`): the import fails on it, or drops it with
  ``--skip-unsupported``;
* anything else: not XLSForm at all, refused as an unknown type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ALIASES = {
    "text": ("text", "string", "q string", "add text prompt"),
    "integer": ("integer", "int", "q int", "add integer prompt"),
    "decimal": ("decimal", "q decimal", "add decimal prompt"),
    "date": ("date", "q date", "add date prompt"),
    "range": ("range",),
    "note": ("note", "q note", "add note prompt"),
    "hidden": ("hidden",),
    "start": ("start", "start time", "get start time"),
    "end": ("end", "end time", "get end time"),
    "begin_group": ("begin group", "begin_group"),
    "end_group": ("end group", "end_group"),
    "begin_repeat": ("begin repeat", "begin_repeat", "begin looped group", "begin lgroup", "begin loop"),
    "end_repeat": ("end repeat", "end_repeat", "end looped group", "end lgroup", "end loop"),
}
# Types with no equivalent in a surveykit questionnaire, each with its canonical name.
_UNSUPPORTED = {
    "geopoint": ("geopoint", "gps", "location", "q geopoint", "q location", "add location prompt"),
    "geotrace": ("geotrace", "q geotrace"),
    "geoshape": ("geoshape", "q geoshape"),
    "start-geopoint": ("start-geopoint",),
    "background-geopoint": ("background-geopoint",),
    "image": ("image", "photo", "q picture", "q image", "add image prompt"),
    "audio": ("audio", "q audio", "add audio prompt"),
    "background-audio": ("background-audio",),
    "video": ("video", "q video", "add video prompt"),
    "file": ("file",),
    "barcode": ("barcode", "q barcode", "add barcode prompt"),
    "calculate": ("calculate", "q calculate", "add calculate prompt"),
    "acknowledge": ("acknowledge", "q acknowledge", "add acknowledge prompt", "trigger"),
    "time": ("time",),
    "datetime": ("datetime", "date time", "q date time", "q datetime", "add date time prompt", "add datetime prompt"),
    "today": ("today", "get today"),
    "deviceid": ("deviceid", "device id", "get device id", "imei", "uri:deviceid"),
    "subscriberid": ("subscriberid", "subscriber id", "get subscriber id", "uri:subscriberid"),
    "simserial": ("simserial", "sim id", "get sim id", "uri:simserial"),
    "phonenumber": ("phonenumber", "phone number", "get phone number", "uri:phonenumber"),
    "username": ("username", "uri:username"),
    "email": ("email", "uri:email"),
    "audit": ("audit",),
    "rank": ("rank",),
    "xml-external": ("xml-external",),
    "csv-external": ("csv-external",),
    "entity": ("entity",),
    "percentage": ("percentage",),
}
_SELECTS = {
    "select_one": ("select_one", "select one", "select1", "select one from", "select one using", "q select1"),
    "select_multiple": (
        "select_multiple",
        "select multiple",
        "select all that apply",
        "select all that apply from",
        "select multiple from",
        "select multiple using",
        "q select",
    ),
    "select_one_from_file": ("select_one_from_file", "select one from file"),
    "select_multiple_from_file": ("select_multiple_from_file", "select multiple from file"),
    "select_one_external": ("select_one_external", "select one external"),
}
_PROMPT_SELECTS = {"add select one prompt using": "select_one", "add select multiple prompt using": "select_multiple"}
_LOOKUP = {alias: canonical for canonical, aliases in _ALIASES.items() for alias in aliases}
_UNSUPPORTED_LOOKUP = {alias: canonical for canonical, aliases in _UNSUPPORTED.items() for alias in aliases}
_SELECT_LOOKUP = {alias: canonical for canonical, aliases in _SELECTS.items() for alias in aliases}
_SELECT_LOOKUP.update(_PROMPT_SELECTS)
_SPACES = re.compile(r"\s+")
SUPPORTED_SELECTS = ("select_one", "select_multiple")


@dataclass(frozen=True, slots=True)
class TypeCell:
    """A parsed ``type`` cell.

    ``kind`` is ``question``, ``note``, ``hidden``, ``group``, ``end_group``, ``repeat``,
    ``end_repeat``, ``metadata`` (start/end), ``unsupported`` or ``unknown``; ``base`` the
    canonical type name; ``list_name`` the choice list of a select; ``or_other`` whether the
    select adds an "Other" option with a text box (``select_one list or_other``).
    """

    kind: str
    base: str
    list_name: str | None = None
    or_other: bool = False


def parse_type(cell: str) -> TypeCell:
    """The meaning of a ``type`` cell, e.g. ``'select_one yes_no or_other'``."""
    text = _SPACES.sub(" ", cell.strip())
    lower = text.lower()
    if lower in _LOOKUP:
        base = _LOOKUP[lower]
        kind = {
            "note": "note",
            "hidden": "hidden",
            "begin_group": "group",
            "end_group": "end_group",
            "begin_repeat": "repeat",
            "end_repeat": "end_repeat",
            "start": "metadata",
            "end": "metadata",
        }.get(base, "question")
        return TypeCell(kind, base)
    if lower in _UNSUPPORTED_LOOKUP:
        return TypeCell("unsupported", _UNSUPPORTED_LOOKUP[lower])
    for alias in sorted(_SELECT_LOOKUP, key=len, reverse=True):
        if lower.startswith(alias + " "):
            base = _SELECT_LOOKUP[alias]
            rest = text[len(alias) :].split()
            or_other = len(rest) == 2 and rest[1].lower() == "or_other"
            if base not in SUPPORTED_SELECTS:
                return TypeCell("unsupported", base, rest[0] if rest else None)
            if len(rest) == 1 or or_other:
                return TypeCell("question", base, rest[0], or_other)
            return TypeCell("unknown", text)
    if lower in _SELECT_LOOKUP:
        return TypeCell("unknown", text)  # a select without its list: reported as such by the importer
    return TypeCell("unknown", text)


def is_select_without_list(cell: str) -> bool:
    return _SPACES.sub(" ", cell.strip()).lower() in _SELECT_LOOKUP
