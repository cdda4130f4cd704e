"""The comment coder codes every reference comment as it did before its speed work (issue 15, Figures).

``text_coded_e9b9abe.jsonl`` beside this file holds what the coder of commit e9b9abe (before the
trie scan was split and the learned complement's batch moved to C) gave for every comment of
the dev, holdout, blind and own reference files: themes, sentiment, sentiment per theme and the
evidence words, from the shipped coder (rules + learned complement, batched as ``surveykit text
code`` batches) and from the rules alone.  A speed-up must change none of them.  A deliberate
change of the rules, the lexicons or the model changes this file with it (and says so).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from surveykit.text import CodedComment, Coder, coder_for, default_codeframe, normalise
from surveykit.text.coder import _SUFFIXES
from surveykit.text.learned import features
from surveykit.text.segment import _tokenizer, word_spans, words_covering

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parents[0] / "reference" / "text"
FILES = ("comments_dev.csv", "comments_holdout.csv", "comments_blind.csv", "comments_own.csv")


def _saved() -> dict[tuple[str, str], dict]:
    lines = (HERE / "text_coded_e9b9abe.jsonl").read_text("utf-8").splitlines()
    return {(row["file"], row["id"]): row for row in map(json.loads, lines)}


def _as_saved(coded: CodedComment) -> dict:
    return {
        "themes": list(coded.themes),
        "sentiment": coded.sentiment,
        "theme_sentiment": [list(pair) for pair in coded.theme_sentiment],
        "evidence": [list(pair) for pair in coded.evidence],
    }


@pytest.mark.parametrize("name", FILES)
def test_coding_is_unchanged_by_the_speed_work(name):
    saved = _saved()
    with (REFERENCE / name).open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert {(name, r["id"]) for r in rows} == {key for key in saved if key[0] == name}
    shipped = coder_for(None).code_many([r["text"] for r in rows])
    rules = Coder(default_codeframe())
    for row, coded in zip(rows, shipped, strict=True):
        before = saved[(name, row["id"])]
        assert _as_saved(coded) == before["coder"], row["id"]
        assert _as_saved(rules.code(row["text"])) == before["rules"], row["id"]


def test_word_spans_follow_jiebas_own_path():
    """``word_spans`` (get_DAG and calc fused, weights remembered) cuts as jieba's own functions do."""
    tokenizer = _tokenizer()

    def jieba_spans(text: str) -> list[tuple[int, int]]:
        route: dict[int, tuple[float, int]] = {}
        tokenizer.calc(text, tokenizer.get_DAG(text), route)
        spans, start = [], 0
        while start < len(text):
            spans.append((start, route[start][1] + 1))
            start = route[start][1] + 1
        return spans

    texts = ["", "慢", "差不多太慢了", "4s店钣金喷漆ok", "〇〇〇", "the car 很nice"]
    for name in FILES:
        with (REFERENCE / name).open(encoding="utf-8", newline="") as file:
            texts += [normalise(r["text"]) for r in csv.DictReader(file)]
    texts += [piece for text in texts for piece in re.split(r"[,.!?;]", text)]
    assert [word_spans(t) for t in texts] == [jieba_spans(t) for t in texts]


def test_words_covering_finds_every_dictionary_word_over_a_character():
    """``words_covering`` (walking prefixes) finds what trying every span of the text finds."""
    freq = _tokenizer().FREQ
    longest = max(map(len, freq))
    texts = ["差不多太慢了", "很快", "换了刹车片还是有异响", "一个字:慢"]
    for name in FILES:
        with (REFERENCE / name).open(encoding="utf-8", newline="") as file:
            texts += [normalise(r["text"]) for r in csv.DictReader(file)]
    for text in texts:
        lo, hi = len(text) // 4, len(text) - len(text) // 4  # a window, as a clause is one
        for i in range(lo, hi):
            every = [
                (s, e)
                for s in range(max(lo, i - longest), i + 1)
                for e in range(max(s + 2, i + 1), min(hi, s + longest) + 1)
                if freq.get(text[s:e])
            ]
            assert words_covering(text, i, lo, hi) == every, (text, i)


def test_the_batch_counts_each_comments_features_as_a_counter_does():
    """``probabilities_many`` (features found and counted in arrays) gives, to the last bit, the
    probabilities of counting each comment's features with ``Counter`` in the order ``features``
    gives them, as the model did before (the order decides the order of the sums)."""
    from scipy.sparse import csr_matrix

    model = coder_for(None)._learned
    assert model is not None
    texts = ["", "中", "中文", "很好很好很好", "ok", "the car was ok ok", "4s店的service很nice"]
    for name in FILES:
        with (REFERENCE / name).open(encoding="utf-8", newline="") as file:
            texts += [r["text"] for r in csv.DictReader(file)]
    norms = [normalise(t) for t in texts] + ["x\ud800y 中文"]  # a lone surrogate, read as any character
    columns: list[int] = []
    counts: list[int] = []
    starts = [0]
    for norm in norms:
        known = Counter(model.vocabulary[f] for f in features(norm) if f in model.vocabulary)
        columns += known.keys()
        counts += known.values()
        starts.append(len(columns))
    idx = np.asarray(columns, dtype=np.intp)
    x = (1.0 + np.log(np.asarray(counts, dtype=float))) * model.idf[idx]
    shape = (len(norms), len(model.idf))
    lengths = np.sqrt(np.asarray(csr_matrix((x * x, idx, starts), shape=shape).sum(axis=1)).ravel())
    x /= np.repeat(np.where(lengths > 0, lengths, 1.0), np.diff(starts))
    z = csr_matrix((x, idx, starts), shape=shape) @ model.weights + model.intercepts
    assert np.array_equal(model.probabilities_many(norms), 1.0 / (1.0 + np.exp(-z)))
    assert np.array_equal(model.probabilities_many(norms[:3]), 1.0 / (1.0 + np.exp(-z[:3])))


def test_a_character_stands_alone_as_in_its_whole_clauses_segmentation():
    """The coder's check of a one-character word (segmenting only from the last point no word
    crosses, and not at all when no word over it would hide it) answers as jieba's path through
    the whole clause does, for every Chinese character of the reference comments."""
    coder = Coder(default_codeframe())
    modifiers = {w for w, (kind, _) in coder._lexicon.items() if kind in ("degree", "negator")}
    texts = ["差不多太慢了", "换了刹车片还是有异响", "喷漆的颜色和原车有色差", "修好之后一直没人通知我"]
    for name in FILES:
        with (REFERENCE / name).open(encoding="utf-8", newline="") as file:
            texts += [normalise(r["text"]) for r in csv.DictReader(file)]
    checked = 0
    for text in texts:
        for clause in coder._clauses(text):
            words = [(clause.start + s, clause.start + e) for s, e in word_spans(text[clause.start : clause.end])]
            spans: dict[int, list[tuple[int, int]]] = {}
            for at in range(clause.start, clause.end):
                if not "\u3400" <= text[at] <= "\u9fff":
                    continue
                s, e = next((s, e) for s, e in words if s <= at < e)
                before, after = text[s:at], text[at + 1 : e]
                alone = (not before or before in modifiers) and (not after or after in _SUFFIXES)
                assert coder._stands_alone(text, at, clause, spans) == alone, (text, at)
                checked += 1
    assert checked > 5_000


def test_the_scan_finds_every_word_starting_at_each_position_of_a_clause():
    """The scan (an Aho-Corasick automaton, which reports each match at its last character) gives,
    for every position of a clause, ascending, every codeframe or lexicon word that starts there and
    ends in the clause, longest first, as trying every span of the clause does: the regular
    expression's lookahead found the same, and what is found decides the coding."""
    coder = Coder(default_codeframe())
    literals = set(coder._alternatives) | set(coder._lexicon)
    longest = max(map(len, literals))
    # an astral character before a word (positions count characters), English glued to Chinese,
    # a prefix of a longer word at the clause's end, overlapping words
    texts = ["😀很好不错", "𠀀慢,不太满意", "ab很nice", "nicely not nice", "服务service很nice", "价格不贵但是服务很差"]
    for name in FILES:
        with (REFERENCE / name).open(encoding="utf-8", newline="") as file:
            texts += [normalise(r["text"]) for r in csv.DictReader(file)]
    found = 0
    for text in texts:
        for clause in coder._clauses(text):
            every = []
            for s in range(clause.start, clause.end):
                sizes = [n for n in range(min(longest, clause.end - s), 0, -1) if text[s : s + n] in literals]
                if sizes:
                    every.append((s, sizes))
            scanned = coder._scan(text, clause.start, clause.end)
            assert [(s, [entry[0] for entry in entries]) for s, (_, _, entries) in scanned] == every, text
            found += len(every)
    assert found > 2_000
