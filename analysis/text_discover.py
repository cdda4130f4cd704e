"""Candidate new themes in comments a codeframe leaves as ``other``.

A researcher extends a codeframe by reading what it misses.  :func:`discover` gives the
reading a start: the comments' words (jieba for Chinese, words for English, stop words and
one-character Chinese words dropped) weighted by TF-IDF,

    tfidf(t, d) = tf(t, d) * (ln((1 + n) / (1 + df(t))) + 1),  rows scaled to unit length

(scikit-learn's smoothed idf; Salton & Buckley 1988), whose column sums rank the keywords;
and clusters from a non-negative matrix factorisation of that matrix, X ~ W H with W, H >= 0
(Lee & Seung 1999, scikit-learn's ``NMF`` with NNDSVD start, Boutsidis & Gallopoulos 2008):
each of the k components is a candidate theme, named by its eight heaviest words (its row of
H, words of weight 0 left out) and shown with the five of its comments (those whose largest
loading is on it) that load most on it.  Examples are masked
(:func:`surveykit.text.mask_personal_data`); the summary shortens long ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from surveykit.text import Codeframe, coder_for, mask_personal_data, normalise
from surveykit.text.segment import english_words, segment

__all__ = ["Cluster", "DiscoveryResult", "discover", "words_of"]

_STOP_ZH = frozenset(
    "的 了 是 我 你 他 她 它 们 我们 你们 他们 就 都 也 还 在 有 和 跟 与 很 又 这 那 这个 那个 个 吧 啊 呢 吗 把 被 给 让 说 要 "
    "没 不 太 去 来 到 上 下 一 一个 什么 怎么 还是 就是 但是 而且 然后 因为 所以 如果 可以 已经 自己 这次 这样 那样 一下 "
    "一些 觉得 感觉 真的 非常 比较 有点 没有 不是 时候 现在 今天 昨天 之后 以后 之前 一直 还有 可能 应该 需要 知道".split()
)
_STOP_EN = frozenset(
    "the a an and or but to of in on at for is was were it its this that these those i me my we our us they them their you "
    "your he him his she her with be been being have has had do did does not no so very just as by from there here then than "
    "too also would could should will can get got about after before again all any if into out up down over only some such "
    "what when which who how why one two more most other same really still even much many because while where".split()
)


EXAMPLE_CHARS = 160  # an example's length in the summary


@dataclass(frozen=True, slots=True)
class Cluster:
    """One candidate theme: its heaviest words and up to five example comments (masked)."""

    words: tuple[str, ...]
    examples: tuple[str, ...]
    size: int  # comments whose largest loading is on this cluster


@dataclass(frozen=True, slots=True)
class DiscoveryResult:
    """Keywords as (word, summed TF-IDF) and the clusters of the comments considered."""

    comments: int
    keywords: tuple[tuple[str, float], ...]
    clusters: tuple[Cluster, ...]
    given: int  # non-empty comments given, before those the codeframe codes were set aside

    def summary(self) -> str:
        if not self.given:
            return "no comments to read: the column holds none"
        if not self.comments:
            return "no comments to read: every comment is coded by the codeframe"
        lines = [f"{self.comments} comment(s) read", "keywords: " + ", ".join(w for w, _ in self.keywords)]
        for i, cluster in enumerate(self.clusters, 1):
            lines.append(f"\ncandidate theme {i} ({cluster.size} comment(s)): {' '.join(cluster.words)}")
            lines += [f"  - {_shortened(example)}" for example in cluster.examples]
        return "\n".join(lines)


def _shortened(text: str, limit: int = EXAMPLE_CHARS) -> str:
    """One line of at most ``limit`` characters: a comment may run to pages."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def words_of(text: str) -> list[str]:
    """The content words of one comment: jieba words (two characters or more) and English words."""
    norm = normalise(text)
    out = []
    for word in segment(norm):
        if word.isascii():
            out += [w for w in english_words(word) if len(w) > 2 and w not in _STOP_EN and not w.isdigit()]
        elif len(word) > 1 and word not in _STOP_ZH and not any(ch.isdigit() for ch in word):
            out.append(word)
    return out


def discover(
    comments: Sequence[str],
    codeframe: Codeframe | None = None,
    *,
    clusters: int = 6,
    keywords: int = 20,
    only_other: bool = True,
    seed: int = 0,
) -> DiscoveryResult:
    """Keywords and NMF clusters of ``comments`` (only those coded ``other`` unless ``only_other`` is false).

    ``codeframe`` None is the shipped default.  Fewer clusters are returned when there are not
    enough comments or words for ``clusters``.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    if clusters < 1 or keywords < 1:
        raise ValueError("clusters and keywords must be at least 1")
    coder = coder_for(codeframe)
    texts = [c for c in comments if isinstance(c, str) and c.strip()]
    given = len(texts)
    if only_other:
        texts = [c for c in texts if coder.code(c).themes == ("other",)]
    tokens = [words_of(c) for c in texts]
    kept = [(text, words) for text, words in zip(texts, tokens, strict=True) if words]
    if not kept:
        return DiscoveryResult(len(texts), (), (), given)
    vectorizer = TfidfVectorizer(analyzer=lambda words: words)
    matrix = vectorizer.fit_transform([words for _, words in kept])
    vocabulary = vectorizer.get_feature_names_out()
    weight = np.asarray(matrix.sum(axis=0)).ravel()
    order = np.argsort(-weight, kind="stable")[:keywords]
    top = tuple((str(vocabulary[i]), float(weight[i])) for i in order)
    k = min(clusters, matrix.shape[0] - 1, matrix.shape[1])
    if k < 1:
        return DiscoveryResult(len(texts), top, (), given)
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=1000)
    loadings = model.fit_transform(matrix)
    best = loadings.argmax(axis=1)
    found = []
    for j in range(k):
        component = model.components_[j]
        words = tuple(str(vocabulary[i]) for i in np.argsort(-component, kind="stable")[:8] if component[i] > 0)
        members = [i for i in np.argsort(-loadings[:, j], kind="stable") if best[i] == j and loadings[i, j] > 0]
        examples = tuple(mask_personal_data(kept[i][0]) for i in members[:5])
        found.append(Cluster(words, examples, len(members)))
    found.sort(key=lambda c: -c.size)
    return DiscoveryResult(len(texts), top, tuple(c for c in found if c.size), given)
