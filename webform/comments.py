"""Customer comments on the case pages: masked by default, with the words that coded each theme marked.

A case handler reads why the customer complained.  Comments are shown with personal data masked
(:func:`surveykit.text.mask_personal_data`: phone numbers, e-mail addresses, licence plates, ID
numbers) unless the app is configured with ``MASK_PERSONAL_DATA = False``; a text question with a
``codeframe:`` also shows its themes with their sentiment and marks the words that coded them
(:func:`surveykit.text.highlight.highlight`).  Every piece is escaped by the template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from surveykit.model import Questionnaire
from surveykit.text import coder_for, mask_personal_data
from surveykit.text.highlight import highlight

__all__ = ["comment_views", "masking", "shown"]

SENTIMENT_WORDS = {
    "zh": {"neg": "负面", "neu": "中性", "pos": "正面", "mixed": "褒贬兼有"},
    "en": {"neg": "negative", "neu": "neutral", "pos": "positive", "mixed": "mixed"},
}


def masking() -> bool:
    """Whether personal data is masked on the pages (the default; ``MASK_PERSONAL_DATA = False`` turns it off)."""
    return bool(current_app.config.get("MASK_PERSONAL_DATA", True))


def shown(text: str) -> str:
    """A free-text answer as the pages show it: masked unless masking is off."""
    return mask_personal_data(text) if masking() else text


def comment_views(q: Questionnaire | None, answers: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    """The text answers of one response: label, pieces (text, theme or None), and (theme label, sentiment) pairs."""
    mask = masking()
    words = SENTIMENT_WORDS.get(lang, SENTIMENT_WORDS["en"])
    views = []
    questions = [x for x in q.questions() if x.type == "text"] if q is not None else []
    for question in questions:
        value = answers.get(question.id)
        if not isinstance(value, str) or not value.strip():
            continue
        label = (question.label or question.text).best(lang)
        if question.codeframe is None:
            views.append({"label": label, "pieces": [(shown(value), None)], "themes": [], "names": {}})
            continue
        coded = coder_for(question.codeframe).code(value)
        names = {t: question.codeframe.theme(t).label(lang) for t in coded.themes}
        views.append(
            {
                "label": label,
                "pieces": highlight(value, coded, mask=mask),
                "themes": [(names[t], words[s]) for t, s in coded.theme_sentiment],
                "names": names,
            }
        )
    return views
