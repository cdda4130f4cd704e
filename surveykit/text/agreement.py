"""Agreement of a coding with gold labels, measured as the reference set's README defines it.

Themes: every (comment, theme) pair for the themes other than ``other`` is a decision; TP,
FP and FN are summed over comments and themes; micro P = ΣTP/(ΣTP+ΣFP), R = ΣTP/(ΣTP+ΣFN),
F1 = 2PR/(P+R), a zero denominator counting as 0.  Per-theme P, R, F1 use the same formulas
for one theme (``other`` included, for information).  Sentiment: accuracy is the share of
comments whose label is exactly right; macro-F1 the unweighted mean of the per-class F1 over
the classes present in gold or predictions.  A comment without a prediction predicts nothing.
(Manning, Raghavan & Schütze 2008, *Introduction to Information Retrieval*, §13.6.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Agreement", "agreement"]


@dataclass(frozen=True, slots=True)
class Agreement:
    micro_precision: float
    micro_recall: float
    micro_f1: float
    per_theme: tuple[tuple[str, float, float, float, int], ...]  # theme, P, R, F1, gold count
    sentiment_accuracy: float
    sentiment_macro_f1: float

    def summary(self) -> str:
        lines = [
            f"micro P {self.micro_precision:.3f}  R {self.micro_recall:.3f}  F1 {self.micro_f1:.3f}",
            f"sentiment accuracy {self.sentiment_accuracy:.3f}  macro-F1 {self.sentiment_macro_f1:.3f}",
        ]
        lines += [f"  {t:<18} P {p:.2f}  R {r:.2f}  F1 {f:.2f}  (n={n})" for t, p, r, f, n in self.per_theme]
        return "\n".join(lines)


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return p, r, _ratio(2 * p * r, p + r)


def agreement(
    gold: Mapping[str, tuple[Sequence[str], str]],
    predicted: Mapping[str, tuple[Sequence[str], str | None]],
    themes: Sequence[str],
    other: str = "other",
) -> Agreement:
    """Compare ``predicted`` with ``gold``, both id -> (themes, sentiment), over the ``themes`` ids.

    >>> g = {"a": (["price"], "neg"), "b": (["other"], "neu")}
    >>> round(agreement(g, {"a": (["price", "booking"], "neg")}, ["price", "booking", "other"]).micro_f1, 3)
    0.667
    """
    counts = {t: [0, 0, 0] for t in themes}
    right = 0
    classes: dict[str, list[int]] = {}
    for cid, (gold_themes, gold_sentiment) in gold.items():
        pred_themes, pred_sentiment = predicted.get(cid, ((), None))
        in_gold, in_pred = set(gold_themes), set(pred_themes)
        for t in themes:
            counts[t][0] += t in in_gold and t in in_pred
            counts[t][1] += t in in_pred and t not in in_gold
            counts[t][2] += t in in_gold and t not in in_pred
        right += pred_sentiment == gold_sentiment
        for label in {gold_sentiment, pred_sentiment} - {None}:
            c = classes.setdefault(str(label), [0, 0, 0])
            c[0] += gold_sentiment == pred_sentiment == label
            c[1] += pred_sentiment == label and gold_sentiment != label
            c[2] += gold_sentiment == label and pred_sentiment != label
    coded = [t for t in themes if t != other]
    tp, fp, fn = (sum(counts[t][i] for t in coded) for i in range(3))
    p, r, f = _f1(tp, fp, fn)
    per_theme = tuple((t, *_f1(*counts[t]), counts[t][0] + counts[t][2]) for t in themes)
    macro = _ratio(sum(_f1(*c)[2] for c in classes.values()), len(classes))
    return Agreement(p, r, f, per_theme, _ratio(right, len(gold)), macro)
