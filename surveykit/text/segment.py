"""Word segmentation for coding comments: jieba for Chinese, a word pattern for English.

Why jieba: it is pure Python, MIT-licensed, kept on PyPI with its dictionary inside the
package, and takes a user dictionary.  pkuseg (and its maintained fork spacy-pkuseg) was the
other candidate; spacy-pkuseg installs here (pkuseg 0.0.25 does not build on Python 3.11), but
its wheel (1.0.2) holds no model, only ``models/tagIndex.txt``: the models are downloaded from
GitHub at first use, which a survey server without internet access cannot do, so it could not
even be run on the reference comments, and the comparison the issue asks for was not possible.

The shipped user dictionary (``dealer_words.txt``, jieba's ``word freq tag`` format) keeps
dealership words whole that jieba's general dictionary splits or joins wrongly: 钣金 (which it
cuts into 钣/金), 代步车, 工时费, 4S店, 交车, 首保, 异响 ...

Segmentation decides one thing in coding: whether a one-character word of a rule or lexicon
(慢, 贵, 坑) stands as a word of the comment, so that 差 does not fire inside 差不多 nor 慢
inside 慢慢.  Longer words are matched as substrings, which is robust to segmentation errors.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from functools import lru_cache
from math import log
from pathlib import Path
from typing import Any

__all__ = ["USER_DICTIONARY", "english_words", "segment", "word_spans", "words_covering"]

USER_DICTIONARY = Path(__file__).with_name("dealer_words.txt")
_ENGLISH_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    with warnings.catch_warnings():
        # jieba 0.42 imports pkg_resources when setuptools is present, which warns on import
        warnings.simplefilter("ignore")
        import jieba
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    # jieba caches its dictionary with marshal, by default in the shared temporary folder where any
    # local user could plant a file for it to load: keep the cache in a folder of our own instead
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "surveykit"
    try:
        cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:  # no writable home (a locked-down service): build the dictionary each time, no cache
        with tokenizer.get_dict_file() as dictionary:
            tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(dictionary)
        tokenizer.initialized = True
    else:
        tokenizer.tmp_dir = str(cache)
        tokenizer.initialize()
    # read here rather than by load_userdict, which leaves the file open
    for line in USER_DICTIONARY.read_text("utf-8").splitlines():
        word, freq, tag = line.split()
        tokenizer.add_word(word, int(freq), tag)
    return tokenizer


def segment(text: str) -> list[str]:
    """The words of ``text`` (jieba, precise mode with the user dictionary), blanks dropped.

    >>> segment("钣金做得很平整")
    ['钣金', '做', '得', '很', '平整']
    """
    return [word for word in _tokenizer().lcut(text) if word.strip()]


def word_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of the dictionary words jieba cuts ``text`` into, blanks included.

    jieba's maximum-probability path through the word graph of its dictionary (what
    ``cut(HMM=False)`` returns for a run of Chinese), without the HMM, which joins runs of single
    characters it does not know into new words (贵太多): the coder asks whether a one-character
    word stands alone, and a guessed word would hide it.

    jieba's ``get_DAG`` and ``calc`` in one loop, with each word's ``log(freq) - log(total)``
    remembered rather than taken again (the same floating-point operations in the same order, so
    the same path, ties to the longer word as jieba's ``max`` of (score, end) breaks them): they
    were a fifth of the coder's time.

    >>> word_spans("差不多太慢了")
    [(0, 3), (3, 5), (5, 6)]
    """
    freq = _tokenizer().FREQ
    weights, log_total = _weights()
    unknown = log(1) - log_total
    n = len(text)
    score = [0.0] * (n + 1)
    end = list(range(1, n + 2))  # the end of the best first word from each position
    for start in range(n - 1, -1, -1):
        best, best_end = unknown + score[start + 1], start + 1  # jieba's fallback: the character alone
        found = False
        stop = start + 1
        frag = text[start]
        while frag in freq:  # every dictionary word starting here (prefixes are in FREQ with 0)
            if freq[frag]:
                weight = weights.get(frag)
                if weight is None:
                    weight = weights[frag] = log(freq[frag]) - log_total
                candidate = weight + score[stop]
                if not found or candidate >= best:
                    best, best_end, found = candidate, stop, True
            if stop >= n:
                break
            stop += 1
            frag = text[start:stop]
        score[start], end[start] = best, best_end
    spans, start = [], 0
    while start < n:
        spans.append((start, end[start]))
        start = end[start]
    return spans


@lru_cache(maxsize=1)
def _weights() -> tuple[dict[str, float], float]:
    """A cache of each dictionary word's ``log(freq) - log(total)``, filled as words are met; ``log(total)``."""
    return {}, log(_tokenizer().total)


def english_words(text: str) -> list[str]:
    """Lower-case English words (letters and digits, with an apostrophe part: don't, car's)."""
    return _ENGLISH_WORD.findall(text.lower())


@lru_cache(maxsize=1)
def _longest_word_with() -> dict[str, int]:
    """For every character, the length of the longest dictionary word (two characters or more) holding it."""
    longest: dict[str, int] = {}
    for word, freq in _tokenizer().FREQ.items():
        if freq and len(word) > 1:
            for ch in word:
                if longest.get(ch, 0) < len(word):
                    longest[ch] = len(word)
    return longest


def words_covering(text: str, i: int, lo: int, hi: int) -> list[tuple[int, int]]:
    """The (start, end) of every dictionary word of two characters or more within ``text[lo:hi]`` covering ``text[i]``.

    None: jieba's dictionary path leaves ``text[i]`` a word of its own, the cheap answer
    :func:`word_spans` would give without building the word graph; and when each of them would
    leave ``text[i]`` standing as the coder counts it, so would the path, whichever it took.
    From each start the words are walked as in :func:`word_spans`: a fragment that is no
    dictionary entry is no word's prefix either (jieba keeps every prefix in ``FREQ``).

    >>> words_covering("差不多", 0, 0, 3), words_covering("一个字:慢", 4, 0, 5), words_covering("很快", 1, 0, 2)
    ([(0, 3)], [], [(0, 2)])
    """
    freq = _tokenizer().FREQ
    out = []
    for start in range(max(lo, i - _longest_word_with().get(text[i], 0) + 1), i + 1):
        stop = start + 1
        while stop < hi:
            stop += 1
            weight = freq.get(text[start:stop])
            if weight is None:
                break
            if weight and stop > i:
                out.append((start, stop))
    return out
