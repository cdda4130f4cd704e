"""Coding one comment: its themes (multi-label) and its sentiment, overall and per theme.

How a comment is read:

1. It is normalised (:func:`surveykit.text.normalise.normalise`) and cut into clauses at
   punctuation, at a space between two Chinese characters, and before a contrast word
   (但是, 可是, 不过, 然而, 却; but, however, though, although, except).
2. One pass of an Aho-Corasick automaton over each clause finds, at every position, every word
   of the codeframe's rules and of the sentiment lexicons that starts there (and ends in the
   clause).  An English word must stand as a whole word (or start one, for ``word*``); a Chinese
   word of one character must be a word of jieba's segmentation (so 差 is not found in 差不多, nor
   慢 in 慢慢), which is the only time the segmenter runs: only when a dictionary word over the
   character could hide it, and only from the last point before it that no such word crosses.
3. Themes: a rule applies when each of its parts has an alternative in one clause that holds
   none of the theme's exclusions (and, for ``skip_negated``, when its first word is not in a
   negation's scope); rules with ``unless`` are applied last, against the themes the others gave.
   No theme: ``other``.
4. Sentiment, per clause: lexicon judgements (pos +1, neg -1) times the degree adverb before
   them (很, 太, 有点; very, a bit); a negator up to three characters (Chinese) or three words
   (English) before a judgement turns a positive into a negative (a weak one, -0.5, when a
   degree adverb stands between: 没有很热情, not very friendly) and a negative into a weak
   positive (+0.5: 不贵, not unfriendly).  A clause reporting a promise (说好的, promised)
   keeps only its negatives; a wish (希望, suggest) is no judgement.  Contrast: when a
   contrast clause follows a concession about the same themes (or both about none), the
   concession gives way to the verdict (虽然不便宜，但这个钱花得值 is pos); about other themes both count
   (贵是贵了点，但修得放心 is mixed); a contrast clause that judges nothing but names another
   theme after praise is the shortcoming (整体不错，就是休息区有点吵 is mixed).  Sarcasm: a
   positive clause with a sarcasm marker (真是…, 呵呵; yeah right) in a comment that complains
   elsewhere is negative.
5. The label: ``pos`` with only positive clauses (score >= 0.5), ``neg`` with only negative
   ones (<= -0.5), ``mixed`` with both, ``neu`` with none, or when the comment gives a lukewarm
   verdict (正常, 一般; fine, average) and no clause is strong (|score| >= 0.75).
6. With the default codeframe, a learned complement (:mod:`surveykit.text.learned`: logistic
   regressions over n-grams, fitted on 391 labelled comments) adds every theme whose
   probability is >= 0.5 that the rules missed, and gives the sentiment where the rules find no
   judgement (``neu``): in satisfaction comments a plain report of a failure with no judgement
   word ("They charged me twice for the same oil filter") is most often a complaint, since
   unprompted mentions lean negative (``neu`` is 5-8 % of every labelled set), and the model
   has learned which reports are.  A theme the model adds, and every theme of a comment whose
   sentiment the model gave, takes the comment's sentiment.  How the two are joined was chosen by cross-validation
   across batches of comments (``benchmarks/bench_text.py``).

The lexicons are ``lexicon_zh.tsv`` and ``lexicon_en.tsv`` beside this module (their header
says where they come from and their licence).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import ahocorasick

from surveykit.text.codeframe import OTHER, Codeframe, Rule, default_codeframe
from surveykit.text.learned import LearnedModel, learned_model
from surveykit.text.normalise import normalise
from surveykit.text.segment import word_spans, words_covering

__all__ = ["SENTIMENTS", "CodedComment", "Coder", "coder_for"]

SENTIMENTS = ("neg", "neu", "pos", "mixed")
_LEXICONS = (Path(__file__).with_name("lexicon_zh.tsv"), Path(__file__).with_name("lexicon_en.tsv"))
_POLAR = {"pos": 1.0, "neg": -1.0}
_FLAGS = ("sarcasm", "lukewarm", "suggest", "promise")
_CLAUSE_BREAK = re.compile(r"[,.!?;:~…。、\n\"“”‘()（）【】\[\]]+|(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")
_CONTRAST_SPLIT = re.compile(
    r"(?<!不)(?=但是|可是|不过|然而|但(?!是)|却)|(?<=\s)(?=(?:but|however|though|although|except)\b)"
)
# a comment with none of these holds no contrast (_CONTRAST_SPLIT is not tried)
_CONTRAST_WORDS = ("但", "可是", "不过", "然而", "却", "but", "however", "though", "although", "except")
_CLAUSE_OPENERS = (
    "但是",
    "可是",
    "不过",
    "然而",
    "但",
    "却",
    "就是",
    "只是",
    "可惜",
    "but",
    "however",
    "though",
    "although",
    "except",
    "only downside",
    "only problem",
)
_WEAK, _STRONG = 0.5, 0.75
# what may follow a one-character word inside one of jieba's words (贵太多, 慢死了) without hiding it
_SUFFIXES = frozenset({"了", "的", "啊", "呀", "吧", "太多", "多了", "得很", "死了", "死", "点", "一点", "些"})


@dataclass(frozen=True, slots=True)
class CodedComment:
    """The coding of one comment.

    ``themes`` in codeframe order (``('other',)`` when no rule applies); ``sentiment`` one of
    :data:`SENTIMENTS`; ``theme_sentiment`` a (theme, sentiment) pair per theme (``other``
    takes the comment's); ``evidence`` the (theme, word) pairs that coded it, in normal form,
    for highlighting.
    """

    themes: tuple[str, ...]
    sentiment: str
    theme_sentiment: tuple[tuple[str, str], ...]
    evidence: tuple[tuple[str, str], ...] = ()


# the rules' reading of a comment: normal form, themes, sentiment, sentiment per theme, evidence
_Ruled = tuple[str, tuple[str, ...], str, dict[str, str], list[tuple[str, str]]]
# what a literal found by the scan stands for (Coder.__init__)
_Entry = tuple[int, tuple[tuple[str, bool, tuple[int, ...]], ...], str | None, float, bool, bool, bool]
# what the scan finds at a position: the longest literal's length - 1, whether it starts with an ASCII
# letter or digit, and the entries of every literal that starts there, longest first
_Found = tuple[int, bool, tuple[_Entry, ...]]


@dataclass(slots=True)
class _Clause:
    start: int
    end: int
    contrast: bool
    score: float = 0.0
    strong: bool = False
    flags: frozenset[str] = frozenset()


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


class Coder:
    """Codes comments with one codeframe and the shipped lexicons; build once, call :meth:`code` often.

    ``learned``, a model of the codeframe's themes, complements the rules (module docstring, step 6);
    :func:`coder_for` gives the default codeframe the shipped one.
    """

    def __init__(self, codeframe: Codeframe, learned: LearnedModel | None = None) -> None:
        self.codeframe = codeframe
        self._theme_ids = codeframe.theme_ids()
        # literal -> the alternatives it can stand for: (written form, needs a whole-word end)
        self._alternatives: dict[str, list[tuple[str, bool]]] = {}
        self._lexicon: dict[str, tuple[str, float]] = {}
        for path in _LEXICONS:
            for line in path.read_text("utf-8").splitlines():
                if line and not line.startswith("#"):
                    word, kind, value = line.split("\t")
                    self._lexicon.setdefault(word, (kind, float(value)))
        self._modifiers = {w for w, (kind, _) in self._lexicon.items() if kind in ("degree", "negator")}
        self._modifier_tuple = tuple(self._modifiers)  # for one str.startswith
        self._rules: list[tuple[str, Rule]] = []
        self._exclusions: dict[str, frozenset[str]] = {}
        for theme in codeframe.themes:
            self._exclusions[theme.id] = frozenset(theme.exclusions())
            for phrase in theme.exclusions():
                self._alternatives.setdefault(phrase, []).append((phrase, True))
            for rule in theme.rules:
                self._rules.append((theme.id, rule))
                for part in rule.parts:
                    for alt in part:
                        prefix = rule.lang == "en" and alt.endswith("*")
                        literal = alt[:-1] if prefix else alt
                        self._alternatives.setdefault(literal, []).append((alt, not prefix))
        # a rule can apply only where an alternative of its first part was found: index the rules by them
        by_first: dict[str, list[int]] = {}
        for index, (_, rule) in enumerate(self._rules):
            for alt in rule.parts[0]:
                by_first.setdefault(alt, []).append(index)
        # each alternative's rank in the codeframe, to keep evidence in a fixed order
        self._rank = {
            alt: n for n, alt in enumerate(dict.fromkeys(a for _, r in self._rules for p in r.parts for a in p))
        }
        # per rule: theme, parts (sets), the theme's exclusions, language, unless, skip_negated, and
        # each alternative's evidence pair (theme, word as written without its *)
        self._rule_info = [
            (
                theme,
                tuple(frozenset(part) for part in rule.parts),
                self._exclusions[theme],
                rule.lang,
                rule.unless,
                rule.skip_negated,
                {alt: (theme, alt.rstrip("*")) for part in rule.parts for alt in part},
            )
            for theme, rule in self._rules
        ]
        literals = set(self._alternatives) | set(self._lexicon)
        # for every literal the scan can find: whether it starts with an ASCII letter or digit, and what
        # each literal that starts it stands for, longest first: (length, alternatives as (written form,
        # needs a whole-word end, the rules whose first part holds it), lexicon kind, value, a judgement of
        # one Chinese character (checked against the segmenter at once), another word of one Chinese
        # character (checked when a rule needs it), ends in ASCII)
        entries: dict[str, _Entry] = {}
        for w in literals:
            judged: tuple[str | None, float] = self._lexicon.get(w) or (None, 0.0)
            judgement, weight = judged
            single = len(w) == 1 and _cjk(w)
            alternatives = tuple(
                (alt, whole, tuple(by_first.get(alt, ())))
                for alt, whole in dict.fromkeys(self._alternatives.get(w, ()))
            )
            polar = single and judgement in _POLAR
            entries[w] = (len(w), alternatives, judgement, weight, polar, single and not polar, _ascii_word(w[-1]))
        # the scan (pyahocorasick, in C): each literal keyed to what it finds (_Found)
        self._automaton = ahocorasick.Automaton()
        for w in literals:
            prefixes = sorted((p for p in literals if w.startswith(p)), key=len, reverse=True)
            self._automaton.add_word(w, (len(w) - 1, _ascii_word(w[0]), tuple(entries[p] for p in prefixes)))
        self._automaton.make_automaton()
        self._learned = learned

    # -- matching -------------------------------------------------------------------------

    def _scan(self, text: str, start: int, end: int) -> list[tuple[int, _Found]]:
        """Each position of ``text[start:end]`` where a literal starts (ascending), with the longest one there.

        The automaton reports a match at its last character (``end`` bounds them as a slice does),
        so the matches of one start come in the order of their ends: the last one kept is the longest,
        and its entries hold every shorter literal starting there too.
        """
        return sorted({e - found[0]: found for e, found in self._automaton.iter(text, start, end)}.items())

    def _stands_alone(self, text: str, start: int, clause: _Clause, spans: dict[int, list[tuple[int, int]]]) -> bool:
        """Whether the one Chinese character at ``start`` is a word of jieba's segmentation of its clause.

        Inside a longer word it still counts after a modifier (太慢) or before a suffix (贵太多).
        The clause is segmented only when a dictionary word covering the character would hide it
        (差 in 差不多), since the path may take any of them; and then only from the last point before
        the character that no dictionary word crosses: jieba's path passes through it, and from there
        on depends only on the text after it.  ``spans`` caches the words from each such point (by
        that point; offsets from it), segmented when first needed.
        """
        covering = words_covering(text, start, clause.start, clause.end)
        if not covering or all(self._shows(text, start, s, e) for s, e in covering):
            return True
        cut = covering[0][0]  # the earliest start of a word over the character
        while cut > clause.start:
            crossing = [s for s, e in words_covering(text, cut - 1, clause.start, clause.end) if e > cut]
            if not crossing:
                break
            cut = crossing[0]
        words = spans.get(cut)
        if words is None:
            words = spans[cut] = word_spans(text[cut : clause.end])
        at = start - cut
        for s, e in words:
            if s <= at < e:
                return self._shows(text, start, cut + s, cut + e)
        return True

    def _shows(self, text: str, at: int, start: int, end: int) -> bool:
        """Whether the character at ``at`` counts as a word when it is a part of the word ``text[start:end]``."""
        before, after = text[start:at], text[at + 1 : end]
        return (not before or before in self._modifiers) and (not after or after in _SUFFIXES)

    def _clauses(self, text: str) -> list[_Clause]:
        """The clauses of a normalised comment (module docstring, step 1), with whether each opens with a contrast."""
        # a contrast word cuts the piece it is in (not at the piece's start: it opens that piece anyway);
        # none falls on a break, so the cuts of the whole text are those of its pieces
        cuts = [m.start() for m in _CONTRAST_SPLIT.finditer(text)] if any(w in text for w in _CONTRAST_WORDS) else []
        clauses = []
        pos = 0
        for piece in [*_CLAUSE_BREAK.finditer(text), None]:
            stop = piece.start() if piece else len(text)
            bounds = [pos, *(c for c in cuts if pos < c < stop), stop] if cuts else (pos, stop)
            for a, b in pairwise(bounds):
                lead = text[a:b].strip()
                if lead:
                    clauses.append(_Clause(a, b, lead.startswith(_CLAUSE_OPENERS)))
            pos = piece.end() if piece else len(text)
        return clauses

    def code(self, text: str, lang: str | None = None) -> CodedComment:
        """Code one comment (see the module docstring); ``lang`` limits the rules to that language's and English.

        >>> coder = coder_for(None)
        >>> coder.code("价格倒是不贵，就是等的时间太长了").themes
        ('waiting_time', 'price')
        >>> coder.code("虽然不便宜，但这个钱花得值").sentiment
        'pos'
        """
        ruled = self._by_rules(text, lang)
        if ruled is None or self._learned is None:
            return self._join(ruled, None)
        return self._join(ruled, self._learned.predict(ruled[0]))

    def code_many(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[CodedComment]:
        """Code many comments as :meth:`code` does, the learned model reading them in one batch (faster)."""
        ruled = [self._by_rules(t, lang) for t, lang in zip(texts, langs or [None] * len(texts), strict=True)]
        if self._learned is None:
            return [self._join(r, None) for r in ruled]
        predictions = iter(self._learned.predict_many([r[0] for r in ruled if r is not None]))
        return [self._join(r, None if r is None else next(predictions)) for r in ruled]

    def _join(self, ruled: _Ruled | None, prediction: tuple[tuple[str, ...], str] | None) -> CodedComment:
        """The rules' coding, with the learned complement's ``prediction`` if any (module docstring, step 6)."""
        if ruled is None:  # nothing to read
            return CodedComment((OTHER,), "neu", ((OTHER, "neu"),))
        _, themes, sentiment, per_theme, evidence = ruled
        if prediction is not None:
            learned_themes, learned_sentiment = prediction
            if sentiment == "neu":  # no judgement the rules can read: the model's, for the themes too
                sentiment = learned_sentiment
                per_theme = dict.fromkeys(per_theme, sentiment)
            for t in learned_themes:  # those with a probability >= the model's threshold
                if t not in per_theme:
                    per_theme[t] = sentiment
            themes = tuple(filter(per_theme.__contains__, self._theme_ids))
        if not themes:
            return CodedComment((OTHER,), sentiment, ((OTHER, sentiment),))
        return CodedComment(
            themes, sentiment, tuple(zip(themes, map(per_theme.__getitem__, themes), strict=True)), tuple(evidence)
        )

    def _by_rules(self, text: str, lang: str | None) -> _Ruled | None:
        """The rules' reading (module docstring, steps 1-5): None for a comment with nothing to read."""
        norm = normalise(text)
        clauses = self._clauses(norm)
        if not clauses:
            return None
        spans: dict[int, list[tuple[int, int]]] = {}
        # per clause: each rule word found, with where (one-character words among them not yet checked
        # against the segmenter are also in ``pending``: checked when a rule needs them)
        found_at: list[dict[str, list[int]]] = []
        pending: list[dict[str, list[int]]] = []
        # each rule whose first part holds a word found, with the clauses it is found in (ascending)
        rule_clauses: dict[int, list[int]] = {}
        lexical: list[list[tuple[int, int, str, float]]] = []
        negations: list[list[tuple[int, int]]] = []  # every negator, inside longer words too
        covered = 0
        length = len(norm)
        scan, stands_alone = self._scan, self._stands_alone
        for index, clause in enumerate(clauses):
            words: dict[str, list[int]] = {}
            waiting: dict[str, list[int]] = {}
            items: list[tuple[int, int, str, float]] = []
            clause_negations: list[tuple[int, int]] = []
            found_at.append(words)
            pending.append(waiting)
            lexical.append(items)
            negations.append(clause_negations)
            # a word must end within the clause: the scan stops at its end
            for start, (_, ascii_start, options) in scan(norm, clause.start, clause.end):
                if ascii_start and start > 0 and norm[start - 1].isascii() and norm[start - 1].isalnum():
                    continue  # inside an English word
                lexicon_taken = start < covered
                for size, alternatives, kind, value, polar, deferred, ascii_end in options:
                    end = start + size
                    open_end = not (ascii_end and end < length and norm[end].isascii() and norm[end].isalnum())
                    # a one-character judgement is checked now; a negator, degree word or marker needs no
                    # check (one inside a longer word, 不错, is that word's entry, or scales nothing)
                    if polar and not stands_alone(norm, start, clause, spans):
                        continue
                    for alt, whole, first_of in alternatives:
                        if open_end or not whole:
                            at = words.get(alt)
                            if at is None:
                                at = words[alt] = []
                                if deferred:
                                    waiting[alt] = at
                                for r in first_of:
                                    where = rule_clauses.get(r)
                                    if where is None:
                                        rule_clauses[r] = [index]
                                    elif where[-1] != index:
                                        where.append(index)
                            at.append(start)
                    if kind is not None and open_end:
                        if kind == "negator":
                            clause_negations.append((start, end))
                        if not lexicon_taken:
                            items.append((start, end, kind, value))
                            covered, lexicon_taken = end, True

        def confirm(i: int, alt: str) -> bool:
            """Whether the pending one-character word ``alt`` of clause ``i`` stands alone (checked once)."""
            alone = [p for p in pending[i].pop(alt) if stands_alone(norm, p, clauses[i], spans)]
            if alone:
                found_at[i][alt] = alone
            else:
                del found_at[i][alt]
            return bool(alone)

        themes, theme_clauses, evidence = self._themes(norm, lang, found_at, pending, rule_clauses, confirm, negations)
        for clause, items, clause_negations in zip(clauses, lexical, negations, strict=True):
            if items:  # no word to score: 0, not strong, no flag (a clause's defaults)
                self._score(norm, clause, items, clause_negations)
        self._contrast(clauses, theme_clauses)
        complains = any(c.score <= -_WEAK for c in clauses)
        lukewarm = any("lukewarm" in c.flags for c in clauses) and not any(c.strong for c in clauses)
        sentiment = self._label(clauses, complains, lukewarm)
        if len(clauses) == 1:  # every theme is the comment's one clause's
            return norm, themes, sentiment, dict.fromkeys(themes, sentiment), evidence
        per_theme = {t: self._label([clauses[i] for i in theme_clauses[t]], complains, lukewarm) for t in themes}
        return norm, themes, sentiment, per_theme, evidence

    def _negated(self, text: str, position: int, negators: list[tuple[int, int]]) -> tuple[bool, bool]:
        """Whether a negator governs the word at ``position``; and whether a degree word stands between."""
        for _start, e in reversed(negators):
            if e > position:
                continue
            gap = text[e:position]
            if _cjk(text[position]) or (gap and _cjk(gap[0])):
                if len(gap) <= 3:
                    return True, bool(gap.strip()) and gap.startswith(self._modifier_tuple)
            elif len(gap.split()) <= 2:
                return True, bool(gap.split()) and gap.split()[0] in self._modifiers
            return False, False
        return False, False

    def _themes(
        self,
        text: str,
        lang: str | None,
        found_at: list[dict[str, list[int]]],
        pending: list[dict[str, list[int]]],
        rule_clauses: dict[int, list[int]],
        confirm: Callable[[int, str], bool],
        negations: list[list[tuple[int, int]]],
    ) -> tuple[tuple[str, ...], dict[str, set[int]], list[tuple[str, str]]]:
        """The themes (codeframe order), the clauses of each, and the evidence (module docstring, step 3).

        Each rule is tried, in codeframe order, in the clauses that hold a word of its first part
        (``rule_clauses``); rules with ``unless`` last, against the themes the others gave.
        """
        found: dict[str, set[int]] = {}
        evidence: list[tuple[str, str]] = []
        rules = self._rule_info

        def in_order() -> Iterator[int]:
            later = []
            for r in sorted(rule_clauses):
                rule_lang, unless = rules[r][3:5]
                # English words turn up in comments of any language (service很nice, app, wifi)
                if lang is not None and rule_lang not in (lang, "en"):
                    continue
                if unless:
                    later.append(r)
                else:
                    yield r
            given = set(found)
            for r in later:
                if given.isdisjoint(rules[r][4]):
                    yield r

        rank = self._rank.__getitem__
        for r in in_order():
            theme, parts, excluded, _, _, skip_negated, shown = rules[r]
            for i in rule_clauses[r]:
                words, waiting = found_at[i], pending[i]
                if excluded and any(p not in waiting or confirm(i, p) for p in excluded.intersection(words)):
                    continue
                if len(parts) == 1:
                    candidates = [parts[0].intersection(words)]
                else:
                    candidates = [part.intersection(words) for part in parts]
                    if not all(candidates):  # before any segmenter check: is every part there at all?
                        continue
                chosen: list[str] = []
                for part_words in candidates:
                    present = [w for w in part_words if w not in waiting or confirm(i, w)]
                    if not present:
                        break
                    chosen += sorted(present, key=rank) if len(present) > 1 else present
                else:
                    first = chosen[0]
                    if skip_negated and self._negated(text, words[first][0], negations[i])[0]:
                        continue
                    found.setdefault(theme, set()).add(i)
                    evidence += map(shown.__getitem__, chosen)
        return tuple(filter(found.__contains__, self._theme_ids)), found, evidence

    def _score(
        self, text: str, clause: _Clause, items: list[tuple[int, int, str, float]], negations: list[tuple[int, int]]
    ) -> None:
        # a negative word that opens with a negator (没洗, 不回) negates what follows it too: 没洗干净
        # (every negator of ``items`` is one of ``negations``: without those, nothing is negated)
        if negations:
            negative_starts = {s for s, _, kind, _ in items if kind == "neg"}
            negators = sorted(
                [(s, e) for s, e, kind, _ in items if kind == "negator"]
                + [(s, e) for s, e in negations if s in negative_starts]
            )
        else:
            negators = []
        flags = {kind for _, _, kind, _ in items if kind in _FLAGS}
        score, strong, degree, degree_end = 0.0, False, 1.0, -10
        for start, end, kind, value in items:
            if kind == "degree":
                degree, degree_end = value, end
                continue
            if kind == "lukewarm":  # a lukewarm verdict leans positive, weakly: "the price was fine"
                score += _WEAK * value
                continue
            if kind not in _POLAR:
                continue
            polarity = _POLAR[kind] * value
            near = start - degree_end <= 1 if _cjk(text[start]) else len(text[degree_end:start].split()) <= 1
            negated, hedged = self._negated(text, start, negators) if negators else (False, False)
            if negated:
                weight = -_WEAK if polarity > 0 and hedged else (-1.0 if polarity > 0 else _WEAK)
            else:
                weight = polarity * (degree if near else 1.0)
            if "promise" in flags and weight > 0:
                continue
            score += weight
            strong = strong or abs(weight) >= _STRONG
            degree, degree_end = 1.0, -10
        if "suggest" in flags:
            score, strong = 0.0, False
        clause.score, clause.strong, clause.flags = score, strong and abs(score) >= _STRONG, frozenset(flags)

    @staticmethod
    def _contrast(clauses: list[_Clause], theme_clauses: dict[str, set[int]]) -> None:
        """Drop a concession that a contrast clause overrules on the same themes (module docstring)."""

        def themes_of(indices: range) -> set[str]:
            return {t for t, where in theme_clauses.items() if where.intersection(indices)}

        openers = [i for i, c in enumerate(clauses) if c.contrast and i > 0]
        begin = 0
        for n, k in enumerate(openers):
            stop = openers[n + 1] if n + 1 < len(openers) else len(clauses)
            concession, verdict = range(begin, k), range(k, stop)
            before = sum(clauses[i].score for i in concession)
            after = sum(clauses[i].score for i in verdict)
            if before * after < 0 and themes_of(concession) == themes_of(verdict):
                for i in concession:
                    clauses[i].score, clauses[i].strong = 0.0, False
            elif (
                before > 0
                and after == 0
                and "suggest" not in clauses[k].flags
                and themes_of(verdict) - themes_of(concession)
            ):
                # "X好，就是Y" / "good, although Y": Y is named as the shortcoming though no word judges it
                clauses[k].score = -_WEAK
            begin = k

    @staticmethod
    def _label(chosen: list[_Clause], complains: bool, lukewarm: bool) -> str:
        """The label of the ``chosen`` clauses; ``complains`` and ``lukewarm`` are the comment's (step 5)."""
        if lukewarm:
            return "neu"
        pos = neg = False
        for c in chosen:
            if c.score >= _WEAK and "sarcasm" in c.flags and complains:
                neg = True
            elif c.score >= _WEAK:
                pos = True
            elif c.score <= -_WEAK:
                neg = True
        if not (pos or neg):
            return "neu"
        return "mixed" if pos and neg else ("pos" if pos else "neg")


@lru_cache(maxsize=8)
def coder_for(codeframe: Codeframe | None) -> Coder:
    """The :class:`Coder` of ``codeframe`` (the default codeframe for None), built once per codeframe.

    The default codeframe (by name and themes) gets the learned complement; the model knows no other.
    """
    default = default_codeframe()
    codeframe = codeframe if codeframe is not None else default
    if codeframe.name == default.name and codeframe.theme_ids() == default.theme_ids():
        return Coder(codeframe, learned_model(tuple(t for t in codeframe.theme_ids() if t != OTHER)))
    return Coder(codeframe)
