"""Questionnaire languages beyond the two the package speaks itself (zh, en).

A questionnaire may declare any language as a BCP 47 tag (``zh-Hant``, ``ja``,
``fr``): its own texts come from the YAML in every declared language.  What the
package writes itself (button labels, the Kano answers, the NPS end labels, the
codebook's metadata labels, the report's headings) exists in ``zh`` and ``en``
only, so a third language takes that wording from the nearest of the two:

* Chinese in another script (``zh-Hant``, ``zh-TW``, ``zh-HK``) gets the
  Simplified wording converted to Traditional characters by OpenCC (the
  converter :mod:`surveykit.text` already uses the other way round);
* any other language gets the English wording.

That keeps a respondent in one script on one page and never shows a key.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from babel.core import Locale, UnknownLocaleError, get_global, parse_locale

from surveykit.model import Text

__all__ = ["BUILTIN", "LANGUAGE_TAG", "builtin", "builtin_language", "html_lang", "language_name", "script_of"]

BUILTIN = ("zh", "en")
# a language subtag, then optional script, region or variant subtags (BCP 47, simplified)
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}\Z")
_HTML = {"zh": "zh-Hans"}  # the package's zh is Simplified Chinese


@lru_cache(maxsize=64)
def script_of(tag: str) -> tuple[str, str | None]:
    """(language, script) of a tag, the script completed from CLDR's likely subtags (``zh-TW`` -> Hant)."""
    language, territory, script = parse_locale(tag.replace("-", "_"))[:3]
    if script is None:
        likely = get_global("likely_subtags")
        found = (likely.get(f"{language}_{territory}") if territory else None) or likely.get(language)
        script = parse_locale(found)[2] if found else None
    return language, script


def builtin_language(lang: str) -> str:
    """The package's own language whose wording ``lang`` is shown with: itself, zh for Chinese, else en."""
    if lang in BUILTIN:
        return lang
    try:
        language, _script = script_of(lang)
    except ValueError:
        return "en"
    return "zh" if language == "zh" else "en"


@lru_cache(maxsize=4096)
def _converted(text: str, lang: str) -> str:
    if script_of(lang)[1] != "Hant":
        return text
    return str(_converter().convert(text))


@lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc  # imported here: only a Traditional Chinese survey needs it

    return opencc.OpenCC("s2t")


def builtin(text: Text | str, lang: str) -> str:
    """Built-in wording (a :class:`Text` in zh and en, or a zh/en string) in ``lang``, or its nearest language."""
    if isinstance(text, Text):
        own = text.get(lang)
        if own is not None:
            return own
        base = builtin_language(lang)
        value = text.get(base) or text.best(base)
    else:
        base, value = builtin_language(lang), text
    return _converted(value, lang) if base == "zh" and lang != "zh" else value


def html_lang(lang: str) -> str:
    """The ``lang`` attribute of a page in ``lang``: ``zh`` is Simplified Chinese, others are their own tag."""
    return _HTML.get(lang, lang)


def language_name(lang: str) -> str:
    """The language's name in itself (for the language switch): 中文, English, 中文 (繁體), 日本語."""
    try:
        locale = Locale.parse(lang, sep="-")
    except (ValueError, UnknownLocaleError):
        return lang
    return locale.get_display_name(locale) or lang
