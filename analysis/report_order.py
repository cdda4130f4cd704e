"""The report's order-effects section, present when the questionnaire randomises a page, block or matrix.

:func:`section` turns an :class:`~analysis.order_effects.OrderEffectResult` into one table: per
randomised item its list, n, mean at each position it was shown at, the spread of those means and
the Kruskal-Wallis p before and after Holm's adjustment; items whose adjusted p is below 0.05 are
marked.
"""

from __future__ import annotations

import math
from typing import Any

from analysis.order_effects import OrderEffectResult
from surveykit.model import Questionnaire

WORDS = {
    "zh": {
        "title": "顺序效应（随机化题组）",
        "intro": "以下题组按受访者随机排序（种子见 order_seed 列）。每题按其显示位置比较答案："
        "Kruskal–Wallis 检验，p 值经 Holm 校正；标 * 者在 0.05 水平上显著，说明该题的答案随位置而变。"
        "随机化使这种效应在总体均值中相互抵消。",
        "list": "题组",
        "item": "题项",
        "means": "各位置均值（位置: 均值）",
        "spread": "极差",
        "p": "p",
        "p_holm": "p（Holm）",
        "none": "没有题项在两个以上位置各有足够答卷。",
    },
    "en": {
        "title": "Order effects (randomised lists)",
        "intro": "These lists were shown in a per-respondent random order (the seed is the order_seed column). "
        "Each item's answers are compared by the position it was shown at: Kruskal–Wallis test, p adjusted "
        "by Holm; * marks an item whose answers depend on its position at the 0.05 level. Randomisation "
        "averages such an effect out of the overall means.",
        "list": "List",
        "item": "Item",
        "means": "Mean by position (position: mean)",
        "spread": "Spread",
        "p": "p",
        "p_holm": "p (Holm)",
        "none": "No item had enough answers at two or more positions.",
    },
}


def section(q: Questionnaire, result: OrderEffectResult | None, lang: str) -> dict[str, Any] | None:
    """What the template shows, or None when nothing is randomised."""
    if result is None:
        return None
    words = WORDS.get(lang, WORDS["en"])
    rows = []
    for record in result.items.to_dict("records"):
        means = [
            f"{column[5:]}: {value:.2f}"
            for column, value in record.items()
            if column.startswith("mean_") and not (isinstance(value, float) and math.isnan(value))
        ]
        try:
            label = q.variable(record["item"]).label.best(lang)
        except KeyError:
            label = record["item"]
        rows.append(
            {
                "list": record["list"],
                "item": f"{record['item']} – {label}",
                "n": record["n"],
                "means": "; ".join(means),
                "spread": f"{record['spread']:.2f}",
                "p": f"{record['p']:.3f}",
                "p_holm": f"{record['p_holm']:.3f}" + (" *" if record["p_holm"] < result.alpha else ""),
            }
        )
    return {"w": words, "rows": rows}
