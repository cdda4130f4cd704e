"""Per-respondent order of randomised pages, matrix rows, options and paired blocks.

Order effects (primacy, recency, context) bias ratings when every respondent
meets items in one order; randomising the order per respondent spreads them
evenly and lets the analysis test for them (Schuman & Presser 1981, ch. 2;
Krosnick & Alwin 1987).  The order must be reproducible: the same respondent
sees the same order after Back or a resume, and an analyst can recompute every
respondent's order from the export.  So nothing random is stored per screen:

* each response has an ``order_seed`` (a 32-bit number derived from its
  submission key, which is stored with the response and carried by its draft),
  exported as a metadata column of every randomised questionnaire;
* each randomised list has a key (``group:<randomize_group>`` when paired
  lists rotate in step, else its kind and id) and :func:`permutation` draws the
  list's order from ``(order_seed, key)`` by a Fisher-Yates shuffle whose draws
  are SHA-256 digests, so the order is the same on every platform and in any
  language that has SHA-256 (see the codebook).

Entries listed as ``fixed`` keep their position; the others are shuffled among
the remaining positions.  Exports and analysis keep the codebook order.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from surveykit.checks import names_of
from surveykit.model import Question, Questionnaire, Screen, Shuffle
from surveykit.reader import BAD, Obj, Reader

__all__ = [
    "ORDER_NOTE",
    "ORDER_SEED",
    "ShuffleReader",
    "arrange",
    "check_randomised_page",
    "is_randomised",
    "item_positions",
    "order_seed",
    "permutation",
    "personal_screen",
    "randomisation_notes",
    "randomised_lists",
]

ORDER_SEED = "order_seed"
_T = TypeVar("_T")


def order_seed(key: str) -> int:
    """The order seed of a response: the first 32 bits of SHA-256 of ``"surveykit-order:" + key``.

    ``key`` is the submission key (for simulated or imported rows, the response id),
    so the seed is fixed from the first screen on and needs no column of its own in
    the store; 32 bits fit exactly in every export format's numbers.
    """
    digest = hashlib.sha256(f"surveykit-order:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def permutation(seed: int, key: str, n: int) -> tuple[int, ...]:
    """The order of ``n`` entries of the list ``key`` for the respondent with ``seed``.

    Notes
    -----
    Durstenfeld's form of the Fisher-Yates shuffle: for i = n-1 down to 1, swap
    entry i with entry j = d_i mod (i + 1), where d_i is SHA-256 of
    ``"<seed>:<key>:<i>"`` read as a big-endian integer.  Every order is (up to a
    bias below 2^-240) equally likely, and the draw is reproducible from the
    export alone.

    References
    ----------
    .. [1] Durstenfeld, R. (1964). Algorithm 235: Random permutation.
           Communications of the ACM, 7(7), 420. https://doi.org/10.1145/364520.364540

    Examples
    --------
    >>> permutation(7, "page:visit", 4) == permutation(7, "page:visit", 4)
    True
    >>> sorted(permutation(7, "page:visit", 4))
    [0, 1, 2, 3]
    """
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        draw = int.from_bytes(hashlib.sha256(f"{seed}:{key}:{i}".encode()).digest(), "big")
        j = draw % (i + 1)
        order[i], order[j] = order[j], order[i]
    return tuple(order)


def arrange(items: Sequence[_T], name: Callable[[_T], str], shuffle: Shuffle | None, seed: int) -> tuple[_T, ...]:
    """``items`` in the respondent's order: fixed entries stay where they are, the rest are permuted."""
    if shuffle is None:
        return tuple(items)
    movable = [i for i, item in enumerate(items) if name(item) not in shuffle.fixed]
    order = permutation(seed, shuffle.key, len(movable))
    out = list(items)
    for slot, source in zip(movable, order, strict=True):
        out[slot] = items[movable[source]]
    return tuple(out)


def _question_order(question: Question, seed: int) -> Question:
    if question.shuffle is None:
        return question
    if question.type == "matrix":
        return replace(question, rows=arrange(question.rows, lambda r: r.id, question.shuffle, seed))
    return replace(question, options=arrange(question.options, lambda o: o.code, question.shuffle, seed))


def personal_screen(screen: Screen, seed: int) -> Screen:
    """The screen as the respondent with ``seed`` sees it: questions, rows and options in their order."""
    questions = _screen_order(screen, seed)
    return replace(screen, questions=tuple(_question_order(x, seed) for x in questions))


def _screen_order(screen: Screen, seed: int) -> tuple[Question, ...]:
    """The screen's questions in the respondent's order, the questions of one item kept together.

    An item is one question of a page, or all the questions of one paired item on a block's
    screen (a Kano attribute's functional, dysfunctional and importance questions); the items
    are shuffled as one list, so a page's order is that of its questions.
    """
    if screen.shuffle is None:
        return screen.questions
    items = list(dict.fromkeys(_item_name(x) for x in screen.questions))
    members = {name: [x for x in screen.questions if _item_name(x) == name] for name in items}
    return tuple(x for name in arrange(items, str, screen.shuffle, seed) for x in members[name])


def _item_name(question: Question) -> str:
    """A question's name within a randomised list: the item id as written (``rel1``, not ``rel1_e``)."""
    return question.pair or question.id


def is_randomised(q: Questionnaire) -> bool:
    """Whether any page, block, matrix or option list of ``q`` is randomised."""
    return any(screen.shuffle is not None for screen in q.screens()) or any(
        question.shuffle is not None for question in q.questions()
    )


def randomised_lists(q: Questionnaire) -> list[tuple[str, str, tuple[str, ...], Shuffle]]:
    """(where, what, entries in codebook order, shuffle) of every randomised list, for the codebook.

    ``where`` is the screen or question id, ``what`` one of questions, rows, options;
    entries are variable names (questions and rows) or option codes.
    """
    lists = []
    for screen in q.screens():
        if screen.shuffle is not None:
            lists.append((screen.id, "questions", tuple(x.id for x in screen.questions), screen.shuffle))
        for question in screen.questions:
            if question.shuffle is None:
                continue
            if question.type == "matrix":
                lists.append((question.id, "rows", tuple(r.id for r in question.rows), question.shuffle))
            else:
                lists.append((question.id, "options", tuple(o.code for o in question.options), question.shuffle))
    return lists


def item_positions(q: Questionnaire, seed: int) -> dict[str, tuple[str, int]]:
    """Rating variable -> (randomised list, 1-based position shown) for one respondent.

    Covers the questions of randomised pages and paired-block screens and the rows
    of randomised matrices; options are not items.  The list is named by screen or
    matrix id.
    """
    out: dict[str, tuple[str, int]] = {}
    for screen in q.screens():
        if screen.shuffle is not None:
            items = list(dict.fromkeys(_item_name(x) for x in _screen_order(screen, seed)))
            for question in screen.questions:
                out[question.id] = (screen.id, items.index(_item_name(question)) + 1)
        for question in screen.questions:
            if question.shuffle is not None and question.type == "matrix":
                for position, row in enumerate(arrange(question.rows, lambda r: r.id, question.shuffle, seed), 1):
                    out[row.id] = (question.id, position)
    return out


class ShuffleReader:
    """Reads ``randomize``, ``randomize_group`` and ``fixed`` of a page, block, matrix or option list.

    Problems are reported at the key where they are written: ``fixed`` or a group
    without ``randomize: true``, a fixed entry the list does not have (with a
    did-you-mean), and lists of one group whose numbers of movable entries differ
    (they could not rotate in step).
    """

    def __init__(self, reader: Reader) -> None:
        self.r = reader
        self.groups: dict[str, tuple[int, str]] = {}  # group -> (movable entries, where first used)

    def read(self, obj: Obj, kind: str, own: str | None, entries: Sequence[str]) -> Shuffle | None:
        randomize = obj.get("randomize", False)
        group = obj.get("randomize_group")
        fixed = [(code, node) for code, node in obj.get("fixed", []) or [] if code is not BAD]
        if not randomize:
            for key in ("randomize_group", "fixed"):
                if key in obj.nodes:
                    self.r.problem(obj.at(key), obj.sub(key), f"{key} needs randomize: true")
            return None
        if own is None:
            return None
        for code, node in fixed:
            if code not in entries:
                close = difflib.get_close_matches(code, list(entries), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.r.problem(node, obj.sub("fixed"), f"{code!r} is not one of the {kind} of {own!r}{hint}")
        codes = tuple(dict.fromkeys(code for code, _ in fixed if code in entries))
        movable = len(entries) - len(codes)
        if group is not None:
            first = self.groups.setdefault(group, (movable, obj.sub("randomize_group")))
            if first[0] != movable:
                self.r.problem(
                    obj.at("randomize_group"),
                    obj.sub("randomize_group"),
                    f"randomize_group {group!r} has {first[0]} entries to shuffle at {first[1]} but {movable} here; "
                    "lists that rotate in step need as many",
                )
        return Shuffle(f"group:{group}" if group is not None else f"{kind}:{own}", codes)


def check_randomised_page(reader: Reader, obj: Obj, questions: Sequence[Question]) -> None:
    """A randomised page may not hold a condition on an answer of the same page.

    Such a condition refers to an earlier question only in the written order; once
    shuffled, the answer it needs may come after it.
    """
    names = {name for question in questions for name in names_of(question)}
    for question in questions:
        if question.visible_if is None:
            continue
        used = sorted({ref.name for ref in question.visible_if.names()} & names)
        if used:
            reader.problem(
                obj.at("randomize"),
                obj.sub("randomize"),
                f"the page is randomised, so the condition of {question.id!r} may not use {', '.join(map(repr, used))} "
                "of the same page; move one of them to another page",
            )


ORDER_NOTE = (
    "Randomised lists are shown in a per-respondent order; exports keep the codebook order. "
    "The order of a list of n entries is a Fisher-Yates shuffle: for i = n-1 down to 1, swap entries i and "
    "j = int(SHA-256('<order_seed>:<list>:<i>'), big-endian) mod (i + 1); entries marked fixed keep their "
    "place and only the others are shuffled, in codebook order. order_seed is the first 32 bits of "
    "SHA-256('surveykit-order:<submission key>')."
)


def randomisation_notes(q: Questionnaire) -> dict[str, str]:
    """Variable -> how its position or its options were randomised, for the codebook's ``randomised`` column."""
    notes: dict[str, str] = {ORDER_SEED: ORDER_NOTE} if is_randomised(q) else {}
    for where, what, entries, shuffle in randomised_lists(q):
        fixed = f"; fixed: {', '.join(shuffle.fixed)}" if shuffle.fixed else ""
        for v in q.answer_variables():
            if what == "questions" and (v.name in entries or (v.question in entries and v.block == where)):
                moved = "fixed in place" if (v.question or v.name) in shuffle.fixed else "position drawn"
                note = f"{moved} among the questions of {where} (list {shuffle.key}{fixed})"
            elif what == "rows" and v.name in entries:
                note = f"row position drawn in {where} (list {shuffle.key}{fixed})"
            elif what == "options" and where in (v.name, v.question):
                note = f"options shown in drawn order (list {shuffle.key}{fixed})"
            else:
                continue
            notes[v.name] = f"{notes[v.name]}; {note}" if v.name in notes else note
    return notes
