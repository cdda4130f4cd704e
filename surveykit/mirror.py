"""``mirror_of:``: a staff survey that restates a customer survey's expectation items.

Gap 1 of the gap model (Parasuraman, Zeithaml & Berry 1985) is the distance between what
management believes customers expect and what customers say they expect. To measure it,
managers and frontline staff answer the expectation items of the customer's SERVQUAL block
as "what do our customers expect?", on the same scale. A mirror survey says which customer
survey it mirrors (``mirror_of: {survey, file, block}``) and which customer item each of its
rating items restates (``mirrors: rel1`` on a likert question or a matrix row).

The builder collects the ``mirrors:`` keys as it reads; :func:`build_mirror` checks them:
when the questionnaire was read from a file, the customer survey's file is loaded (relative to
it) and every mirrored item must be an item of its servqual block, once, on a scale with the
same number of points. A questionnaire read from text (the copy kept in the response store)
has no folder to resolve ``file`` in; :func:`analysis.gap1.gap1` checks the items again against
the customer questionnaire it is given.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from surveykit.errors import QuestionnaireError
from surveykit.model import MirrorOf, Questionnaire, Scale, ServqualBlock
from surveykit.reader import Obj, Reader
from surveykit.yamlsafe import Mapping, Node

__all__ = ["MirroredItem", "build_mirror"]


@dataclass(frozen=True, slots=True)
class MirroredItem:
    """One ``mirrors:`` key as read: the variable that carries it, the customer item, where it is."""

    variable: str
    item: str
    scale: Scale | None
    node: Node
    path: str


def build_mirror(
    reader: Reader, top: Obj, mirrored: list[MirroredItem], load_survey: Callable[[Path], Questionnaire]
) -> MirrorOf | None:
    """The :class:`~surveykit.model.MirrorOf` of ``mirror_of:``, reporting every problem at its position.

    ``load_survey`` is the loader's own entry point, handed down by it: this module is part of the
    loader, so importing the loader from here would make an import cycle.
    """
    obj = top.get("mirror_of")
    if obj is None:
        for item in mirrored:
            reader.problem(item.node, item.path, "mirrors: needs a top-level mirror_of: naming the customer survey")
        return None
    if not mirrored:
        reader.problem(
            top.at("mirror_of"), "mirror_of", "a mirror survey needs rating items with mirrors: <customer item id>"
        )
    seen: dict[str, str] = {}
    for item in mirrored:
        if item.item in seen:
            reader.problem(item.node, item.path, f"item {item.item!r} is already mirrored by {seen[item.item]!r}")
        seen.setdefault(item.item, item.variable)
    survey, file, block = obj.get("survey"), obj.get("file"), obj.get("block")
    if survey is None or file is None:
        return None
    here = Path(reader.name)
    if here.is_file():
        block = _check_against_file(reader, obj, here.parent / file, mirrored, load_survey) or block
    return MirrorOf(survey, block, file, tuple((m.variable, m.item) for m in mirrored))


def _check_against_file(
    reader: Reader,
    obj: Obj,
    path: Path,
    mirrored: list[MirroredItem],
    load_survey: Callable[[Path], Questionnaire],
) -> str | None:
    """Load the customer survey and check the mirrored items against its servqual block; its block id."""
    from surveykit.source import read_source

    where, sub = obj.at("file"), obj.sub("file")
    if not path.is_file():
        reader.problem(where, sub, f"file {obj.get('file')!r} does not exist (looked for {path})")
        return None
    try:
        # a mirror of a mirror could name itself and load forever: look before building
        root = read_source(path, max_bytes=512 * 1024, as_file=True).root
        if isinstance(root, Mapping) and any(k.value == "mirror_of" for k, _ in root.pairs):
            reader.problem(where, sub, f"{obj.get('file')!r} is itself a mirror survey; mirror the customer survey")
            return None
        customer = load_survey(path)
    except QuestionnaireError as exc:
        first = exc.problems[0]
        reader.problem(where, sub, f"{obj.get('file')!r} does not load: {first.line}:{first.column}: {first.message}")
        return None
    if customer.survey != obj.get("survey"):
        reader.problem(
            obj.at("survey"),
            obj.sub("survey"),
            f"survey {obj.get('survey')!r} does not match the survey of {obj.get('file')!r} ({customer.survey!r})",
        )
    block = _block(reader, obj, customer)
    if block is None:
        return None
    items = {item.id: item for item in block.items}
    for m in mirrored:
        if m.item not in items:
            close = difflib.get_close_matches(m.item, list(items), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            reader.problem(
                m.node,
                m.path,
                f"item {m.item!r} is not in servqual block {block.id!r} of {obj.get('file')!r}{hint} "
                f"(items: {', '.join(map(repr, items))})",
            )
        elif m.scale is not None and m.scale.points != block.scale.points:
            reader.problem(
                m.node,
                m.path,
                f"{m.variable!r} has {m.scale.points} points but the customers rated {m.item!r} on "
                f"{block.scale.points}; gap 1 compares the same scale",
            )
    return block.id


def _block(reader: Reader, obj: Obj, customer: Questionnaire) -> ServqualBlock | None:
    blocks = customer.blocks("servqual")
    wanted = obj.get("block")
    if wanted is None:
        if len(blocks) == 1:
            return blocks[0]
        reader.problem(
            obj.at("file"),
            obj.sub("file"),
            f"{obj.get('file')!r} has {len(blocks)} servqual blocks; name one with block:"
            + (f" ({', '.join(repr(b.id) for b in blocks)})" if blocks else ""),
        )
        return None
    for b in blocks:
        if b.id == wanted:
            return b
    reader.problem(
        obj.at("block"),
        obj.sub("block"),
        f"{obj.get('file')!r} has no servqual block {wanted!r}"
        + (f" (servqual blocks: {', '.join(repr(b.id) for b in blocks)})" if blocks else ""),
    )
    return None
