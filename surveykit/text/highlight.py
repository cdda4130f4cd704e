"""A comment cut into pieces for display, with the words that coded each theme marked.

The coder works on the normalised comment (:mod:`surveykit.text.normalise`); a page shows the
comment as the customer wrote it.  :func:`highlight` maps between the two character by
character (NFKC, OpenCC's single-character table, lower case: the forms whose length a
character keeps or whose expansion can be traced back), finds each word of the coding's
evidence in the mapped text and returns (piece, theme or None) pairs in order, so a template
can put a ``<mark>`` around the marked pieces and escape every piece.  Personal data is masked
first unless the caller says otherwise.
"""

from __future__ import annotations

import re
import unicodedata

from surveykit.text.coder import CodedComment
from surveykit.text.masking import mask_personal_data
from surveykit.text.normalise import SLANG, _converter

__all__ = ["highlight"]


def _mapped(text: str) -> tuple[str, list[int]]:
    """``text`` normalised character by character, and for each output character its source index."""
    out: list[str] = []
    where: list[int] = []
    convert = _converter().convert
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch)
        if any("\u3400" <= c <= "\u9fff" for c in folded):
            converted = convert(folded)
            folded = converted if len(converted) == len(folded) else folded
        for c in folded.lower():
            out.append(c)
            where.append(i)
    mapped = "".join(out)
    for slang, standard in SLANG.items():  # same length in every entry but one; keep positions when it is
        if len(slang) == len(standard):
            mapped = mapped.replace(slang, standard)
    return mapped, where


def highlight(text: str, coded: CodedComment, *, mask: bool = True) -> list[tuple[str, str | None]]:
    """(piece, theme id or None) pairs covering ``text`` (masked first when ``mask``).

    >>> from surveykit.text import coder_for
    >>> text = "價格公道，就是等太久"
    >>> highlight(text, coder_for(None).code(text))
    [('價格公道', 'price'), ('，就是', None), ('等太久', 'waiting_time')]
    """
    shown = mask_personal_data(text) if mask else text
    mapped, where = _mapped(shown)
    owner: list[str | None] = [None] * len(shown)
    for theme, word in sorted(coded.evidence, key=lambda tw: -len(tw[1])):
        pattern = re.escape(word)
        if word[:1].isascii() and word[:1].isalnum():
            pattern = r"(?<![a-z0-9])" + pattern
        for m in re.finditer(pattern, mapped):
            start, end = where[m.start()], where[m.end() - 1] + 1
            if all(owner[i] is None for i in range(start, end)):
                for i in range(start, end):
                    owner[i] = theme
    pieces: list[tuple[str, str | None]] = []
    for i, ch in enumerate(shown):
        if pieces and pieces[-1][1] == owner[i]:
            pieces[-1] = (pieces[-1][0] + ch, owner[i])
        else:
            pieces.append((ch, owner[i]))
    return pieces
