"""``surveykit print``: the questionnaire on paper, for an interviewer or a respondent with a pen.

:func:`paper_html` lays out every screen in order with numbered questions (Q1, Q2...), the
variable name beside each, its answer boxes by type, and the routing written out: a page or
question with a condition says "Ask if ...", its answer names followed by their question
numbers (``sat_overall [Q3] <= 3``); piped text says which answer goes there ("[answer to
Q2]"); a randomised list says so.  :func:`print_paper` prints it to PDF through the same
headless Chromium as the report (:func:`analysis.report.print_pdf`).

The page is built by Jinja with autoescaping from the model alone: no Flask app, no script.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from surveykit.checks import names_of
from surveykit.expressions import Condition
from surveykit.languages import builtin, html_lang
from surveykit.model import Question, Questionnaire, Text, text_of
from surveykit.piping import PIPE
from surveykit.screens import NPS_LABELS

__all__ = ["paper_html", "print_paper"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("webform", "templates/paper"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
WORDS = {
    "ask_if": text_of(zh="仅当以下条件成立时询问：", en="Ask if"),
    "page_if": text_of(zh="本页仅当以下条件成立时询问：", en="Ask this page if"),
    "answer_to": text_of(zh="（{q} 的回答）", en="[answer to {q}]"),
    "field": text_of(zh="（{name}）", en="[{name}]"),
    "random_questions": text_of(
        zh="本页题目按受访者随机排序。", en="Questions of this page in random order per respondent."
    ),
    "random_rows": text_of(zh="各行按受访者随机排序。", en="Rows in random order per respondent."),
    "random_options": text_of(zh="选项按受访者随机排序。", en="Options in random order per respondent."),
    "fixed": text_of(zh="位置固定：{codes}", en="kept in place: {codes}"),
    "one": text_of(zh="单选", en="One answer"),
    "many": text_of(zh="可多选", en="Tick all that apply"),
    "many_range": text_of(zh="选 {low} 至 {high} 项", en="Tick {low} to {high}"),
    "number": text_of(zh="数字", en="Number"),
    "range": text_of(zh="{low} 至 {high}", en="{low} to {high}"),
    "date": text_of(zh="日期（年-月-日）", en="Date (YYYY-MM-DD)"),
    "total": text_of(zh="合计 {total}", en="Total {total}"),
    "optional": text_of(zh="（可不答）", en="(optional)"),
    "legend": text_of(
        zh="Q 后为题号，方括号内为数据中的变量名。“仅当……时询问”写明跳题规则；条件中的变量名后注明其题号。",
        en="Q numbers the questions; the variable name of each answer is in brackets. "
        "'Ask if' gives the routing; each answer named in a condition is followed by its question number.",
    ),
    "variables": text_of(zh="变量", en="Variable"),
}


@dataclass
class _Numbering:
    by_name: dict[str, str] = field(default_factory=dict)  # answer variable -> "Q5"
    fields: dict[str, Text] = field(default_factory=dict)


def _w(key: str, lang: str, **values: Any) -> str:
    text = builtin(WORDS[key], lang)
    return text.format(**values) if values else text


def _condition(cond: Condition | None, numbers: _Numbering, lang: str) -> str:
    """The condition as written, each answer name followed by its question number."""
    if cond is None:
        return ""
    source = cond.source
    for ref in sorted(cond.names(), key=lambda r: r.offset, reverse=True):
        number = numbers.by_name.get(ref.name)
        if number is None and ref.name in numbers.fields:
            number = numbers.fields[ref.name].best(lang)
        if number is not None:
            end = ref.offset + len(ref.name)
            source = f"{source[:end]} [{number}]{source[end:]}"
    return source


def _piped(text: Text | None, numbers: _Numbering, lang: str) -> str:
    if text is None:
        return ""

    def label(match: Any) -> str:
        kind, name = match.group(1), match.group(2)
        if kind == "field":
            field_label = numbers.fields.get(name)
            return _w("field", lang, name=field_label.best(lang) if field_label else name)
        return _w("answer_to", lang, q=numbers.by_name.get(name, name))

    return PIPE.sub(label, text.best(lang))


def _answer(question: Question, lang: str, numbers: _Numbering) -> dict[str, Any]:
    """What the template draws under a question: boxes, options, rows or lines."""
    kind = question.type
    out: dict[str, Any] = {"kind": kind, "note": ""}
    fixed = ""
    if question.shuffle is not None and question.shuffle.fixed:
        fixed = " " + _w("fixed", lang, codes=", ".join(question.shuffle.fixed))
    if kind in ("likert", "nps"):
        labels = dict(NPS_LABELS) if kind == "nps" else dict(question.scale.labels if question.scale else ())
        out["points"] = [(p, labels[p].best(lang) if p in labels else "") for p in question.points]
        out["kind"] = "scale"
    elif kind == "matrix":
        labels = dict(question.scale.labels if question.scale else ())
        out["points"] = [(p, labels[p].best(lang) if p in labels else "") for p in question.points]
        out["rows"] = [(r.id, _piped(r.text, numbers, lang)) for r in question.rows]
        if question.shuffle is not None:
            out["note"] = _w("random_rows", lang) + fixed
    elif kind in ("choice", "kano", "multi"):
        out["options"] = [(o.code, _piped(o.text, numbers, lang)) for o in question.options]
        if kind == "multi":
            if question.min is not None or question.max is not None:
                low = int(question.min) if question.min is not None else 0
                high = int(question.max) if question.max is not None else len(question.options)
                out["how"] = _w("many_range", lang, low=low, high=high)
            else:
                out["how"] = _w("many", lang)
        else:
            out["how"] = _w("one", lang)
        if question.shuffle is not None:
            out["note"] = _w("random_options", lang) + fixed
        out["kind"] = "options"
    elif kind == "checklist":  # an audit step: each standard answered from the same few options
        out["rows"] = [(r.id, _piped(r.text, numbers, lang)) for r in question.rows]
        out["options"] = [(o.code, o.text.best(lang)) for o in question.options]
    elif kind == "constant_sum":
        out["options"] = [(f"{question.id}_{o.code}", _piped(o.text, numbers, lang)) for o in question.options]
        out["how"] = _w("total", lang, total=f"{question.total or 0:g}")
    elif kind == "number":
        if question.min is not None and question.max is not None:
            out["how"] = _w("range", lang, low=f"{question.min:g}", high=f"{question.max:g}")
        else:
            out["how"] = _w("number", lang)
    elif kind == "date":
        out["how"] = _w("date", lang)
    else:
        out["lines"] = 1 if question.max is not None and question.max <= 120 else 4
        out["kind"] = "text"
    return out


def paper_html(q: Questionnaire, lang: str | None = None) -> str:
    """The printable questionnaire in ``lang`` (default: its first language) as one HTML page."""
    lang = lang or q.languages[0]
    if lang not in q.languages:
        raise ValueError(f"language {lang!r} is not one of the survey's ({', '.join(q.languages)})")
    numbers = _Numbering(fields={f.id: f.label for f in q.fields})
    counter = 0
    for screen in q.screens():
        for question in screen.questions:
            counter += 1
            for name in names_of(question):
                numbers.by_name.setdefault(name, f"Q{counter}")
    pages = []
    counter = 0
    for screen in q.screens():
        questions = []
        for question in screen.questions:
            counter += 1
            variables = (
                names_of(question)
                if question.type != "multi"
                else [f"{question.id}_{o.code}" for o in question.options]
            )
            questions.append(
                {
                    "number": f"Q{counter}",
                    "variables": ", ".join(variables),
                    "text": _piped(question.text, numbers, lang),
                    "help": _piped(question.help, numbers, lang),
                    "optional": not question.required,
                    "ask_if": _condition(question.visible_if, numbers, lang),
                    "answer": _answer(question, lang, numbers),
                }
            )
        note = ""
        if screen.shuffle is not None:
            note = _w("random_questions", lang)
            if screen.shuffle.fixed:
                note += " " + _w("fixed", lang, codes=", ".join(screen.shuffle.fixed))
        pages.append(
            {
                "title": _piped(screen.title, numbers, lang) or screen.id,
                "intro": _piped(screen.intro, numbers, lang),
                "ask_if": _condition(screen.visible_if, numbers, lang),
                "note": note,
                "questions": questions,
            }
        )
    return _ENV.get_template("questionnaire.html").render(
        lang=html_lang(lang),
        title=q.title.best(lang),
        description=q.description.best(lang) if q.description else "",
        survey=q.survey,
        version=q.version,
        sha=q.sha256[:12],
        pages=pages,
        w={key: _w(key, lang) for key in ("ask_if", "page_if", "optional", "legend", "variables")},
    )


def print_paper(q: Questionnaire, output: Path, lang: str | None = None) -> None:
    """Write the printable questionnaire to ``output``: HTML for ``.html``, else PDF through headless Chromium."""
    html = paper_html(q, lang)
    if output.suffix.lower() in (".html", ".htm"):
        output.write_text(html, encoding="utf-8")
        return
    from analysis.report import print_pdf

    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "questionnaire.html"
        page.write_text(html, encoding="utf-8")
        print_pdf(page, output)
