"""Comment text brought to one form before it is coded.

Customers type on phones: full-width letters and digits from a Chinese keyboard
(``ＯＫ``, ``４Ｓ店``), traditional characters from a Hong Kong or Taiwan input method
(``價錢``, ``後視鏡``), a few internet spellings (``木有`` for 没有) and any case in
English.  Coding rules and lexicons are written once, in simplified Chinese and lower-case
English, so every comment is first:

1. NFKC-normalised (full-width ASCII to half-width, compatibility forms folded);
2. converted traditional → simplified with OpenCC's ``t2s`` table (OpenCC, Apache-2.0,
   https://github.com/BYVoid/OpenCC);
3. respelled for the few slang forms in :data:`SLANG` (they change the meaning of a
   negation: 木有问题 is 没有问题);
4. lower-cased, with runs of white space made one space.

The same function checks a codeframe: a rule that is not already in this form can never
match a normalised comment (:mod:`surveykit.text.codeframe` reports it).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["SLANG", "normalise"]

# internet spellings whose standard form a rule or lexicon would be written with
SLANG = {
    "木有": "没有",
    "米有": "没有",
    "肿么": "怎么",
    "神马": "什么",
    "酱紫": "这样",
    "灰常": "非常",
    "表酱紫": "不要这样",
}
_SLANG = re.compile("|".join(sorted(map(re.escape, SLANG), key=len, reverse=True)))
_SPACE = re.compile(r"\s+")
_CHINESE = re.compile("[\u3400-\u9fff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=1)
def _converter():  # type: ignore[no-untyped-def]
    import opencc  # imported here: the loader reads codeframes without needing it at import time

    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    r"""``text`` in the form rules are matched against (see the module docstring).

    >>> normalise("價錢ＯＫ的，木有問題")
    '价钱ok的,没有问题'

    A lone surrogate, which no UTF-8 text holds but a JSON string may, becomes U+FFFD
    instead of stopping the coding of a whole file:

    >>> normalise("價錢\ud800好")
    '价钱�好'
    """
    text = unicodedata.normalize("NFKC", text)
    if _CHINESE.search(text):
        try:
            text = _converter().convert(text)
        except UnicodeEncodeError:  # a lone surrogate (JSON may carry one): OpenCC takes UTF-8 only
            text = _converter().convert(_SURROGATE.sub("\ufffd", text))
        text = _SLANG.sub(lambda m: SLANG[m.group(0)], text)
    return _SPACE.sub(" ", text.lower()).strip()
