"""What the page templates render: plain strings computed once per screen and language.

The Jinja macros in ``templates/_fields.html`` take these objects, so that
rendering a page is a loop over ready-made labels and ids (WTForms widgets are
not used for rendering: 8.6x slower, see ``PERFORMANCE.md`` part B).  The values
shown in the inputs (from stored answers or from a posted form) and the error
summary are made here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from flask import current_app
from markupsafe import Markup

from surveykit.model import Question, Questionnaire, Scale, Screen, Text
from surveykit.screens import NPS_LABELS
from webform.forms import TEXT_MAX_DEFAULT, AnswerField, ConstantSumAnswer, MultiAnswer, ScreenForm, field_name
from webform.i18n import translate
from webform.skip_logic import plan, question_variables

# A scale whose every point has a label, and at most this many points, is a vertical list of
# labelled radios; otherwise a row of numbered cells with the end labels as captions.
LIST_MAX_POINTS = 7
# Text answers up to this many characters get a one-line input, longer ones a text area.
LINE_MAX = 120


@dataclass(frozen=True, slots=True)
class OptionView:
    value: str
    label: str  # visible text
    extra: str  # visually hidden text completing the accessible name ("1" -> "1 Strongly disagree")
    id: str
    off: Markup = Markup()  # the option macro's output, unticked and ticked (see _with_fragments)
    on: Markup = Markup()


@dataclass(frozen=True, slots=True)
class GroupView:
    """One radio group: a likert item, a matrix row, an NPS question, a choice, a Kano half."""

    name: str
    var: str
    id: str  # fieldset id
    legend: str
    layout: str  # "scale" (a row of numbered cells) or "list" (a column of labelled options)
    options: tuple[OptionView, ...]
    low: str  # caption under the first cell ("" when none)
    high: str
    numeric: bool


@dataclass(frozen=True, slots=True)
class QuestionView:
    id: str
    type: str
    kind: str  # the macro: radios, matrix, checks, number, text, textarea, date, sum
    text: str
    help: str
    optional: bool
    first_input: str  # the id the error summary links to
    group: GroupView | None = None
    rows: tuple[GroupView, ...] = ()
    options: tuple[OptionView, ...] = ()
    name: str = ""
    attrs: tuple[tuple[str, str], ...] = ()
    badge: str = ""  # Kano: "If offered" / "If not offered"
    pair: str = ""  # Kano: the attribute id, to keep a pair together
    total: str = ""
    of_label: str = ""  # constant sum: "of 100"
    hint: str = ""  # number range, date format
    dynamic: bool = False
    pristine: Markup | None = None  # the question macro's output with no answer and no error


@dataclass(frozen=True, slots=True)
class ScreenView:
    id: str
    title: str
    intro: str
    questions: tuple[QuestionView, ...]
    lang: str = ""
    # the question macro's output for a radio question by its answer, filled as answers occur
    # (bounded: one entry per option of each question)
    answered: dict[tuple[str, str], Markup] = field(default_factory=dict, compare=False)

    def ready(self, qv: QuestionView, answered: bool, value: str | None) -> Markup | None:
        """The finished HTML of a question without errors, or None when it must be rendered live."""
        if qv.dynamic:
            return None
        if not answered:
            return qv.pristine
        if qv.kind != "radios" or value is None:
            return None
        key = (qv.id, value)
        html = self.answered.get(key)
        if html is None:
            macros: Any = current_app.jinja_env.get_template("_fields.html").module
            html = macros.question(
                qv,
                {qv.id: value},
                {},
                frozenset(),
                "",
                translate("optional", self.lang),
                translate("sum_label", self.lang),
            )
            if len(self.answered) < 5000:
                self.answered[key] = html
        return html


def _t(text: Text | None, lang: str) -> str:
    return text.best(lang) if text is not None else ""


def _scale_options(
    prefix: str, points: tuple[int, ...], labels: dict[int, str], as_list: bool
) -> tuple[OptionView, ...]:
    out = []
    for p in points:
        label = labels.get(p, "")
        if as_list:
            out.append(OptionView(str(p), label, "", f"{prefix}-{p}"))
        else:
            out.append(OptionView(str(p), str(p), f" {label}" if label else "", f"{prefix}-{p}"))
    return tuple(out)


def _scale_group(var: str, legend: str, points: tuple[int, ...], scale_labels: dict[int, str]) -> GroupView:
    as_list = len(points) <= LIST_MAX_POINTS and all(p in scale_labels for p in points)
    prefix = f"i-{var}"
    return GroupView(
        name=field_name(var),
        var=var,
        id=f"f-{var}",
        legend=legend,
        layout="list" if as_list else "scale",
        options=_scale_options(prefix, points, scale_labels, as_list),
        low="" if as_list else scale_labels.get(points[0], ""),
        high="" if as_list else scale_labels.get(points[-1], ""),
        numeric=True,
    )


def _labels(scale: Scale | None, lang: str) -> dict[int, str]:
    return {p: t.best(lang) for p, t in scale.labels} if scale is not None else {}


def question_view(question: Question, lang: str, dynamic: bool) -> QuestionView:
    qid = question.id
    text = _t(question.text, lang)
    # the questions of one Kano attribute (functional, dysfunctional, self-stated importance) stay together
    pair = question.pair or "" if question.role in ("functional", "dysfunctional", "self_importance") else ""
    common: dict[str, Any] = dict(
        id=qid,
        type=question.type,
        text=text,
        help=_t(question.help, lang),
        optional=not question.required,
        dynamic=dynamic,
        pair=pair,
    )
    qtype = question.type
    if qtype in ("likert", "nps"):
        labels = {p: t.best(lang) for p, t in NPS_LABELS} if qtype == "nps" else _labels(question.scale, lang)
        group = _scale_group(qid, text, question.points, labels)
        return QuestionView(kind="radios", first_input=group.options[0].id, group=group, **common)
    if qtype == "matrix":
        labels = _labels(question.scale, lang)
        rows = tuple(_scale_group(row.id, _t(row.text, lang), question.points, labels) for row in question.rows)
        return QuestionView(kind="matrix", first_input=rows[0].options[0].id, rows=rows, **common)
    if qtype == "checklist":  # one list of yes / no / n.a. per standard, shown as the rows of a matrix
        rows = tuple(
            GroupView(
                name=field_name(row.id),
                var=row.id,
                id=f"f-{row.id}",
                legend=_t(row.text, lang),
                layout="list",
                options=tuple(
                    OptionView(o.code, o.text.best(lang), "", f"i-{row.id}-{o.code}") for o in question.options
                ),
                low="",
                high="",
                numeric=False,
            )
            for row in question.rows
        )
        return QuestionView(kind="matrix", first_input=rows[0].options[0].id, rows=rows, **common)
    if qtype in ("choice", "kano"):
        options = tuple(OptionView(o.code, o.text.best(lang), "", f"i-{qid}-{o.code}") for o in question.options)
        group = GroupView(
            name=field_name(qid),
            var=qid,
            id=f"f-{qid}",
            legend=text,
            layout="list",
            options=options,
            low="",
            high="",
            numeric=False,
        )
        badge = ""
        if question.role == "functional":
            badge = translate("if_offered", lang)
        elif question.role == "dysfunctional":
            badge = translate("if_not_offered", lang)
        return QuestionView(kind="radios", first_input=options[0].id, group=group, badge=badge, **common)
    if qtype == "multi":
        options = tuple(OptionView(o.code, o.text.best(lang), "", f"i-{qid}-{o.code}") for o in question.options)
        return QuestionView(kind="checks", first_input=options[0].id, options=options, name=field_name(qid), **common)
    if qtype == "number":
        low, high = question.min, question.max
        if low is not None and high is not None:
            hint = translate("number_range", lang, min=f"{low:g}", max=f"{high:g}")
        elif low is not None:
            hint = translate("number_min", lang, min=f"{low:g}")
        elif high is not None:
            hint = translate("number_max", lang, max=f"{high:g}")
        else:
            hint = ""
        return QuestionView(
            kind="number",
            first_input=f"i-{qid}",
            name=field_name(qid),
            attrs=(("inputmode", "numeric" if question.integer else "decimal"),),
            hint=hint,
            **common,
        )
    if qtype == "text":
        high = int(question.max) if question.max is not None else TEXT_MAX_DEFAULT
        kind = "text" if high <= LINE_MAX else "textarea"
        return QuestionView(
            kind=kind, first_input=f"i-{qid}", name=field_name(qid), attrs=(("maxlength", str(high)),), **common
        )
    if qtype == "date":
        bounds = [("min", str(question.min))] if question.min else []
        if question.max:
            bounds.append(("max", str(question.max)))
        return QuestionView(
            kind="date",
            first_input=f"i-{qid}",
            name=field_name(qid),
            attrs=tuple(bounds),
            hint=translate("date_hint", lang),
            **common,
        )
    if qtype == "constant_sum":
        options = tuple(OptionView(o.code, o.text.best(lang), "", f"i-{qid}-{o.code}") for o in question.options)
        total = question.total or 0
        return QuestionView(
            kind="sum",
            first_input=options[0].id,
            options=options,
            name=field_name(qid),
            total=f"{total:g}",
            of_label=translate("sum_of", lang, total=f"{total:g}"),
            **common,
        )
    raise ValueError(f"unknown question type {qtype!r}")  # pragma: no cover


_VIEWS: dict[tuple[int, str, str], tuple[Questionnaire, ScreenView]] = {}


def screen_view(q: Questionnaire, screen: Screen, lang: str) -> ScreenView:
    """The cached view of one screen in one language (built inside a request: it renders fragments)."""
    key = (id(q), screen.id, lang)
    hit = _VIEWS.get(key)
    if hit is None or hit[0] is not q:
        view = build_screen_view(q, screen, lang)
        if len(_VIEWS) > 2000:
            _VIEWS.clear()
        hit = (q, view)
        _VIEWS[key] = hit
    return hit[1]


def build_screen_view(
    q: Questionnaire, screen: Screen, lang: str, base: tuple[Screen, ScreenView] | None = None
) -> ScreenView:
    """The view of one screen, uncached: for a respondent's own order or piped text (inside a request).

    ``base`` is the model's screen and its cached view: a question the respondent's screen
    holds unchanged (the same object, only moved) keeps its ready-made view, so only
    questions with their own order of rows or options, or with piped text, are rendered anew.
    """
    dynamic = plan(q).dynamic
    macros: Any = current_app.jinja_env.get_template("_fields.html").module
    kept = {x.id: (x, qv) for x, qv in zip(base[0].questions, base[1].questions, strict=True)} if base else {}
    questions = tuple(
        kept[x.id][1]
        if x.id in kept and kept[x.id][0] is x
        else _with_fragments(question_view(x, lang, x.id in dynamic), macros, lang)
        for x in screen.questions
    )
    return ScreenView(screen.id, _t(screen.title, lang), _t(screen.intro, lang), questions, lang)


def _options(options: tuple[OptionView, ...], kind: str, name: str, macros: Any) -> tuple[OptionView, ...]:
    return tuple(
        replace(
            o,
            off=macros.option(kind, name, o, i == 0, False, False),
            on=macros.option(kind, name, o, i == 0, True, False),
        )
        for i, o in enumerate(options)
    )


def _group(group: GroupView, macros: Any) -> GroupView:
    return replace(group, options=_options(group.options, "radio", group.name, macros))


def _with_fragments(qv: QuestionView, macros: Any, lang: str) -> QuestionView:
    """Render each option (ticked and not) and the unanswered question once, with the page macros.

    Pages are then mostly a join of these fragments; a question with an answer or an error
    is rendered by the same macros around the option fragments.
    """
    if qv.group is not None:
        qv = replace(qv, group=_group(qv.group, macros))
    if qv.rows:
        qv = replace(qv, rows=tuple(_group(row, macros) for row in qv.rows))
    if qv.kind == "checks":
        qv = replace(qv, options=_options(qv.options, "checkbox", qv.name, macros))
    if not qv.dynamic:
        qv = replace(
            qv,
            pristine=macros.question(
                qv, {}, {}, frozenset(), "", translate("optional", lang), translate("sum_label", lang)
            ),
        )
    return qv


def ready_questions(
    view: ScreenView, screen: Screen, shown: set[str], answers: dict[str, Any], values: dict[str, Any]
) -> dict[str, Markup]:
    """The finished HTML of each shown question of a page without errors (see :meth:`ScreenView.ready`)."""
    ready: dict[str, Markup] = {}
    for qv, question in zip(view.questions, screen.questions, strict=True):
        if qv.id in shown:
            answered = any(v in answers for v in question_variables(question))
            html = view.ready(qv, answered, values.get(qv.id))
            if html is not None:
                ready[qv.id] = html
    return ready


def values_from_answers(screen: Screen, answers: dict[str, Any]) -> dict[str, Any]:
    """The inputs' values from stored answers: the submitted text of each input, a list of codes for multi."""
    values: dict[str, Any] = {}
    for question in screen.questions:
        qid = question.id
        if question.type == "multi":
            values[qid] = [o.code for o in question.options if answers.get(f"{qid}_{o.code}") == 1]
        elif question.type == "constant_sum":
            total = 0.0
            for o in question.options:
                value = answers.get(f"{qid}_{o.code}")
                if value is not None:
                    values[f"{qid}_{o.code}"] = _num(value)
                    total += value
            if any(f"{qid}_{o.code}" in values for o in question.options):
                values[f"{qid}__total"] = _num(total)
        elif question.type in ("matrix", "checklist"):
            for row in question.rows:
                if row.id in answers:
                    values[row.id] = str(answers[row.id])
        elif qid in answers:
            value = answers[qid]
            values[qid] = _num(value) if isinstance(value, (int, float)) else value
    return values


def values_from_form(form: ScreenForm) -> tuple[dict[str, Any], set[str]]:
    """The inputs' values as posted (shown again as typed), and the variables whose inputs are invalid."""
    values: dict[str, Any] = {}
    bad: set[str] = set()
    for fld in form:
        if not isinstance(fld, AnswerField):
            continue
        var = fld.short_name[2:]
        if fld.errors:
            bad.add(var)
        if isinstance(fld, MultiAnswer):
            values[var] = list(fld.raw_data or ())
        elif isinstance(fld, ConstantSumAnswer):
            total, any_number = 0.0, False
            for code in fld.codes:
                raw = fld.raw_value(code)
                values[f"{var}_{code}"] = raw
                if fld.data is not None:
                    total += fld.data.get(code, 0)
                    any_number = True
            if any_number:
                values[f"{var}__total"] = _num(total)
        else:
            values[var] = fld.raw_data[0] if fld.raw_data else ""
    return values, bad


def error_summary(form: ScreenForm, screen: Screen, lang: str, view: ScreenView) -> list[tuple[str, str]]:
    """(input id, "label – messages") per question with errors, for the summary at the top of the page."""
    items = []
    views = {qv.id: qv for qv in view.questions}
    for question in screen.questions:
        messages: list[str] = []
        href = None
        for fld in form.answer_fields(question.id):
            if fld.errors:
                if href is None:
                    qv = views[question.id]
                    if question.type in ("matrix", "checklist"):
                        row = next(r for r in qv.rows if r.var == fld.short_name[2:])
                        href = row.options[0].id
                    else:
                        href = qv.first_input
                for message in fld.errors:
                    if message not in messages:
                        messages.append(message)
        if messages and href:
            label = (question.label or question.text).best(lang)
            if len(label) > 80:
                label = label[:78] + "…"
            items.append((href, f"{label} – {' '.join(messages)}"))
    return items


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
