"""The report in a questionnaire's third language (``zh-Hant``, ``ja``...).

The report's own wording (headings, table heads, explanations, chart annotations) is
written in zh and en.  For a third language declared by the questionnaire, the report
shows the questionnaire's texts (items, dimensions, options, fields) in that language
and its own wording in the nearest built-in one (:func:`surveykit.languages.builtin_language`):
the questionnaire is relabelled so that its texts in the built-in language are those of
the third, the report is rendered in the built-in language, and the page is declared in
the third language.  For Traditional Chinese the page's text and every text of its charts
(titles, axes, annotations, drawn before the glyphs become paths) are converted to Traditional
characters by OpenCC, so one script shows throughout.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from surveykit.languages import builtin, builtin_language, html_lang, script_of
from surveykit.model import Questionnaire, Text

__all__ = ["figure_in", "finish_page", "relabel"]

_HTML_OPEN = re.compile(r'<html lang="[^"]*">')
_DATA_URI = re.compile(r"data:[a-z/+]+;base64,[A-Za-z0-9+/=]+")


def relabel(q: Questionnaire, lang: str) -> Questionnaire:
    """``q`` with every text's built-in-language entry replaced by its ``lang`` entry (when it has one)."""
    base = builtin_language(lang)
    memo: dict[int, Any] = {}

    def swap(value: Any) -> Any:
        key = id(value)
        if key in memo:
            return memo[key]
        if isinstance(value, Text):
            own = value.get(lang)
            out: Any = (
                Text(tuple((code, own if code == base else text) for code, text in value.values))
                if own is not None
                else value
            )
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {f.name: swap(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
            out = dataclasses.replace(value, **changes)
        elif isinstance(value, tuple):
            out = tuple(swap(item) for item in value)
        else:
            out = value
        memo[key] = out
        return out

    return swap(q)  # type: ignore[no-any-return]


def figure_in(figure: Any, lang: str) -> None:
    """Put every text of a matplotlib figure into ``lang``'s script (a no-op unless it is Traditional Chinese)."""
    if builtin_language(lang) != "zh" or script_of(lang)[1] != "Hant":
        return
    from matplotlib.text import Text as Label

    for label in figure.findobj(Label):
        text = label.get_text()
        if text:
            label.set_text(builtin(text, lang))


def finish_page(html: str, lang: str) -> str:
    """Declare the page in ``lang``; for a Traditional Chinese survey convert its text (not its images)."""
    html = _HTML_OPEN.sub(f'<html lang="{html_lang(lang)}">', html, count=1)
    if builtin_language(lang) != "zh" or script_of(lang)[1] != "Hant":
        return html
    images = _DATA_URI.findall(html)
    parts = _DATA_URI.split(html)
    converted = [builtin(part, lang) for part in parts]
    out = converted[0]
    for image, part in zip(images, converted[1:], strict=True):
        out += image + part
    return out
