"""Expand a questionnaire into screens and name its variables.

Both views are derived once, when the file is loaded, so that every consumer
(the web form, the simulator, the store, the exports, the analysis) agrees on
what is asked in which order and on what each column is called.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from surveykit.languages import builtin
from surveykit.model import (
    KANO_CODES,
    IPABlock,
    KanoBlock,
    Option,
    Page,
    PairedItem,
    Question,
    Screen,
    ServqualBlock,
    Text,
    Variable,
    text_of,
)

if TYPE_CHECKING:
    from surveykit.model import Questionnaire

KANO_OPTIONS = tuple(
    Option(code, text)
    for code, text in zip(
        KANO_CODES,
        (
            text_of(zh="我喜欢这样", en="I like it that way"),
            text_of(zh="理应如此", en="It must be that way"),
            text_of(zh="无所谓", en="I am neutral"),
            text_of(zh="勉强可以接受", en="I can live with it"),
            text_of(zh="我不喜欢这样", en="I dislike it that way"),
        ),
        strict=True,
    )
)
NPS_LABELS = (
    (0, text_of(zh="完全不可能", en="Not at all likely")),
    (10, text_of(zh="极有可能", en="Extremely likely")),
)
# Kano attributes per screen: each is two five-option questions (plus importance); on a phone
# eleven of them made a 39 KB page and a long scroll, four keep a page near 15 KB.
KANO_PER_SCREEN = 4
MULTI_LABELS = ((0, text_of(zh="未选", en="Not selected")), (1, text_of(zh="已选", en="Selected")))
_SUBTITLES = {
    "expectation": text_of(zh="您的期望", en="Your expectations"),
    "perception": text_of(zh="您的实际感受", en="Your experience"),
    "importance": text_of(zh="重要程度", en="How important is it?"),
    "performance": text_of(zh="我们的表现", en="How did we do?"),
}
_INTROS = {
    "expectation": text_of(
        zh="请想一想您心目中一家优秀的企业。它在多大程度上应当做到以下各点？",
        en="Think of an excellent company of this kind. How far should it do each of the following?",
    ),
    "perception": text_of(
        zh="现在请根据您这次的亲身经历，评价我们在多大程度上做到了以下各点。",
        en="Now, from your own visit, how far did we do each of the following?",
    ),
    "importance": text_of(zh="以下各项对您有多重要？", en="How important is each of the following to you?"),
    "performance": text_of(zh="我们在以下各项上的表现如何？", en="How well did we do on each of the following?"),
}
_METADATA = (
    ("response_id", text_of(zh="答卷编号", en="Response id"), "string", "nominal"),
    ("survey", text_of(zh="问卷", en="Survey"), "string", "nominal"),
    ("version", text_of(zh="问卷版本", en="Questionnaire version"), "numeric", "nominal"),
    ("wave", text_of(zh="调查轮次", en="Survey wave"), "string", "ordinal"),
    ("language", text_of(zh="作答语言", en="Answer language"), "string", "nominal"),
    ("started_at", text_of(zh="开始时间", en="Started at"), "datetime", "scale"),
    ("submitted_at", text_of(zh="提交时间", en="Submitted at"), "datetime", "scale"),
    ("duration_s", text_of(zh="作答时长（秒）", en="Duration (seconds)"), "numeric", "scale"),
)

_ORDER_SEED = text_of(zh="随机顺序种子", en="Order seed of randomised lists")


def _localise(text: Text, languages: tuple[str, ...]) -> Text:
    """Built-in wording restricted to (and ordered by) the survey's languages; a third one takes the nearest."""
    return Text(tuple((lang, builtin(text, lang)) for lang in languages))


def build_screens(q: Questionnaire) -> tuple[Screen, ...]:
    """The respondent's screens: pages as written, paired blocks expanded."""
    langs = q.languages
    screens: list[Screen] = []
    for section in q.pages:
        if isinstance(section, Page):
            screens.append(
                Screen(
                    section.id,
                    section.title,
                    section.questions,
                    section.intro,
                    section.visible_if,
                    shuffle=section.shuffle,
                )
            )
        elif isinstance(section, ServqualBlock):
            for role, suffix, attr in (("expectation", "_e", "first"), ("perception", "_p", "second")):
                questions = tuple(
                    Question(
                        id=f"{item.id}{suffix}",
                        type="likert",
                        text=getattr(item, attr),
                        help=item.help,
                        label=item.label,
                        dimension=item.dimension,
                        reverse=item.reverse,
                        scale=section.scale,
                        block=section.id,
                        pair=item.id,
                        role=role,
                    )
                    for item in section.items
                )
                screens.append(_block_screen(section, role, questions, langs))
        elif isinstance(section, IPABlock):
            for role, suffix, attr, scale in (
                ("importance", "_i", "first", section.importance_scale),
                ("performance", "_p", "second", section.performance_scale),
            ):
                questions = tuple(
                    Question(
                        id=f"{item.id}{suffix}",
                        type="likert",
                        text=getattr(item, attr),
                        help=item.help,
                        label=item.label,
                        dimension=item.dimension,
                        scale=scale,
                        block=section.id,
                        pair=item.id,
                        role=role,
                    )
                    for item in section.items
                )
                screens.append(_block_screen(section, role, questions, langs))
        elif isinstance(section, KanoBlock):
            options = tuple(Option(o.code, _localise(o.text, langs)) for o in KANO_OPTIONS)
            chunks = [
                section.attributes[i : i + KANO_PER_SCREEN] for i in range(0, len(section.attributes), KANO_PER_SCREEN)
            ]
            for number, chunk in enumerate(chunks, 1):
                kano_questions = _kano_questions(section, chunk, options)
                screen_id = section.id if number == 1 else f"{section.id}_{number}"
                screens.append(
                    Screen(
                        screen_id,
                        section.title,
                        tuple(kano_questions),
                        section.intro if number == 1 else None,
                        section.visible_if,
                        section.id,
                        shuffle=section.shuffle,
                    )
                )
    return tuple(screens)


def _kano_questions(
    section: KanoBlock, attributes: tuple[PairedItem, ...], options: tuple[Option, ...]
) -> list[Question]:
    """Per attribute: the functional and the dysfunctional question (and self-stated importance)."""
    kano_questions: list[Question] = []
    for item in attributes:
        question = partial(
            Question, help=item.help, label=item.label, dimension=item.dimension, block=section.id, pair=item.id
        )
        kano_questions.append(
            question(id=f"{item.id}_f", type="kano", text=item.first, options=options, role="functional")
        )
        kano_questions.append(
            question(id=f"{item.id}_d", type="kano", text=item.second, options=options, role="dysfunctional")
        )
        if section.importance_scale is not None and item.importance is not None:
            kano_questions.append(
                question(
                    id=f"{item.id}_si",
                    type="likert",
                    text=item.importance,
                    scale=section.importance_scale,
                    role="self_importance",
                )
            )
    return kano_questions


def _block_screen(
    section: ServqualBlock | IPABlock, role: str, questions: tuple[Question, ...], langs: tuple[str, ...]
) -> Screen:
    subtitle = _localise(_SUBTITLES[role], langs)
    title = section.title.join(subtitle, " · ") if section.title else subtitle
    intro = (
        section.intro if (section.intro and role in ("expectation", "importance")) else _localise(_INTROS[role], langs)
    )
    return Screen(
        f"{section.id}_{role}", title, questions, intro, section.visible_if, section.id, role, section.shuffle
    )


def build_variables(q: Questionnaire, screens: tuple[Screen, ...]) -> tuple[Variable, ...]:
    """The codebook, in column order: metadata, segment fields, answers."""
    langs = q.languages
    out = [Variable(name, _localise(label, langs), kind, level, "metadata") for name, label, kind, level in _METADATA]
    if any(screen.shuffle is not None or any(x.shuffle is not None for x in screen.questions) for screen in screens):
        # the per-respondent order of randomised lists is drawn from this seed (surveykit.randomize)
        out.append(Variable("order_seed", _localise(_ORDER_SEED, langs), "numeric", "nominal", "metadata"))
    for f in q.fields:
        out.append(Variable(f.id, f.label, "string", "nominal", "field", question=f.id, value_labels=f.values))
    for screen in screens:
        for question in screen.questions:
            out.extend(_question_variables(question, screen, langs))
    return tuple(out)


def _question_variables(question: Question, screen: Screen, langs: tuple[str, ...]) -> list[Variable]:
    label = question.label or question.text
    cond = question.visible_if.source if question.visible_if else None
    variable = partial(
        Variable,
        question=question.pair or question.id,
        block=screen.block or screen.id,
        required=question.required,
        visible_if=cond,
    )
    if question.type in ("likert",) and question.scale is not None:
        scale = question.scale
        return [
            variable(
                question.id,
                label,
                "numeric",
                "ordinal",
                question.type,
                role=question.role,
                dimension=question.dimension,
                reverse=question.reverse,
                value_labels=scale.labels,
                min=1,
                max=scale.points,
                scale=scale.id,
            )
        ]
    if question.type == "matrix" and question.scale is not None:
        scale = question.scale
        return [
            variable(
                row.id,
                row.label or row.text,
                "numeric",
                "ordinal",
                "matrix",
                dimension=row.dimension or question.dimension,
                reverse=row.reverse,
                value_labels=scale.labels,
                min=1,
                max=scale.points,
                scale=scale.id,
                question=question.id,
            )
            for row in question.rows
        ]
    if question.type == "checklist":
        return [
            variable(
                row.id,
                row.label or row.text,
                "string",
                "nominal",
                "checklist",
                dimension=row.dimension,
                value_labels=tuple((o.code, o.text) for o in question.options),
                question=question.id,
            )
            for row in question.rows
        ]
    if question.type == "nps":
        return [
            variable(
                question.id,
                label,
                "numeric",
                "ordinal",
                "nps",
                dimension=question.dimension,
                value_labels=tuple((v, _localise(t, langs)) for v, t in NPS_LABELS),
                min=0,
                max=10,
            )
        ]
    if question.type == "number":
        return [
            variable(
                question.id,
                label,
                "numeric",
                "scale",
                "number",
                dimension=question.dimension,
                min=question.min,
                max=question.max,
            )
        ]
    if question.type in ("choice", "kano"):
        return [
            variable(
                question.id,
                label,
                "string",
                "nominal",
                question.type,
                role=question.role,
                dimension=question.dimension,
                value_labels=tuple((o.code, o.text) for o in question.options),
            )
        ]
    if question.type == "multi":
        marks = tuple((v, _localise(t, langs)) for v, t in MULTI_LABELS)
        return [
            variable(
                f"{question.id}_{o.code}",
                label.join(o.text, " – "),
                "numeric",
                "nominal",
                "multi",
                dimension=question.dimension,
                value_labels=marks,
                min=0,
                max=1,
            )
            for o in question.options
        ]
    if question.type == "constant_sum":
        return [
            variable(
                f"{question.id}_{o.code}",
                label.join(o.text, " – "),
                "numeric",
                "scale",
                "constant_sum",
                role="allocation",
                min=0,
                max=question.total,
            )
            for o in question.options
        ]
    if question.type == "date":
        return [variable(question.id, label, "date", "scale", "date")]
    return [variable(question.id, label, "string", "nominal", question.type)]
