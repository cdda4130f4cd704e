"""Message templates: placeholders, rendering, and the length of an SMS.

A template is text with ``{name}`` placeholders (``{{`` and ``}}`` for literal
braces).  Only bare names are allowed - no attribute access, index, conversion
or format spec - so a template can never reach into Python objects the way
``str.format`` would let it.  Rendering substitutes the values given and, for
HTML, escapes them.

SMS length follows 3GPP TS 23.038 / TS 23.040: text made only of the GSM 7-bit
default alphabet (an extension-table character such as ``€`` or ``{`` costs two
septets) fits 160 septets in one message and 153 per part when concatenated;
anything else is sent as UCS-2, 70 UTF-16 code units in one message and 67 per
part.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "BUILTIN_PLACEHOLDERS",
    "SmsLength",
    "TemplateError",
    "placeholders",
    "render",
    "sms_length",
]

BUILTIN_PLACEHOLDERS = ("name", "link", "optout")

_PART = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|\{|\}")
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")

# GSM 03.38 default alphabet and its extension table (each extension character is ESC + one septet)
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


class TemplateError(ValueError):
    """A malformed template; ``index`` is where in the template text the problem starts."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


def placeholders(template: str) -> list[tuple[str, int]]:
    """The placeholders of ``template`` with the index of their ``{``, in order.

    Raises :class:`TemplateError` for a lone brace or a placeholder that is not a bare
    lower-case name.
    """
    found = []
    for match in _PART.finditer(template):
        token = match.group()
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            raise TemplateError(f"a lone {token!r}; write {token * 2} for a literal brace", match.start())
        name = match.group(1)
        if not _NAME.match(name):
            raise TemplateError(f"{{{name}}} is not a placeholder: write a bare name such as {{link}}", match.start())
        found.append((name, match.start()))
    return found


def render(template: str, values: Mapping[str, str], *, escape_html: bool = False) -> str:
    """``template`` with each placeholder replaced by its value (HTML-escaped when ``escape_html``).

    A placeholder without a value is a KeyError: the loader checked the names, so
    a missing one is a bug of the caller, not something to send half-filled.
    """

    def one(match: re.Match[str]) -> str:
        token = match.group()
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name is None or not _NAME.match(name):
            raise TemplateError(f"malformed template near {token!r}", match.start())
        value = str(values[name])
        return html.escape(value) if escape_html else value

    return _PART.sub(one, template)


@dataclass(frozen=True, slots=True)
class SmsLength:
    """How an SMS text is encoded and how many parts it takes."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int

    @property
    def per_segment(self) -> int:
        single, concatenated = (160, 153) if self.encoding == "GSM-7" else (70, 67)
        return single if self.segments <= 1 else concatenated


def sms_length(text: str) -> SmsLength:
    """The encoding, length and number of parts of ``text`` sent as an SMS (3GPP TS 23.038/23.040)."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENSION for ch in text):
        units = sum(2 if ch in _GSM_EXTENSION else 1 for ch in text)
        encoding, single, part = "GSM-7", 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        encoding, single, part = "UCS-2", 70, 67
    segments = 1 if units <= single else math.ceil(units / part)
    return SmsLength(encoding, units, segments)
