"""A learned complement to the default codeframe's rules: linear text classifiers over n-grams.

Why: the hand-written rules are precise but miss paraphrases, and a plain report of a failure
("They charged me twice for the same oil filter") carries no judgement word, so the lexicons
read it as neutral.  Five batches of comments of our own, each coded blind, gave theme micro-F1
0.74-0.83 and sentiment accuracy 0.53-0.64 while the comments the rules were written on gave
0.96 and 0.94 (``tests/reference/text/README_OWN.md``).  A linear classifier learns the
paraphrases from labelled comments instead of from one writer's vocabulary.

The model (Joachims 1998, *Text categorization with support vector machines*, ECML: linear
models over sparse word features suit text; Fan et al. 2008, *LIBLINEAR*, JMLR 9:1871-1874,
the solver): features are the comment's character 1-, 2- and 3-grams inside runs of Chinese
characters (robust to segmentation and typos, and no segmenter call) and, for Latin words,
the word, its first five letters (a crude stem: ``charg`` for charged/charges) and each pair
of adjacent words.  Weights are TF-IDF, ``(1 + ln tf) * idf`` with ``idf = ln((1 + n)/(1 + df)) + 1``,
scaled to unit length (sklearn's ``TfidfVectorizer(sublinear_tf=True)``).  Themes: one L2
logistic regression per theme (one-vs-rest, C = 10, classes weighted by inverse frequency so a
rare theme is not ignored); a theme is added when its probability ``1/(1+exp(-(w·x+b)))`` is
>= 0.5.  Sentiment: one logistic regression per label (C = 100), the four probabilities
scaled to sum to one.

The training data are the 391 labelled comments of ``training_comments.csv`` beside this
module: a copy of ``tests/reference/text/comments_dev.csv``, ``comments_own.csv`` and
``comments_holdout.csv``, shipped because tests/ is not installed and the model is fitted from
them at first use (deterministic: liblinear with a fixed seed; about a tenth of a second),
which keeps what the model knows readable as comments rather than as a table of weights.
How the model joins the rules, and the thresholds, were chosen by cross-validation across the
eight batches of those comments (``benchmarks/bench_text.py``, ``README_OWN.md``).

The model knows the default dealer themes only; a codeframe of one's own is coded by its rules.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress, pairwise, repeat
from operator import add
from pathlib import Path

import numpy as np

from surveykit.text.normalise import normalise

__all__ = ["THEME_THRESHOLD", "LearnedModel", "learned_model"]

TRAINING = Path(__file__).with_name("training_comments.csv")
THEME_THRESHOLD = 0.5
_THEME_C, _SENTIMENT_C = 10.0, 100.0
_SENTIMENTS = ("neg", "neu", "pos", "mixed")
_RUN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3400-\u9fff]+")


def features(norm: str) -> list[str]:
    """The n-gram features of a normalised comment (module docstring), in the order they occur.

    A run's n-grams are built by adding its characters pairwise (``map(add, ...)``, in C) rather
    than by slicing it at each position in Python.  Fitting and :meth:`LearnedModel.probabilities`
    read these; a batch finds the same features in arrays (:meth:`LearnedModel._counts`).
    """
    out: list[str] = []
    latin: list[str] = []
    for run in _RUN.findall(norm.lower()):
        if run[0].isascii():
            out += (run, "~" + run[:5])
            latin.append(run)
        else:
            bigrams = list(map(add, run, run[1:]))
            out += run  # its characters
            out += bigrams
            out += map(add, bigrams, run[2:])
    out += [a + " " + b for a, b in pairwise(latin)]
    return out


@dataclass(frozen=True, slots=True)
class LearnedModel:
    """The fitted classifiers as plain arrays: ``weights`` is features x (themes + sentiments).

    ``threshold``: the probability from which a theme is added (chosen by cross-validation).
    """

    themes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray
    intercepts: np.ndarray
    threshold: float = THEME_THRESHOLD
    # the vocabulary's Chinese n-grams as packed code points (sorted), and their columns (_counts)
    _chinese: tuple[np.ndarray, np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        packed = {
            sum(ord(ch) << (21 * n) for n, ch in enumerate(feature)): column
            for feature, column in self.vocabulary.items()
            if len(feature) <= 3 and all("\u3400" <= ch <= "\u9fff" for ch in feature)
        }
        keys = np.array(sorted(packed), dtype=np.int64)
        object.__setattr__(self, "_chinese", (keys, np.array([packed[k] for k in keys.tolist()], dtype=np.int64)))

    def predict(self, norm: str) -> tuple[tuple[str, ...], str]:
        """The themes whose probability reaches ``threshold`` and the most probable sentiment of a normalised comment."""
        return self._read(self.probabilities(norm)[np.newaxis])[0]

    def predict_many(self, norms: list[str]) -> list[tuple[tuple[str, ...], str]]:
        """:meth:`predict` for many comments at once (faster than one by one)."""
        return self._read(self.probabilities_many(norms))

    def probabilities(self, norm: str) -> np.ndarray:
        """The probability of each theme, then of each sentiment (``neg neu pos mixed``), for a normalised comment."""
        vocabulary = self.vocabulary
        known = [(vocabulary[f], n) for f, n in Counter(features(norm)).items() if f in vocabulary]
        z = self.intercepts
        if known:
            idx = np.fromiter((j for j, _ in known), dtype=np.intp, count=len(known))
            tf = 1.0 + np.log(np.fromiter((n for _, n in known), dtype=float, count=len(known)))
            x = tf * self.idf[idx]
            z = z + (x / np.sqrt(x @ x)) @ self.weights[idx]
        return 1.0 / (1.0 + np.exp(-z))

    def probabilities_many(self, norms: list[str]) -> np.ndarray:
        """:meth:`probabilities` for many comments at once, a row each: one sparse matrix product.

        The features are found, counted and looked up in arrays (:meth:`_counts`) rather than in a
        Python loop per feature, which was most of the model's cost.  Each probability is computed
        as before, to the last bit: the same counts, in the same order, summed in the same order.
        """
        from scipy.sparse import csr_matrix

        idx, counts, starts = self._counts(norms)
        x = (1.0 + np.log(counts.astype(float))) * self.idf[idx]
        shape = (len(norms), len(self.idf))
        lengths = np.sqrt(np.asarray(csr_matrix((x * x, idx, starts), shape=shape).sum(axis=1)).ravel())
        x /= np.repeat(np.where(lengths > 0, lengths, 1.0), np.diff(starts))
        return 1.0 / (1.0 + np.exp(-(csr_matrix((x, idx, starts), shape=shape) @ self.weights + self.intercepts)))

    def _counts(self, norms: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each comment's known features as columns and counts, in the order :func:`features` first
        gives them (the order ``Counter(features(norm))`` keeps), one comment after another; and
        where each comment's begin in them (a CSR matrix's row pointers).

        Latin features are looked up in the vocabulary (few); the n-grams of Chinese runs, most features,
        are code points packed into one integer each (21 bits a character) and looked up in the
        sorted keys of the vocabulary's Chinese n-grams.  Every feature of a comment gets its place
        in :func:`features`' order, so a comment's first occurrence of each column gives its order.
        """
        texts = [norm.lower() for norm in norms]
        # Chinese runs: start in the joined texts, length, the place of its first feature
        run_starts: list[int] = []
        run_lengths: list[int] = []
        run_places: list[int] = []
        latin: list[str] = []  # the Latin features, and their places
        latin_places: list[int] = []
        sizes = []  # the number of features of each comment
        place = offset = 0
        for text in texts:
            first = place
            words = []
            for m in _RUN.finditer(text):
                start, end = m.span()
                if text[start].isascii():  # the word, then its first five letters
                    word = m.group()
                    latin += (word, "~" + word[:5])
                    latin_places += (place, place + 1)
                    place += 2
                    words.append(word)
                else:  # its characters, then its bigrams, then its trigrams
                    run_starts.append(offset + start)
                    run_lengths.append(end - start)
                    run_places.append(place)
                    place += 3 * (end - start) - 3 if end - start > 1 else 1
            if len(words) > 1:  # each pair of adjacent words
                latin += map(" ".join, pairwise(words))
                latin_places += range(place, place + len(words) - 1)
                place += len(words) - 1
            sizes.append(place - first)
            offset += len(text)
        column_at = np.full(place, -1, dtype=np.int64)  # each feature's column (-1: unknown)
        column_at[latin_places] = list(map(self.vocabulary.get, latin, repeat(-1)))
        vocabulary_keys, vocabulary_columns = self._chinese
        if run_starts and len(vocabulary_keys):
            starts, lengths = np.array(run_starts, dtype=np.int64), np.array(run_lengths, dtype=np.int64)
            firsts = np.array(run_places, dtype=np.int64)
            code = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
            code = np.append(code, [0, 0])  # so that the characters after a run's last can be read
            k = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)  # offset in its run
            at = np.repeat(starts, lengths) + k
            length, first_place = np.repeat(lengths, lengths), np.repeat(firsts, lengths)
            c0, c1, c2 = code[at], code[at + 1] << 21, code[at + 2] << 42
            bigram, trigram = k <= length - 2, k <= length - 3
            keys = np.concatenate((c0, (c0 | c1)[bigram], (c0 | c1 | c2)[trigram]))
            places = np.concatenate(
                (first_place + k, (first_place + length + k)[bigram], (first_place + 2 * length - 1 + k)[trigram])
            )
            found = np.minimum(np.searchsorted(vocabulary_keys, keys), len(vocabulary_keys) - 1)
            known = vocabulary_keys[found] == keys
            column_at[places[known]] = vocabulary_columns[found[known]]
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), sizes)
        known = column_at >= 0
        width = len(self.idf)
        cells, first_seen, counts = np.unique(
            rows[known] * width + column_at[known], return_index=True, return_counts=True
        )
        order = np.argsort(first_seen)
        cells, counts = cells[order], counts[order]
        starts = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(cells // width, minlength=len(texts)), out=starts[1:])
        return (cells % width).astype(np.intp), counts, starts

    def _read(self, p: np.ndarray) -> list[tuple[tuple[str, ...], str]]:
        """Each row's themes at or above ``threshold`` and its most probable sentiment (in arrays, not per row)."""
        k = len(self.themes)
        above = (p[:, :k] >= self.threshold).tolist()
        sentiments = np.argmax(p[:, k:], axis=1).tolist()
        return [(tuple(compress(self.themes, row)), _SENTIMENTS[s]) for row, s in zip(above, sentiments, strict=True)]


def fit(rows: list[dict[str, str]], themes: tuple[str, ...]) -> LearnedModel:
    """Fit the classifiers on labelled comments (``text``, ``themes`` ``;``-separated, ``sentiment``)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = TfidfVectorizer(analyzer=features, sublinear_tf=True, lowercase=False)
    x = vectoriser.fit_transform([normalise(r["text"]) for r in rows])
    columns, intercepts = [], []
    labels = [[t in r["themes"].split(";") for r in rows] for t in themes]
    labels += [[r["sentiment"] == s for r in rows] for s in _SENTIMENTS]
    settings = [(_THEME_C, "balanced")] * len(themes) + [(_SENTIMENT_C, None)] * len(_SENTIMENTS)
    for y, (c, weight) in zip(labels, settings, strict=True):
        if not any(y):  # a label nobody used: never predicted
            columns.append(np.zeros(x.shape[1]))
            intercepts.append(-50.0)
            continue
        model = LogisticRegression(C=c, solver="liblinear", class_weight=weight, random_state=0)
        model.fit(x, np.asarray(y, dtype=int))
        columns.append(model.coef_[0])
        intercepts.append(float(model.intercept_[0]))
    vocabulary = {str(f): int(j) for f, j in vectoriser.vocabulary_.items()}
    return LearnedModel(themes, vocabulary, vectoriser.idf_, np.column_stack(columns), np.asarray(intercepts))


def training_rows() -> list[dict[str, str]]:
    with TRAINING.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


@lru_cache(maxsize=1)
def learned_model(themes: tuple[str, ...]) -> LearnedModel:
    """The model fitted on the shipped training comments for ``themes`` (the default codeframe's), once."""
    return fit(training_rows(), themes)
