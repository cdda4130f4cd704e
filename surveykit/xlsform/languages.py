"""XLSForm language columns (``label::Chinese (zh)``) <-> this project's language codes.

XLSForm names a language freely after ``::``; the specification recommends ``Name (code)``
with a BCP 47 code, which ODK Collect uses to pick the device language.  Read: the code in the
brackets wins, else a known name (English, Chinese, 中文…), else the text itself as a code;
Chinese in simplified script (``zh-CN``, ``zh-SG``, ``zh-Hans``) is this project's ``zh``, in
traditional script (``zh-TW``, ``zh-HK``, ``zh-Hant``) only a declared ``zh-Hant``.  Write: the
``Name (code)`` form, which pyxform and ODK Collect understand.
"""

from __future__ import annotations

import re

from surveykit import spec

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
_DISPLAY = {"en": "English", "zh": "Chinese", "zh-Hant": "Chinese (Traditional)", "ja": "Japanese", "ko": "Korean"}
_CODE_IN_BRACKETS = re.compile(r"\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)\s*\)\s*\Z")
_SIMPLIFIED = {"cn", "sg", "hans", "my"}
_TRADITIONAL = {"tw", "hk", "mo", "hant"}


def language_code(name: str) -> str | None:
    """The project's code for an XLSForm language name, or None if the project does not have it."""
    text = name.strip()
    match = _CODE_IN_BRACKETS.search(text)
    tag = match.group(1) if match else _NAMES.get(text.lower(), text)
    tag = tag.replace("_", "-").lower()
    supported = {code.lower(): code for code in spec.LANGUAGES}
    if tag in supported:
        return supported[tag]
    parts = tag.split("-")
    if parts[0] == "zh":
        traditional = any(p in _TRADITIONAL for p in parts[1:])
        if traditional:
            return supported.get("zh-hant")
        if all(p in _SIMPLIFIED for p in parts[1:]):
            return supported.get("zh")
        return None
    return supported.get(parts[0]) if len(parts) > 1 else None


def column_language(code: str) -> str:
    """The XLSForm column language for a project code: ``'Chinese (zh)'``."""
    return f"{_DISPLAY.get(code, code)} ({code})"
