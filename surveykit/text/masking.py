"""Personal data masked out of comments before they are shown to anyone but the case handler.

Comments are free text, and customers write their phone number, e-mail address, licence
plate or ID number into them ("请打我电话138 0013 8000").  The report, the dashboards and the
case lists show comments with these masked by default; :func:`mask_personal_data` is the one
function every page uses.

What is masked (each replaced by a bracketed tag, so the reader sees what was there):

- e-mail addresses;
- Chinese resident ID numbers (18 characters, the last a digit or X; and the old 15 digits);
- mobile numbers of mainland China (1[3-9] and 9 digits, spaces or dashes allowed, with or
  without +86), landlines written with an area code (010-12345678, (021) 6234-5678,
  0755 8888 1234), and other international numbers starting with + (seven or more digits);
- Chinese licence plates: a province character, a letter, an optional separator (· . - or a
  space) and five or six letters or digits (京A·12345, 粤B12345, new-energy 沪AD12345), or four
  and a closing 学, 警, 港, 澳, 挂 or 领 (learner, police, Hong Kong, Macau, trailer, consular).

A phone keyboard in Chinese mode types full-width characters (１３８…, ＡＢＣ＠qq.com): the
patterns are matched on a copy with full-width forms turned half-width, character for
character, so the positions found are those of the original text.
"""

from __future__ import annotations

import re

__all__ = ["mask_personal_data"]

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_PATTERNS = (
    ("[email]", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("[ID]", re.compile(r"(?<![0-9])(?:[1-9]\d{16}[0-9Xx]|[1-9]\d{14})(?![0-9Xx])")),
    ("[phone]", re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![0-9])")),
    ("[phone]", re.compile(r"(?<![0-9])(?:0\d{2,3}|\(0\d{2,3}\)) ?-? ?\d{3,4}[ -]?\d{4}(?![0-9])")),
    ("[phone]", re.compile(r"\+\d[\d -]{6,}\d")),
    (
        "[plate]",
        re.compile(
            rf"[{_PROVINCES}][A-Za-z][ ·.\-•]?(?:[A-Za-z0-9]{{5,6}}|[A-Za-z0-9]{{4}}[学警港澳挂领])(?![A-Za-z0-9])"
        ),
    ),
)
# full-width ASCII forms and the ideographic space, each to its half-width character (same length)
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def mask_personal_data(text: str) -> str:
    """``text`` with e-mail addresses, ID numbers, phone numbers and licence plates masked.

    >>> mask_personal_data("车牌京A·12345，电话 138-0013-8000，邮箱 li@example.cn")
    '车牌[plate]，电话 [phone]，邮箱 [email]'
    """
    matched = text.translate(_HALF_WIDTH)  # kept aligned with text: every tag goes into both
    for tag, pattern in _PATTERNS:
        shown, seen, last = [], [], 0
        for m in pattern.finditer(matched):
            shown += [text[last : m.start()], tag]
            seen += [matched[last : m.start()], tag]
            last = m.end()
        if shown:
            text, matched = "".join([*shown, text[last:]]), "".join([*seen, matched[last:]])
    return text
