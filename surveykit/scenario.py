"""Planted effects for the simulator: a study-planning scenario read from YAML.

A scenario says what the population looks like, so that ``surveykit plan power``
can ask how often the report would find it.  It declares realistic levels and
up to four planted effects, each in the unit the report speaks in::

    level: 70                       # satisfaction index (0-100) of the reference group
    dealers: [D1, D2, D3, D4, D5]   # values of the questionnaire's first segment field
    waves: [2025H2, 2026H1]         # needed for a change between waves
    effects:
      dealer: {dealer: D3, index: -5}                 # D3 5 index points below the rest
      change: {index: 3}                              # +3 index points from wave to wave
      servqual_gap: {dimension: responsiveness, gap: -0.3}   # P - E in scale points
      kano_mix: {attribute: courtesy_car, mix: {M: 0.5, O: 0.2, A: 0.1, I: 0.2}}

The file is read as a questionnaire is (:mod:`surveykit.yamlsafe`: no tags, no
aliases that explode, no duplicate keys, characters placed at their line), and
every problem, including those that need the questionnaire (a dimension no
SERVQUAL item has, a Kano attribute the instrument lacks), is reported at once
as ``file:line:column: key.path: message`` by a
:class:`~surveykit.errors.QuestionnaireError`.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

from surveykit.errors import Problem, QuestionnaireError
from surveykit.model import KanoBlock, Question, Questionnaire
from surveykit.source import read_source
from surveykit.yamlsafe import Mapping, Node, Scalar, Sequence

__all__ = ["DealerEffect", "GapEffect", "KanoMix", "Scenario", "WaveChange", "load_scenario", "satisfaction_question"]

MAX_BYTES = 64 * 1024
KANO_CATEGORIES = ("A", "O", "M", "I", "R", "Q")
_TOP_KEYS = ("level", "dealers", "waves", "effects")
_EFFECT_KEYS = ("dealer", "change", "servqual_gap", "kano_mix")


@dataclass(frozen=True, slots=True)
class DealerEffect:
    """One dealer ``index`` points (signed) away from the rest on the satisfaction index."""

    dealer: str
    index: float


@dataclass(frozen=True, slots=True)
class WaveChange:
    """The satisfaction index moves ``index`` points (signed) from each wave to the next."""

    index: float


@dataclass(frozen=True, slots=True)
class GapEffect:
    """SERVQUAL gap P - E of ``gap`` scale points on every item of ``dimension`` (0 elsewhere)."""

    dimension: str
    gap: float


@dataclass(frozen=True, slots=True)
class KanoMix:
    """The population's category shares of one Kano attribute, as (category, share) pairs."""

    attribute: str
    mix: tuple[tuple[str, float], ...]

    @property
    def planted(self) -> str:
        """The category with the largest share, ties broken M > O > A > I > R > Q (Berger et al. 1993)."""
        order = ("M", "O", "A", "I", "R", "Q")
        return sorted(self.mix, key=lambda cs: (-cs[1], order.index(cs[0])))[0][0]


@dataclass(frozen=True, slots=True)
class Scenario:
    """Levels and planted effects for :func:`surveykit.simulate.simulate` (see the module docstring)."""

    level: float = 70.0
    dealers: tuple[str, ...] = ()
    waves: tuple[str, ...] = ()
    dealer: DealerEffect | None = None
    change: WaveChange | None = None
    servqual_gap: GapEffect | None = None
    kano_mix: KanoMix | None = None


def satisfaction_question(q: Questionnaire) -> Question | None:
    """The overall-satisfaction question, by the rule ``analysis.analyze`` uses.

    The first ``likert`` question outside the paired blocks whose id starts with ``sat``, else
    the first such question without a dimension.  It is repeated here (not imported) because the
    core may not import the analysis; ``tests/surveykit/test_scenario.py`` checks both agree.
    """
    plain = [question for question in q.questions() if question.type == "likert" and question.block is None]
    named = [question for question in plain if question.id.startswith("sat")]
    undimensioned = [question for question in plain if question.dimension is None]
    candidates = named or undimensioned
    return candidates[0] if candidates else None


def load_scenario(source: str | os.PathLike[str], q: Questionnaire) -> Scenario:
    """Read and check a scenario file (or YAML text) against the questionnaire ``q``.

    A ``Path`` or a one-line string ending in ``.yaml``/``.yml`` is read as a file, any
    other string is the YAML itself.  Raises :class:`~surveykit.errors.QuestionnaireError`
    listing every problem, each as ``file:line:column: key.path: message``.
    """
    read = read_source(source, max_bytes=MAX_BYTES)
    name, root = read.name, read.root
    reader = _Reader(name, q)
    scenario = reader.scenario(root)
    if reader.problems:
        raise QuestionnaireError(reader.problems)
    return scenario


class _Reader:
    """Reads the composed nodes, collecting problems instead of raising at the first."""

    def __init__(self, name: str, q: Questionnaire) -> None:
        self.name, self.q = name, q
        self.problems: list[Problem] = []

    def problem(self, node: Node | None, key: str, message: str) -> None:
        line, column = (node.line, node.column) if node is not None else (1, 1)
        self.problems.append(Problem(self.name, line, column, key, message))

    def mapping(self, node: Node | None, key: str, allowed: tuple[str, ...]) -> dict[str, tuple[Scalar, Node]]:
        if not isinstance(node, Mapping):
            self.problem(node, key, f"expected a mapping with keys {', '.join(allowed)}")
            return {}
        out = {}
        for k, value in node.pairs:
            if k.value not in allowed:
                close = difflib.get_close_matches(k.value, allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f" (allowed: {', '.join(allowed)})"
                self.problem(k, f"{key}.{k.value}" if key else k.value, f"unknown key {k.value!r}{hint}")
                continue
            out[k.value] = (k, value)
        return out

    def number(self, node: Node, key: str, check: Callable[[float], bool], allowed: str) -> float | None:
        value = node.resolved() if isinstance(node, Scalar) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            shown = repr(node.value) if isinstance(node, Scalar) else f"a {node.kind}"
            self.problem(node, key, f"expected a number, got {shown}")
            return None
        if not check(float(value)):
            self.problem(node, key, f"{value!r} is out of range: {allowed}")
            return None
        return float(value)

    def text(self, node: Node, key: str) -> str | None:
        if isinstance(node, Scalar) and node.value.strip():
            return node.value
        self.problem(node, key, "expected a non-empty text")
        return None

    def texts(self, node: Node, key: str) -> tuple[str, ...]:
        if not isinstance(node, Sequence) or not node.items:
            self.problem(node, key, "expected a non-empty list, e.g. [D1, D2, D3]")
            return ()
        values = [self.text(item, f"{key}[{i}]") for i, item in enumerate(node.items)]
        seen: set[str] = set()
        for item, value in zip(node.items, values, strict=True):
            if value is not None and value in seen:
                self.problem(item, key, f"{value!r} is listed twice")
            seen.add(value or "")
        return tuple(v for v in values if v is not None)

    def scenario(self, root: Node | None) -> Scenario:
        if root is None:
            self.problem(None, "", "the file is empty; a scenario needs at least effects")
            return Scenario()
        top = self.mapping(root, "", _TOP_KEYS)
        level = 70.0
        if "level" in top:
            level = self.number(top["level"][1], "level", lambda v: 0 < v < 100, "between 0 and 100, exclusive") or 70.0
        dealers = self.texts(top["dealers"][1], "dealers") if "dealers" in top else ()
        waves = self.texts(top["waves"][1], "waves") if "waves" in top else ()
        effects = self.mapping(top["effects"][1], "effects", _EFFECT_KEYS) if "effects" in top else {}
        if "effects" not in top and top:
            self.problem(root, "effects", "missing: plant at least one of " + ", ".join(_EFFECT_KEYS))
        return Scenario(
            level=level,
            dealers=dealers,
            waves=waves,
            dealer=self.dealer(effects["dealer"], dealers, level) if "dealer" in effects else None,
            change=self.change(effects["change"], waves, level) if "change" in effects else None,
            servqual_gap=self.gap(effects["servqual_gap"]) if "servqual_gap" in effects else None,
            kano_mix=self.kano(effects["kano_mix"]) if "kano_mix" in effects else None,
        )

    def _needs_satisfaction(self, key_node: Scalar, key: str) -> None:
        if satisfaction_question(self.q) is None:
            self.problem(
                key_node,
                key,
                f"{self.q.survey!r} has no overall-satisfaction question (a likert "
                "question outside the paired blocks) to plant an index effect on",
            )

    def dealer(self, pair: tuple[Scalar, Node], dealers: tuple[str, ...], level: float) -> DealerEffect | None:
        key_node, node = pair
        fields = self.mapping(node, "effects.dealer", ("dealer", "index"))
        self._needs_satisfaction(key_node, "effects.dealer")
        if not self.q.fields:
            self.problem(key_node, "effects.dealer", f"{self.q.survey!r} declares no segment field (fields:)")
        if set(fields) != {"dealer", "index"}:
            if isinstance(node, Mapping):
                self.problem(node, "effects.dealer", "give both dealer and index, e.g. {dealer: D3, index: -5}")
            return None
        name = self.text(fields["dealer"][1], "effects.dealer.dealer")
        index = self.number(
            fields["index"][1],
            "effects.dealer.index",
            lambda v: 0 < level + v < 100,
            f"level + index must stay between 0 and 100 (level {level:g})",
        )
        known = dealers or (tuple(code for code, _ in self.q.fields[0].values) if self.q.fields else ())
        if name is not None and known and name not in known:
            self.problem(
                fields["dealer"][1], "effects.dealer.dealer", f"{name!r} is not one of the dealers ({', '.join(known)})"
            )
        if name is not None and not known:
            self.problem(fields["dealer"][1], "effects.dealer.dealer", "list the dealers (dealers: [...]) to name one")
        return None if name is None or index is None else DealerEffect(name, index)

    def change(self, pair: tuple[Scalar, Node], waves: tuple[str, ...], level: float) -> WaveChange | None:
        key_node, node = pair
        fields = self.mapping(node, "effects.change", ("index",))
        self._needs_satisfaction(key_node, "effects.change")
        if len(waves) < 2:
            self.problem(key_node, "effects.change", "a change between waves needs at least 2 waves (waves: [...])")
        if "index" not in fields:
            if isinstance(node, Mapping):
                self.problem(node, "effects.change", "give index, e.g. {index: 3}")
            return None
        steps = max(len(waves) - 1, 1)
        index = self.number(
            fields["index"][1],
            "effects.change.index",
            lambda v: 0 < level + steps * v < 100,
            f"the last wave's index must stay between 0 and 100 (level {level:g})",
        )
        return None if index is None else WaveChange(index)

    def gap(self, pair: tuple[Scalar, Node]) -> GapEffect | None:
        key_node, node = pair
        fields = self.mapping(node, "effects.servqual_gap", ("dimension", "gap"))
        blocks = self.q.blocks("servqual")
        if not blocks:
            self.problem(key_node, "effects.servqual_gap", f"{self.q.survey!r} has no SERVQUAL block")
            return None
        if set(fields) != {"dimension", "gap"}:
            if isinstance(node, Mapping):
                self.problem(
                    node, "effects.servqual_gap", "give dimension and gap, e.g. {dimension: reliability, gap: -0.3}"
                )
            return None
        dims = sorted({item.dimension for item in blocks[0].items if item.dimension})
        span = blocks[0].scale.points - 1
        name = self.text(fields["dimension"][1], "effects.servqual_gap.dimension")
        gap = self.number(
            fields["gap"][1],
            "effects.servqual_gap.gap",
            lambda v: abs(v) < span / 2,
            f"|gap| below half the scale range ({span / 2:g} points)",
        )
        if name is not None and name not in dims:
            close = difflib.get_close_matches(name, dims, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.problem(
                fields["dimension"][1],
                "effects.servqual_gap.dimension",
                f"no SERVQUAL item has dimension {name!r}{hint} (dimensions: {', '.join(dims) or 'none'})",
            )
            return None
        return None if name is None or gap is None else GapEffect(name, gap)

    def kano(self, pair: tuple[Scalar, Node]) -> KanoMix | None:
        key_node, node = pair
        fields = self.mapping(node, "effects.kano_mix", ("attribute", "mix"))
        attributes = [a.id for b in self.q.blocks("kano") if isinstance(b, KanoBlock) for a in b.attributes]
        if not attributes:
            self.problem(key_node, "effects.kano_mix", f"{self.q.survey!r} has no Kano block")
            return None
        if set(fields) != {"attribute", "mix"}:
            if isinstance(node, Mapping):
                self.problem(
                    node, "effects.kano_mix", "give attribute and mix, e.g. {attribute: car, mix: {M: 0.6, I: 0.4}}"
                )
            return None
        name = self.text(fields["attribute"][1], "effects.kano_mix.attribute")
        if name is not None and name not in attributes:
            close = difflib.get_close_matches(name, attributes, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.problem(
                fields["attribute"][1],
                "effects.kano_mix.attribute",
                f"{name!r} is not a Kano attribute{hint} (attributes: {', '.join(attributes)})",
            )
        mix_node = fields["mix"][1]
        shares = self.mapping(mix_node, "effects.kano_mix.mix", KANO_CATEGORIES)
        mix = []
        for code, (_, value) in shares.items():
            share = self.number(value, f"effects.kano_mix.mix.{code}", lambda v: 0 <= v <= 1, "a share between 0 and 1")
            if share is not None:
                mix.append((code, share))
        if len(mix) == len(shares) and shares and abs(sum(s for _, s in mix) - 1) > 1e-6:
            self.problem(mix_node, "effects.kano_mix.mix", f"the shares add up to {sum(s for _, s in mix):g}, not 1")
            return None
        if not mix or name is None or name not in attributes or len(mix) != len(shares):
            return None
        return KanoMix(name, tuple(mix))
