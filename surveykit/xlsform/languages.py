"""XLSForm language columns (``label::Chinese (zh)``) <-> this project's language codes.

XLSForm names a language freely after ``::``; the specification recommends ``Name (code)``
with a BCP 47 code, which ODK Collect uses to pick the device language.  Read: the code in the
brackets wins, else a known name (English, Chinese, 中文, 日本語…), else the text itself as a code.
A questionnaire may declare any language (:mod:`surveykit.languages`), so any language CLDR
knows (Babel's ``Locale.parse``) is taken, reduced to what the project keys texts by: the
language, with its script only where that is not the language's usual one.  So ``en-GB`` is
``en``, ``ja-JP`` is ``ja``, Chinese in simplified script (``zh-CN``, ``zh-SG``, ``zh-Hans``) is
this project's ``zh``, and in traditional script (``zh-TW``, ``zh-HK``, ``zh-Hant``) ``zh-Hant``.
Write: the ``Name (code)`` form, which pyxform and ODK Collect understand.
"""

from __future__ import annotations

import re

from babel.core import Locale, UnknownLocaleError

from surveykit.languages import LANGUAGE_TAG, script_of

_NAMES = {
    "english": "en",
    "英文": "en",
    "英语": "en",
    "chinese": "zh",
    "mandarin": "zh",
    "simplified chinese": "zh",
    "chinese (simplified)": "zh",
    "中文": "zh",
    "汉语": "zh",
    "简体中文": "zh",
    "traditional chinese": "zh-hant",
    "chinese (traditional)": "zh-hant",
    "繁體中文": "zh-hant",
    "japanese": "ja",
    "日本語": "ja",
    "korean": "ko",
    "french": "fr",
    "spanish": "es",
    "german": "de",
    "portuguese": "pt",
    "arabic": "ar",
}
_DISPLAY = {
    "en": "English",
    "zh": "Chinese",
    "zh-Hant": "Traditional Chinese",
}  # pyxform reads "Name (code)" only with no other brackets
_CODE_IN_BRACKETS = re.compile(r"\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)\s*\)\s*\Z")


def language_code(name: str) -> str | None:
    """The project's code for an XLSForm language name, or None if it names no language CLDR knows.

    >>> [language_code(n) for n in ("Chinese (zh-TW)", "English (en-GB)", "日本語", "French (fr)", "Klingon")]
    ['zh-Hant', 'en', 'ja', 'fr', None]
    """
    text = name.strip()
    match = _CODE_IN_BRACKETS.search(text)
    tag = (match.group(1) if match else _NAMES.get(text.lower(), text)).replace("_", "-")
    if not LANGUAGE_TAG.match(tag[:3].lower() + tag[3:]):
        return None
    try:
        locale = Locale.parse(tag, sep="-")
        script = script_of(tag)[1]
    except (ValueError, UnknownLocaleError):
        return None
    if script is not None and script != script_of(locale.language)[1]:
        return f"{locale.language}-{script}"
    return locale.language


def column_language(code: str) -> str:
    """The XLSForm column language for a project code: ``'Chinese (zh)'``, ``'Japanese (ja)'``."""
    name = _DISPLAY.get(code)
    if name is None:
        try:
            name = Locale.parse(code, sep="-").get_display_name("en")
        except (ValueError, UnknownLocaleError):
            name = code
    return f"{name} ({code})"
