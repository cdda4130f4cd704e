"""The ``checklist`` question type: the standards of one process step, each met, not met or not applicable.

Process audits check a dealer's work against written standards, step by step (seed 000's
"standard processes": the phone answered within three rings, the consultant walking out to greet
the customer, a reminder 24 hours before the appointment...). A checklist is one step: its items
are the standards, each answered ``yes`` / ``no`` / ``na`` by the auditor, with a weight, an
optional ``critical`` flag and the standard's source. Steps are pages, so an audit instrument can
put the visit's date and time, the auditor's notes and any other question beside them.

Why a question type and not a separate ``audit:`` block: a checklist then goes wherever a question
goes (pages, ``visible_if``, the codebook, exports, the web form, the simulator) with the code
paths of the other types, and each item is one nominal variable like a choice answer, so
conditions such as ``rec_greet == 'no'`` work unchanged. How the answers are scored lives in
:mod:`analysis.audit`.
"""

from __future__ import annotations

from surveykit.checks import IdSpace
from surveykit.languages import builtin
from surveykit.model import CHECK_CODES, CheckItem, Checklist, Option, Row, Text, text_of
from surveykit.reader import BAD, Obj, Reader

__all__ = ["CHECK_TEXTS", "build_checklist", "check_options"]

CHECK_TEXTS = {
    "yes": {"zh": "符合", "en": "Yes, met"},
    "no": {"zh": "不符合", "en": "No, not met"},
    "na": {"zh": "不适用", "en": "Not applicable"},
}


def check_options(languages: tuple[str, ...]) -> tuple[Option, ...]:
    """The three answers of every checklist item, worded in the survey's languages."""
    return tuple(
        Option(code, Text(tuple((lang, builtin(text_of(**CHECK_TEXTS[code]), lang)) for lang in languages)))
        for code in CHECK_CODES
    )


def build_checklist(reader: Reader, ids: IdSpace, obj: Obj) -> tuple[tuple[Row, ...], tuple[Option, ...], Checklist]:
    """The rows (items' text), options (yes/no/na) and scoring of a checklist question, problems reported."""
    rows: list[Row] = []
    items: list[CheckItem] = []
    source = obj.get("source")
    cap = obj.get("cap", 0)
    if isinstance(cap, (int, float)) and not 0 <= cap <= 100:
        reader.problem(obj.at("cap"), obj.sub("cap"), f"cap is a percent of the step's score (0 to 100), got {cap}")
    for item, _ in obj.get("items", []) or []:
        if item in (BAD, None) or item.get("id") is None:
            continue
        iid = item.get("id")
        ids.claim(iid, "a checklist item", item.at("id"), item.sub("id"))
        weight = item.get("weight", 1)
        if isinstance(weight, (int, float)) and weight <= 0:
            reader.problem(item.at("weight"), item.sub("weight"), f"a weight is positive, got {weight}")
        rows.append(Row(iid, item.get("text"), obj.get("dimension"), False, item.get("label")))
        items.append(CheckItem(iid, float(weight), bool(item.get("critical", False)), item.get("source") or source))
    if not rows and obj.values.get("items") not in (BAD, None):
        reader.problem(obj.at("items"), obj.sub("items"), "a checklist needs at least one item")
    return tuple(rows), check_options(reader.languages), Checklist(tuple(items), float(cap), source)
