"""Skip logic on the server: which screens and questions apply to one respondent.

Conditions refer only to earlier answers (the loader refuses forward
references), so walking the screens in order with the answers kept so far is
enough to decide everything.  Answers of questions that do not apply are
dropped, also when an earlier answer changes and hides a question that was
answered before.

A question whose condition names an answer on its own screen is *dynamic*: it is
rendered (the optional script hides it while the condition does not hold) and
decided when the page is posted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from surveykit.expressions import And, Compare, Condition, Contains, Literal, Name, Node, Not, Or
from surveykit.model import Question, Questionnaire, Screen


def question_variables(question: Question) -> tuple[str, ...]:
    """The answer variables a question sets, as named in the codebook."""
    if question.type in ("matrix", "checklist"):
        return tuple(row.id for row in question.rows)
    if question.type in ("multi", "constant_sum"):
        return tuple(f"{question.id}_{o.code}" for o in question.options)
    return (question.id,)


def applies(condition: Condition | None, context: Mapping[str, Any]) -> bool:
    return condition is None or condition.evaluate(context)


@dataclass(frozen=True)
class Plan:
    """Per questionnaire: variables per question and per screen, dynamic questions.

    Built once per loaded questionnaire, so that a submit looks these up instead of deriving
    them again for every question (a 40-question screen asked for its variables ~80 times).
    """

    screens: tuple[Screen, ...]
    index: dict[str, int]
    screen_variables: tuple[frozenset[str], ...]
    dynamic: frozenset[str]  # question ids decided on their own page
    variables: dict[str, tuple[str, ...]]  # question id -> its answer variables (question_variables)
    # per screen: its condition and its questions' variables, those of consecutive unconditional
    # questions in one run (clean_answers)
    runs: tuple[tuple[Condition | None, tuple[tuple[Condition | None, tuple[str, ...]], ...]], ...]
    # per screen: its condition, the variables of its unconditional required questions with one
    # answer per variable, and the other required questions (condition, variables, one of them
    # is enough) (missing_required)
    required: tuple[
        tuple[Condition | None, tuple[str, ...], tuple[tuple[Condition | None, tuple[str, ...], bool], ...]], ...
    ]
    unconditional: bool  # no screen has a condition: every screen applies (visible_screens)


_PLANS: dict[int, tuple[Questionnaire, Plan]] = {}


def plan(q: Questionnaire) -> Plan:
    hit = _PLANS.get(id(q))
    if hit is None or hit[0] is not q:
        hit = (q, _make_plan(q))
        _PLANS[id(q)] = hit
    return hit[1]


def _make_plan(q: Questionnaire) -> Plan:
    screens = q.screens()
    screen_vars = []
    dynamic = set()
    for screen in screens:
        seen: set[str] = set()
        for question in screen.questions:
            if question.visible_if is not None:
                names = {n.name for n in question.visible_if.names()}
                # 'code' in q refers to q_code variables and to the question id itself
                if names & seen:
                    dynamic.add(question.id)
            seen.update(question_variables(question))
            seen.add(question.id)
        screen_vars.append(frozenset(v for qq in screen.questions for v in question_variables(qq)))
    variables = {question.id: question_variables(question) for screen in screens for question in screen.questions}
    return Plan(
        screens,
        {s.id: i for i, s in enumerate(screens)},
        tuple(screen_vars),
        frozenset(dynamic),
        variables,
        tuple((screen.visible_if, _runs(screen, variables)) for screen in screens),
        tuple((screen.visible_if, *_required(screen, variables)) for screen in screens),
        all(screen.visible_if is None for screen in screens),
    )


def _runs(
    screen: Screen, variables: dict[str, tuple[str, ...]]
) -> tuple[tuple[Condition | None, tuple[str, ...]], ...]:
    """(condition, variables) per conditional question, and per run of unconditional ones, in order."""
    runs: list[tuple[Condition | None, tuple[str, ...]]] = []
    for question in screen.questions:
        if question.visible_if is None and runs and runs[-1][0] is None:
            runs[-1] = (None, runs[-1][1] + variables[question.id])
        else:
            runs.append((question.visible_if, variables[question.id]))
    return tuple(runs)


def _required(
    screen: Screen, variables: dict[str, tuple[str, ...]]
) -> tuple[tuple[str, ...], tuple[tuple[Condition | None, tuple[str, ...], bool], ...]]:
    """The variables every unconditional required question needs, and the other required questions."""
    always: list[str] = []
    others = []
    for question in screen.questions:
        if not question.required:
            continue
        one_of = question.type in ("multi", "constant_sum")  # one ticked option or share is an answer
        if question.visible_if is None and not one_of:
            always.extend(variables[question.id])
        else:
            others.append((question.visible_if, variables[question.id], one_of))
    return tuple(always), tuple(others)


def clean_answers(q: Questionnaire, answers: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """Only the answers of questions that apply, in questionnaire order."""
    context: dict[str, Any] = dict(fields)
    kept: dict[str, Any] = {}
    get = answers.get
    for screen_condition, runs in plan(q).runs:
        if screen_condition is not None and not screen_condition.evaluate(context):
            continue
        for condition, variables in runs:
            if condition is not None and not condition.evaluate(context):
                continue
            for var in variables:
                value = get(var)
                if value is not None:
                    kept[var] = context[var] = value
    return kept


def visible_screens(q: Questionnaire, answers: Mapping[str, Any], fields: Mapping[str, Any]) -> list[int]:
    """Indexes of the screens that apply, given the answers so far."""
    if plan(q).unconditional:
        return list(range(len(q.screens())))
    context = {**fields, **answers}
    return [i for i, screen in enumerate(q.screens()) if applies(screen.visible_if, context)]


def visible_questions(screen: Screen, context: Mapping[str, Any]) -> list[Question]:
    return [question for question in screen.questions if applies(question.visible_if, context)]


def first_screen(q: Questionnaire, fields: Mapping[str, Any]) -> int | None:
    """The index of the first screen that applies before any answer, or None when none does."""
    visible = visible_screens(q, {}, fields)
    return visible[0] if visible else None


def next_screen(q: Questionnaire, index: int, answers: Mapping[str, Any], fields: Mapping[str, Any]) -> int | None:
    """The index of the next screen after ``index`` that applies, or None when ``index`` is the last."""
    return next((i for i in visible_screens(q, answers, fields) if i > index), None)


def previous_screen(q: Questionnaire, index: int, answers: Mapping[str, Any], fields: Mapping[str, Any]) -> int | None:
    """The index of the screen before ``index`` that applies, or None when ``index`` is the first."""
    return next((i for i in reversed(visible_screens(q, answers, fields)) if i < index), None)


def resume_screen(q: Questionnaire, answers: Mapping[str, Any], fields: Mapping[str, Any], reached: int) -> int:
    """The screen to come back to: the one reached, or the next that applies, or the last that applies.

    An earlier answer may have hidden the screen reached since; 0 when no screen applies.
    """
    visible = visible_screens(q, answers, fields)
    if not visible:
        return 0
    return next((i for i in visible if i >= reached), visible[-1])


def applying_questions(
    screen: Screen, context: Mapping[str, Any], answers_of: Callable[[str], Mapping[str, Any]]
) -> set[str]:
    """The ids of the questions of a posted screen that apply.

    ``context`` holds the segment fields and the answers of earlier screens; ``answers_of(id)``
    gives a question's answers as posted.  Walking the screen in order, each question that
    applies adds its answers to the context, so a later question's condition may name it (after
    the last conditional question nothing reads the context, so no more answers are asked for).
    """
    questions = screen.questions
    last = _last_conditional(screen)
    if last < 0:  # no condition on this screen
        return {question.id for question in questions}
    known = dict(context)
    applying: set[str] = set()
    for i, question in enumerate(questions):
        condition = question.visible_if
        if condition is None or condition.evaluate(known):
            applying.add(question.id)
            if i < last:
                known.update(answers_of(question.id))
    return applying


_LAST: dict[int, tuple[Screen, int]] = {}


def _last_conditional(screen: Screen) -> int:
    """The index of the screen's last question with a condition, -1 for none; kept by identity, as plan()."""
    hit = _LAST.get(id(screen))
    if hit is None or hit[0] is not screen:
        last = max((i for i, question in enumerate(screen.questions) if question.visible_if is not None), default=-1)
        if len(_LAST) > 2000:  # screens of questionnaires no longer loaded
            _LAST.clear()
        hit = _LAST[id(screen)] = (screen, last)
    return hit[1]


def shown_questions(q: Questionnaire, screen: Screen, context: Mapping[str, Any]) -> tuple[set[str], dict[str, str]]:
    """The questions a screen renders, and the condition (as JSON) of each dynamic one among them.

    A question whose condition names an answer on its own screen is rendered whatever the
    answers (the optional script shows it while its condition holds); any other question is
    rendered only when its condition holds for ``context`` (fields and answers so far).
    """
    dynamic = plan(q).dynamic
    shown: set[str] = set()
    conds: dict[str, str] = {}
    for question in screen.questions:
        if question.id in dynamic and question.visible_if is not None:
            shown.add(question.id)
            conds[question.id] = condition_json(question.visible_if, context)
        elif applies(question.visible_if, context):
            shown.add(question.id)
    return shown, conds


def missing_required(q: Questionnaire, answers: Mapping[str, Any], fields: Mapping[str, Any]) -> int | None:
    """The index of the first screen with a required question that applies and has no answer."""
    context: dict[str, Any] = {**fields, **answers}
    get = answers.get
    for i, (screen_condition, always, others) in enumerate(plan(q).required):
        if screen_condition is not None and not screen_condition.evaluate(context):
            continue
        if any(get(v) is None for v in always):
            return i
        for condition, variables, one_of in others:
            if condition is not None and not condition.evaluate(context):
                continue
            if one_of:
                if not any(get(v) is not None for v in variables):
                    return i
            elif any(get(v) is None for v in variables):
                return i
    return None


def condition_json(condition: Condition, known: Mapping[str, Any]) -> str:
    """The condition as JSON for the optional script, with the answers it needs from earlier pages."""
    values = {}
    for name in condition.names():
        if name.name in known:
            values[name.name] = known[name.name]
        prefix = name.name + "_"  # the 0/1 variables of a multi question
        values.update({var: value for var, value in known.items() if var.startswith(prefix)})
    return json.dumps({"t": _tree(condition.tree), "v": values}, ensure_ascii=False, separators=(",", ":"))


def _tree(node: Node) -> Any:
    if isinstance(node, Name):
        return {"n": node.name}
    if isinstance(node, Literal):
        return {"l": node.value}
    if isinstance(node, Compare):
        return ["c", node.op, _tree(node.left), _tree(node.right)]
    if isinstance(node, Contains):
        return ["in", node.code, node.name.name, node.negate]
    if isinstance(node, And):
        return ["and", [_tree(p) for p in node.parts]]
    if isinstance(node, Or):
        return ["or", [_tree(p) for p in node.parts]]
    if isinstance(node, Not):
        return ["not", _tree(node.part)]
    raise TypeError(node)  # pragma: no cover
