"""The questionnaire model: frozen, validated, no raw dicts.

The loader builds it; everything else reads it.  Two views matter downstream:

* :meth:`Questionnaire.screens` – what a respondent sees, in order.  Paired
  blocks are materialised here: a SERVQUAL block becomes an expectations screen
  and a perceptions screen whose questions carry the role-suffixed ids
  (``rel1_e``, ``rel1_p``); an importance–performance block likewise; a Kano
  block becomes one screen with a functional and a dysfunctional question per
  attribute.  So the web form and the simulator see one flat kind of
  :class:`Question`.
* :meth:`Questionnaire.variables` – the codebook: every column of a response
  row, so that variable naming lives in this one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, overload

from surveykit.expressions import Condition

if TYPE_CHECKING:
    from surveykit.fielding.declared import Fielding
    from surveykit.privacy import Privacy
    from surveykit.quotas import Quota
from surveykit.text.codeframe import Codeframe

METADATA_COLUMNS = (
    "response_id",
    "survey",
    "version",
    "wave",
    "language",
    "started_at",
    "submitted_at",
    "duration_s",
)
QUESTION_TYPES = ("likert", "matrix", "choice", "multi", "nps", "number", "text", "date", "constant_sum", "checklist")
CHECK_CODES = ("yes", "no", "na")  # the answers to a checklist item: met, not met, not applicable
BLOCK_TYPES = ("servqual", "kano", "importance_performance")
KANO_CODES = ("like", "must_be", "neutral", "live_with", "dislike")
ROLE_SUFFIX = {
    "expectation": "_e",
    "perception": "_p",
    "importance": "_i",
    "performance": "_p",
    "functional": "_f",
    "dysfunctional": "_d",
    "self_importance": "_si",
}


@dataclass(frozen=True, slots=True)
class Text:
    """Text in every declared language: ``text["zh"]``, ``text.get("en")``."""

    values: tuple[tuple[str, str], ...]

    def __getitem__(self, lang: str) -> str:
        for key, value in self.values:
            if key == lang:
                return value
        raise KeyError(lang)

    def get(self, lang: str, default: str | None = None) -> str | None:
        for key, value in self.values:
            if key == lang:
                return value
        return default

    def best(self, lang: str) -> str:
        """The text in ``lang``, else in the first language it has."""
        return self.get(lang) or self.values[0][1]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.values)

    def as_dict(self) -> dict[str, str]:
        return dict(self.values)

    def join(self, other: Text, sep: str = " ") -> Text:
        """Language-wise concatenation (for labels such as question + option)."""
        return Text(tuple((lang, f"{value}{sep}{other.best(lang)}") for lang, value in self.values))

    def __str__(self) -> str:
        return self.values[0][1]


def text_of(**values: str) -> Text:
    """A :class:`Text` from keyword arguments, for built-in wording."""
    return Text(tuple(values.items()))


@dataclass(frozen=True, slots=True)
class Scale:
    """Answer points 1..``points`` with optional labels on some of them."""

    id: str
    points: int
    labels: tuple[tuple[int, Text], ...] = ()

    def label(self, point: int) -> Text | None:
        for value, text in self.labels:
            if value == point:
                return text
        return None


@dataclass(frozen=True, slots=True)
class Dimension:
    id: str
    label: Text


@dataclass(frozen=True, slots=True)
class FieldLink:
    """``links: {survey: ...}`` of a field: which responses of another survey each value of this field stands for.

    An employee survey's department ``after_sales`` stands for the after-sales customer survey's
    departments ``mechanical``, ``body_paint`` and ``express``; a survey without such a field is
    ``all:`` one value (every sales customer is the sales department's). ``values`` holds
    ``(their value, our value)`` pairs; with ``field`` None, one pair ``("", our value)``.
    """

    survey: str
    field: str | None
    values: tuple[tuple[str, str], ...]

    def ours(self, theirs: str | None) -> str | None:
        """Our value for one of their responses (its value of ``field``), None when it stands for none."""
        if self.field is None:
            return self.values[0][1] if self.values else None
        return next((o for t, o in self.values if t == theirs), None)


@dataclass(frozen=True, slots=True)
class Field:
    """A segment variable (dealer, branch, advisor…) carried by invitations."""

    id: str
    label: Text
    values: tuple[tuple[str, Text], ...] = ()
    links: tuple[FieldLink, ...] = ()


@dataclass(frozen=True, slots=True)
class Shuffle:
    """A list shown in a per-respondent random order (``randomize: true``); see :mod:`surveykit.randomize`.

    ``key`` names the draw: lists with one key (one ``randomize_group``) rotate in step;
    ``fixed`` entries (ids or option codes) keep their position.
    """

    key: str
    fixed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Option:
    code: str
    text: Text


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a matrix: a likert item on the matrix's scale."""

    id: str
    text: Text
    dimension: str | None = None
    reverse: bool = False
    label: Text | None = None
    mirrors: str | None = None  # mirror survey: the customer item whose expectation this row restates


@dataclass(frozen=True, slots=True)
class CheckItem:
    """How a checklist item (a standard of a process step) counts: its weight, whether it is critical, its source."""

    id: str
    weight: float = 1.0
    critical: bool = False
    source: Text | None = None


@dataclass(frozen=True, slots=True)
class Checklist:
    """The scoring of a ``checklist`` question (one process step of an audit); see :mod:`analysis.audit`.

    The step's compliance is the share of the applicable weight that is met; when a ``critical``
    item is not met, the step scores at most ``cap`` percent (default 0: the step fails).
    """

    items: tuple[CheckItem, ...]
    cap: float = 0.0
    source: Text | None = None


@dataclass(frozen=True, slots=True)
class Question:
    """One thing a respondent answers.

    ``type`` is a question type of the format, or ``kano`` for one half of a
    Kano pair.  For questions that come from a paired block, ``block`` is the
    block id, ``pair`` the item id as written in the YAML and ``role`` one of
    expectation, perception, importance, performance, functional,
    dysfunctional or self_importance; ``id`` is then the role-suffixed
    variable name.
    """

    id: str
    type: str
    text: Text
    required: bool = True
    help: Text | None = None
    label: Text | None = None
    visible_if: Condition | None = None
    dimension: str | None = None
    reverse: bool = False
    scale: Scale | None = None
    options: tuple[Option, ...] = ()
    rows: tuple[Row, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = True
    pattern: str | None = None
    total: float | None = None
    block: str | None = None
    pair: str | None = None
    role: str | None = None
    mirrors: str | None = None  # mirror survey: the customer item whose expectation this restates
    checklist: Checklist | None = None  # a checklist: weights, critical items, cap; rows hold the items' text
    codeframe: Codeframe | None = None  # a text question: the codeframe its answers are coded with
    shuffle: Shuffle | None = None  # randomised rows (matrix) or options (choice, multi)

    @property
    def points(self) -> tuple[int, ...]:
        """The allowed numeric answers of a likert, matrix row or NPS question."""
        if self.type == "nps":
            return tuple(range(11))
        if self.scale is not None:
            return tuple(range(1, self.scale.points + 1))
        return ()


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    title: Text | None
    questions: tuple[Question, ...]
    intro: Text | None = None
    visible_if: Condition | None = None
    shuffle: Shuffle | None = None  # the questions in a per-respondent order


@dataclass(frozen=True, slots=True)
class PairedItem:
    """An item of a paired block, as written (``rel1``), before role suffixes."""

    id: str
    first: Text  # expectation / functional / importance
    second: Text  # perception / dysfunctional / performance
    dimension: str | None = None
    reverse: bool = False
    label: Text | None = None
    help: Text | None = None
    importance: Text | None = None  # Kano self-stated importance question


@dataclass(frozen=True, slots=True)
class ServqualBlock:
    id: str
    scale: Scale
    items: tuple[PairedItem, ...]
    title: Text | None = None
    intro: Text | None = None
    visible_if: Condition | None = None
    type: str = "servqual"
    shuffle: Shuffle | None = None  # the items in a per-respondent order, both halves alike


@dataclass(frozen=True, slots=True)
class KanoBlock:
    id: str
    attributes: tuple[PairedItem, ...]
    importance_scale: Scale | None = None
    title: Text | None = None
    intro: Text | None = None
    visible_if: Condition | None = None
    type: str = "kano"
    shuffle: Shuffle | None = None  # the attributes in a per-respondent order within each screen


@dataclass(frozen=True, slots=True)
class IPABlock:
    id: str
    importance_scale: Scale
    performance_scale: Scale
    items: tuple[PairedItem, ...]
    title: Text | None = None
    intro: Text | None = None
    visible_if: Condition | None = None
    type: str = "importance_performance"
    shuffle: Shuffle | None = None  # the items in a per-respondent order, both halves alike


Section = Page | ServqualBlock | KanoBlock | IPABlock


@dataclass(frozen=True, slots=True)
class Screen:
    """One page as the respondent sees it."""

    id: str
    title: Text | None
    questions: tuple[Question, ...]
    intro: Text | None = None
    visible_if: Condition | None = None
    block: str | None = None
    role: str | None = None
    shuffle: Shuffle | None = None  # the questions in a per-respondent order


@dataclass(frozen=True, slots=True)
class ScoringCategory:
    id: str
    label: Text
    items: tuple[str, ...]
    method: str  # "sum" or "mean"
    maximum: float  # highest possible score: points x items for sum, points for mean
    minimum: float


@dataclass(frozen=True, slots=True)
class Band:
    min: float
    label: Text


@dataclass(frozen=True, slots=True)
class Scoring:
    categories: tuple[ScoringCategory, ...]
    bands: tuple[Band, ...] = ()

    def band(self, percent: float) -> Band | None:
        """The first band (highest first) whose minimum the percent reaches."""
        for band in self.bands:
            if percent >= band.min:
                return band
        return None


@dataclass(frozen=True, slots=True)
class Alert:
    """A rule that opens a follow-up case for a response that meets ``when``."""

    id: str
    when: Condition
    department_field: str | None
    department_value: str | None
    priority: str
    first_contact_hours: float
    label: Text | None = None


@dataclass(frozen=True, slots=True)
class WeightingMargin:
    """Population cells over one field or a crossing of fields (``weighting.margins[]``).

    ``cells`` pairs each cell's values (one per field, in the order of ``fields``) with its
    population count, or its share when ``shares`` is true.
    """

    name: str
    fields: tuple[str, ...]
    cells: tuple[tuple[tuple[str, ...], float], ...]
    shares: bool


@dataclass(frozen=True, slots=True)
class WeightingDesign:
    """How the responses were sampled (``weighting.design``), as R survey's ``svydesign``.

    Each setting names a column of the response table: ``ids`` the primary sampling unit (a
    sample drawn dealer by dealer has the dealer as its cluster), ``weights`` the base weights,
    ``strata`` the design strata, ``fpc`` the population number of PSUs per stratum (or the
    sampling fraction). All None is a simple random sample of responses. The standard errors of
    the weighted estimates depend on it (Lumley 2010, ch. 2-3); ``analysis.weighting.SurveyDesign``
    is the same four settings on the analysis side.
    """

    ids: str | None = None
    weights: str | None = None
    strata: str | None = None
    fpc: str | None = None


@dataclass(frozen=True, slots=True)
class Weighting:
    """The ``weighting:`` section (or a ``--weights`` file): what the responses are weighted to.

    ``analysis.weighted`` turns it into weights with :mod:`analysis.weighting`; ``source`` names
    where it was declared, for the report.
    """

    method: str  # "raking" or "poststratification"
    margins: tuple[WeightingMargin, ...]
    population_total: float | None = None
    trim_upper: float | None = None
    trim_lower: float | None = None
    trim_strict: bool = False
    tolerance: float = 1e-10
    max_iterations: int = 1000
    source: str = ""
    design: WeightingDesign = WeightingDesign()


@dataclass(frozen=True, slots=True)
class Construct:
    """A construct of the path model: its indicators (rating variables) and its measurement mode."""

    id: str
    items: tuple[str, ...]
    mode: str = "A"  # A reflective, B formative
    label: Text | None = None
    dimension: str | None = None


@dataclass(frozen=True, slots=True)
class PathModel:
    """The satisfaction-index model (``model:``): constructs, paths (from, to) and how to estimate it."""

    constructs: tuple[Construct, ...]
    paths: tuple[tuple[str, str], ...]
    scheme: str = "path"
    bootstrap: int = 1000
    seed: int = 1
    target: str | None = None

    def construct(self, cid: str) -> Construct:
        for construct in self.constructs:
            if construct.id == cid:
                return construct
        raise KeyError(cid)


@dataclass(frozen=True, slots=True)
class Anonymity:
    """``anonymous:``: no figure by unit shows a unit with fewer than ``min_n`` responses.

    An employee survey is answered through an open link per unit, without personal tokens; with
    a handful of staff per department a unit's mean would identify people, so the report treats
    the unit of a smaller group as unknown (:func:`analysis.employee.suppress_small_units`).
    """

    min_n: int = 5


@dataclass(frozen=True, slots=True)
class MirrorOf:
    """``mirror_of:``: this survey asks staff what customers of ``survey`` expect (gap 1).

    ``items`` pairs each rating variable of this survey with the paired item of the customer
    survey's servqual ``block`` whose expectation (``<item>_e``) it restates; gap 1 of
    Parasuraman, Zeithaml & Berry (1985) compares the two (:mod:`analysis.gap1`).
    """

    survey: str
    block: str | None  # None: the customer survey's only servqual block
    file: str
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Variable:
    """One column of the response table (an entry of the codebook)."""

    name: str
    label: Text
    kind: str  # numeric, string, date or datetime
    level: str  # nominal, ordinal or scale
    type: str  # question type, "field" or "metadata"
    question: str | None = None  # question, matrix, paired item or field id
    block: str | None = None  # page or block id
    role: str | None = None
    dimension: str | None = None
    reverse: bool = False
    value_labels: tuple[tuple[object, Text], ...] = ()
    min: float | None = None
    max: float | None = None
    scale: str | None = None
    required: bool = False
    visible_if: str | None = None

    @property
    def codes(self) -> tuple[object, ...]:
        return tuple(code for code, _ in self.value_labels)


@dataclass(frozen=True, slots=True)
class Questionnaire:
    survey: str
    version: int
    title: Text
    languages: tuple[str, ...]
    fields: tuple[Field, ...]
    scales: tuple[Scale, ...]
    dimensions: tuple[Dimension, ...]
    pages: tuple[Section, ...]
    description: Text | None = None
    thanks: Text | None = None
    scoring: Scoring | None = None
    alerts: tuple[Alert, ...] = ()
    model: PathModel | None = None
    weighting: Weighting | None = None
    fielding: Fielding | None = None  # invitations, reminders, contact rules, webhooks (surveykit.fielding)
    mirror_of: MirrorOf | None = None
    anonymous: Anonymity | None = None
    quotas: tuple[Quota, ...] = ()  # completes per cell of segment fields (surveykit.quotas)
    privacy: Privacy | None = None  # erasure, retention, consent (surveykit.privacy)
    sha256: str = ""
    source: str = "<string>"
    _screens: tuple[Screen, ...] = field(default=(), repr=False, compare=False)
    _variables: tuple[Variable, ...] = field(default=(), repr=False, compare=False)

    def screens(self) -> tuple[Screen, ...]:
        """What the respondent sees, in order (paired blocks expanded)."""
        return self._screens

    def variables(self) -> tuple[Variable, ...]:
        """The codebook: metadata, fields, then every answer column, in order."""
        return self._variables

    def variable(self, name: str) -> Variable:
        for variable in self._variables:
            if variable.name == name:
                return variable
        raise KeyError(name)

    def columns(self) -> tuple[str, ...]:
        return tuple(v.name for v in self._variables)

    def answer_variables(self) -> tuple[Variable, ...]:
        return tuple(v for v in self._variables if v.type not in ("metadata", "field"))

    def questions(self) -> Iterator[Question]:
        """Every question of every screen, in order."""
        for screen in self._screens:
            yield from screen.questions

    def question(self, qid: str) -> Question:
        for question in self.questions():
            if question.id == qid:
                return question
        raise KeyError(qid)

    def dimension(self, did: str) -> Dimension:
        for dimension in self.dimensions:
            if dimension.id == did:
                return dimension
        raise KeyError(did)

    @overload
    def blocks(self, kind: Literal["servqual"]) -> tuple[ServqualBlock, ...]: ...
    @overload
    def blocks(self, kind: Literal["kano"]) -> tuple[KanoBlock, ...]: ...
    @overload
    def blocks(self, kind: Literal["importance_performance"]) -> tuple[IPABlock, ...]: ...

    def blocks(self, kind: str) -> tuple[ServqualBlock | KanoBlock | IPABlock, ...]:
        """The paired blocks of one type (``servqual``, ``kano``, ``importance_performance``)."""
        return tuple(p for p in self.pages if not isinstance(p, Page) and p.type == kind)
