"""Read objects -> the :class:`~surveykit.model.Questionnaire` model.

The reader has checked each object's keys and value types; the builder gives
them meaning: it resolves the scales, dimensions and fields that questions and
blocks name, derives the variables of paired blocks, applies the rules of each
question type (options, rows, min and max, a pattern, a constant sum's total),
and builds scoring and alerts.  What spans objects (the id namespace, screen
ids, conditions) lives in :mod:`surveykit.checks`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from surveykit.checklist import build_checklist
from surveykit.checks import IdSpace, all_questions, check_condition, check_conditions, check_screen_ids, variable_kinds
from surveykit.fielding.declared import build_fielding
from surveykit.mirror import MirroredItem, build_mirror
from surveykit.model import (
    Alert,
    Anonymity,
    Band,
    Dimension,
    Field,
    FieldLink,
    IPABlock,
    KanoBlock,
    Option,
    Page,
    PairedItem,
    Question,
    Questionnaire,
    Row,
    Scale,
    Scoring,
    ScoringCategory,
    Section,
    ServqualBlock,
)
from surveykit.pathmodel import build_model
from surveykit.piping import check_pipes
from surveykit.privacy import build_privacy
from surveykit.quotas import build_quotas
from surveykit.randomize import ShuffleReader, check_randomised_page
from surveykit.reader import BAD, Obj, Reader
from surveykit.screens import build_screens, build_variables
from surveykit.text.declared import read_codeframe
from surveykit.weights import build_weighting, design_columns, weighting_targets
from surveykit.yamlsafe import Node

MAX_OPTIONS = 100
MAX_PATTERN = 200


class Builder:
    """Turns the read top-level object into the model, resolving references as it goes.

    A scale, dimension or field is looked up where it is used and reported
    there when it is not defined; every id is claimed in the one
    :class:`~surveykit.checks.IdSpace`; the checks across screens and
    conditions run once the screens exist.  ``build`` returns ``None`` when
    anything was reported.
    """

    def __init__(self, reader: Reader, top: Obj, load_survey: Callable[[Path], Questionnaire]) -> None:
        self.r = reader
        self.top = top
        self.load_survey = load_survey  # the loader's entry point, for a mirror's customer survey
        self.scales: dict[str, Scale] = {}
        self.dimensions: dict[str, Dimension] = {}
        self.fields: dict[str, Field] = {}
        self.ids = IdSpace(reader, top.node)
        self.conditions: dict[str, tuple[str, Node]] = {}  # question/page id -> (key path, node) of visible_if
        self.shuffles = ShuffleReader(reader)  # randomize: on pages, blocks, matrices and options
        self.mirrors: list[MirroredItem] = []  # rating items that carry mirrors:

    def build(self, sha256: str) -> Questionnaire | None:
        top = self.top
        version = top.get("version")
        if isinstance(version, int) and version < 1:
            self.r.problem(top.at("version"), "version", f"version must be 1 or more, got {version}")
        self._fields()
        self._scales()
        self._dimensions()
        sections = self._sections()
        draft = Questionnaire(
            survey=top.get("survey"),
            version=version,
            title=top.get("title"),
            languages=self.r.languages,
            fields=tuple(self.fields.values()),
            scales=tuple(self.scales.values()),
            dimensions=tuple(self.dimensions.values()),
            pages=tuple(sections),
            description=top.get("description"),
            thanks=top.get("thanks"),
            sha256=sha256,
            source=self.r.name,
        )
        screens = build_screens(draft)
        check_screen_ids(self.r, screens, self.ids, self.top.at("pages"))
        check_conditions(self.r, screens, self.fields, self.conditions, self.top.node)
        check_pipes(self.r, self.top, screens, self.fields)
        scoring = self._scoring(screens)
        alerts = self._alerts(screens)
        weighting = build_weighting(
            self.r,
            self.top.get("weighting"),
            weighting_targets(self.fields.values(), all_questions(screens)),
            design_columns(self.fields.values(), all_questions(screens)),
        )
        mirror_of = build_mirror(self.r, self.top, self.mirrors, self.load_survey)
        fielding = build_fielding(self.r, self.top, self.fields)
        quotas = build_quotas(self.r, self.top, self.fields)
        privacy = build_privacy(self.r, self.top)
        if self.r.problems:
            return None
        variables = build_variables(draft, screens)
        model = build_model(self.r, self.top.get("model"), variables, self.dimensions)
        if self.r.problems:
            return None
        return Questionnaire(
            **{
                name: getattr(draft, name)
                for name in (
                    "survey",
                    "version",
                    "title",
                    "languages",
                    "fields",
                    "scales",
                    "dimensions",
                    "pages",
                    "description",
                    "thanks",
                    "sha256",
                    "source",
                )
            },
            scoring=scoring,
            alerts=alerts,
            model=model,
            weighting=weighting,
            mirror_of=mirror_of,
            fielding=fielding,
            anonymous=self._anonymous(),
            quotas=quotas,
            privacy=privacy,
            _screens=screens,
            _variables=variables,
        )

    # -- declarations -------------------------------------------------------
    def _fields(self) -> None:
        for fid, obj, key_node in self.top.get("fields", []) or []:
            if fid is BAD or obj is BAD:
                continue
            values = tuple((c, t) for c, t, _ in obj.get("values", []) or [] if c is not BAD and t is not BAD)
            links = self._field_links(fid, obj, {c for c, _ in values})
            self.fields[fid] = Field(fid, obj.get("label"), values, links)
            self.ids.claim(fid, "a segment field", key_node, f"fields.{fid}")

    def _field_links(self, fid: str, obj: Obj, declared: set[str]) -> tuple[FieldLink, ...]:
        """A field's ``links:``: either ``all: <our value>`` or ``field:`` with ``values:`` (our value -> theirs).

        Our values must be declared ones when the field declares values; theirs belong to the other
        survey, which the loader does not read, and each may stand for one of ours only.
        """
        out = []
        for survey, link, _key_node in obj.get("links", []) or []:
            if survey is BAD or link is BAD:
                continue
            path = f"fields.{fid}.links.{survey}"
            every, field, mapping = link.get("all"), link.get("field"), link.get("values")
            if (every is None) == (field is None) or (field is None) != (mapping is None):
                self.r.problem(link.node, path, "give either all: <value> or field: with values:")
                continue
            ours = [every] if every is not None else [o for o, _t, _n in mapping or [] if o is not BAD]
            unknown = [o for o in ours if declared and o not in declared]
            for o in unknown:
                self.r.problem(
                    link.node, path, f"value {o!r} is not one of {fid}'s values ({', '.join(sorted(declared))})"
                )
            if unknown:
                continue
            if every is not None:
                out.append(FieldLink(survey, None, (("", every),)))
                continue
            pairs: dict[str, str] = {}
            for o, theirs, node in mapping or []:
                for t, _t_node in theirs if theirs is not BAD else []:
                    if t is BAD:
                        continue
                    if t in pairs and pairs[t] != o:
                        self.r.problem(node, f"{path}.values.{o}", f"{t!r} already stands for {pairs[t]!r}")
                    pairs.setdefault(t, o)
            out.append(FieldLink(survey, field, tuple(pairs.items())))
        return tuple(out)

    def _scales(self) -> None:
        for sid, obj, _key_node in self.top.get("scales", []) or []:
            if sid is BAD or obj is BAD:
                continue
            points = obj.get("points")
            if isinstance(points, int) and not 2 <= points <= 11:
                self.r.problem(obj.at("points"), obj.sub("points"), f"a scale has 2 to 11 points, got {points}")
                continue
            labels = []
            for point, text, node in obj.get("labels", []) or []:
                if point is BAD or text is BAD:
                    continue
                if isinstance(points, int) and not 1 <= point <= points:
                    self.r.problem(
                        node, f"scales.{sid}.labels.{point}", f"point {point} is outside the scale 1..{points}"
                    )
                    continue
                labels.append((point, text))
            if isinstance(points, int):
                self.scales[sid] = Scale(sid, points, tuple(sorted(labels, key=lambda label: label[0])))

    def _dimensions(self) -> None:
        for did, label, _ in self.top.get("dimensions", []) or []:
            if did is not BAD and label is not BAD:
                self.dimensions[did] = Dimension(did, label)

    def _scale(self, obj: Obj, key: str) -> Scale | None:
        sid = obj.get(key)
        if sid is None:
            return None
        if sid not in self.scales:
            self.r.problem(obj.at(key), obj.sub(key), f"scale {sid!r} is not defined{_defined(self.scales)}")
            return None
        return self.scales[sid]

    def _dimension(self, obj: Obj) -> str | None:
        did = obj.get("dimension")
        if did is not None and did not in self.dimensions:
            self.r.problem(
                obj.at("dimension"),
                obj.sub("dimension"),
                f"dimension {did!r} is not defined{_defined(self.dimensions)}",
            )
        return did

    # -- pages and blocks -----------------------------------------------------
    def _sections(self) -> list[Section]:
        sections: list[Section] = []
        for obj, _node in self.top.get("pages", []) or []:
            if obj is BAD or obj is None:
                continue
            qtype = obj.get("type")
            sid = obj.get("id")
            if sid:
                self.ids.claim(sid, "a page or block id", obj.at("id"), obj.sub("id"))
            common = dict(id=sid, title=obj.get("title"), intro=obj.get("intro"), visible_if=obj.get("visible_if"))
            if sid:
                self.conditions[sid] = (obj.sub("visible_if"), obj.at("visible_if"))
            if qtype is None:
                questions = [
                    q
                    for q in (self._question(o) for o, _ in obj.get("questions", []) or [] if o not in (BAD, None))
                    if q
                ]
                if not obj.get("questions") and "questions" in obj.nodes:
                    self.r.problem(obj.at("questions"), obj.sub("questions"), "a page needs at least one question")
                shuffle = self.shuffles.read(obj, "questions", sid, [q.id for q in questions])
                if shuffle is not None:
                    check_randomised_page(self.r, obj, questions)
                sections.append(Page(questions=tuple(questions), shuffle=shuffle, **common))
            elif qtype == "servqual":
                items = self._paired(obj, "items", "expectation", "perception", ("_e", "_p"))
                scale = self._scale(obj, "scale")
                shuffle = self.shuffles.read(obj, "items", sid, [item.id for item in items])
                if scale:
                    sections.append(ServqualBlock(scale=scale, items=items, shuffle=shuffle, **common))
            elif qtype == "kano":
                items = self._paired(obj, "attributes", "functional", "dysfunctional", ("_f", "_d"))
                scale = self._scale(obj, "importance_scale")
                for item in items:
                    if scale is not None and item.importance is None:
                        self.r.problem(
                            obj.at("attributes"),
                            obj.sub("attributes"),
                            f"attribute {item.id!r} needs an importance: question, because the block sets importance_scale",
                        )
                    elif scale is None and item.importance is not None:
                        self.r.problem(
                            obj.at("attributes"),
                            obj.sub("attributes"),
                            f"attribute {item.id!r} has an importance: question but the block sets no importance_scale",
                        )
                    if scale is not None:
                        self.ids.claim(
                            f"{item.id}_si",
                            f"the self-stated importance variable of {item.id!r}",
                            obj.at("attributes"),
                            obj.sub("attributes"),
                        )
                shuffle = self.shuffles.read(obj, "items", sid, [item.id for item in items])
                sections.append(KanoBlock(attributes=items, importance_scale=scale, shuffle=shuffle, **common))
            elif qtype == "importance_performance":
                items = self._paired(obj, "items", "importance", "performance", ("_i", "_p"))
                both = self._scale(obj, "scale")
                imp, perf = self._scale(obj, "importance_scale"), self._scale(obj, "performance_scale")
                if both and (imp or perf):
                    self.r.problem(
                        obj.at("scale"),
                        obj.sub("scale"),
                        "give either scale or importance_scale and performance_scale, not both",
                    )
                imp, perf = imp or both, perf or both
                if not (imp and perf) and not self.r.problems:
                    self.r.problem(
                        obj.node,
                        obj.path,
                        "an importance_performance block needs scale (or importance_scale and performance_scale)",
                    )
                shuffle = self.shuffles.read(obj, "items", sid, [item.id for item in items])
                if imp and perf:
                    sections.append(
                        IPABlock(importance_scale=imp, performance_scale=perf, items=items, shuffle=shuffle, **common)
                    )
        if not sections and not self.r.problems:
            self.r.problem(self.top.at("pages"), "pages", "a questionnaire needs at least one page")
        return sections

    def _paired(self, obj: Obj, key: str, first: str, second: str, suffixes: tuple[str, str]) -> tuple[PairedItem, ...]:
        items = []
        roles = {"_e": "expectation", "_p": "perception", "_f": "functional", "_d": "dysfunctional", "_i": "importance"}
        for item, _node in obj.get(key, []) or []:
            if item in (BAD, None):
                continue
            iid = item.get("id")
            if iid is None:
                continue
            self.ids.claim(iid, "a paired item", item.at("id"), item.sub("id"))
            for suffix in suffixes:
                role = "performance" if suffix == "_p" and first == "importance" else roles[suffix]
                self.ids.claim(f"{iid}{suffix}", f"the {role} variable of {iid!r}", item.at("id"), item.sub("id"))
            items.append(
                PairedItem(
                    id=iid,
                    first=item.get(first),
                    second=item.get(second),
                    dimension=self._dimension(item),
                    reverse=bool(item.get("reverse", False)),
                    label=item.get("label"),
                    help=item.get("help"),
                    importance=item.get("importance"),
                )
            )
        if not items and key in obj.nodes:
            self.r.problem(obj.at(key), obj.sub(key), f"a block needs at least one item under {key}:")
        return tuple(items)

    def _question(self, obj: Obj) -> Question | None:
        qid, qtype = obj.get("id"), obj.get("type")
        if qid is None or qtype is None:
            return None
        self.ids.claim(qid, "a question", obj.at("id"), obj.sub("id"))
        self.conditions[qid] = (obj.sub("visible_if"), obj.at("visible_if"))
        scale = self._scale(obj, "scale") if "scale" in obj.nodes else None
        options: tuple[Option, ...] = ()
        if "options" in obj.nodes and obj.get("options"):
            raw = obj.get("options")
            if len(raw) > MAX_OPTIONS:
                self.r.problem(obj.at("options"), obj.sub("options"), f"{len(raw)} options; at most {MAX_OPTIONS}")
            seen: set[str] = set()
            for code, text, node in raw:
                if code is BAD or text is BAD:
                    continue
                if code in seen:
                    self.r.problem(node, f"{obj.sub('options')}.{code}", f"option {code!r} appears twice")
                seen.add(code)
                options += (Option(code, text),)
                if qtype in ("multi", "constant_sum"):
                    self.ids.claim(
                        f"{qid}_{code}",
                        f"the variable of option {code!r} of {qid!r}",
                        node,
                        f"{obj.sub('options')}.{code}",
                    )
        elif "options" in obj.nodes and obj.values.get("options") is not BAD:
            self.r.problem(obj.at("options"), obj.sub("options"), "give at least one option")
        rows: tuple[Row, ...] = ()
        for row, _ in obj.get("rows", []) or []:
            if row in (BAD, None) or row.get("id") is None:
                continue
            self.ids.claim(row.get("id"), "a matrix row", row.at("id"), row.sub("id"))
            rows += (
                Row(
                    row.get("id"),
                    row.get("text"),
                    self._dimension(row),
                    bool(row.get("reverse", False)),
                    row.get("label"),
                    row.get("mirrors"),
                ),
            )
            if row.get("mirrors") is not None:
                self.mirrors.append(
                    MirroredItem(row.get("id"), row.get("mirrors"), scale, row.at("mirrors"), row.sub("mirrors"))
                )
        if qtype == "matrix" and not rows and obj.values.get("rows") not in (BAD, None):
            self.r.problem(obj.at("rows"), obj.sub("rows"), "a matrix needs at least one row")
        checklist = None
        if qtype == "checklist":
            rows, options, checklist = build_checklist(self.r, self.ids, obj)
        low, high = obj.get("min"), obj.get("max")
        if low is not None and high is not None and low > high:
            self.r.problem(obj.at("min"), obj.sub("min"), f"min ({low}) is greater than max ({high})")
        if qtype == "multi" and options and high is not None and high > len(options):
            self.r.problem(obj.at("max"), obj.sub("max"), f"max ({high}) is more than the {len(options)} options")
        codeframe = read_codeframe(self.r, obj) if qtype == "text" else None
        pattern = obj.get("pattern")
        if pattern is not None:
            self._pattern(obj, pattern)
        if qtype == "text" and high is not None and high > 10000:
            self.r.problem(obj.at("max"), obj.sub("max"), "text answers are capped at 10000 characters")
        if qtype == "constant_sum" and isinstance(obj.get("total"), (int, float)) and obj.get("total") <= 0:
            self.r.problem(obj.at("total"), obj.sub("total"), "total must be positive")
        if qtype in ("date",):
            low = low.isoformat() if isinstance(low, dt.date) else low
            high = high.isoformat() if isinstance(high, dt.date) else high
        entries = [r.id for r in rows] if qtype == "matrix" else [o.code for o in options]
        shuffle = self.shuffles.read(obj, "rows" if qtype == "matrix" else "options", qid, entries)
        if obj.get("mirrors") is not None:
            self.mirrors.append(MirroredItem(qid, obj.get("mirrors"), scale, obj.at("mirrors"), obj.sub("mirrors")))
        return Question(
            id=qid,
            type=qtype,
            text=obj.get("text"),
            required=obj.get("required", True),
            help=obj.get("help"),
            label=obj.get("label"),
            visible_if=obj.get("visible_if"),
            dimension=self._dimension(obj),
            reverse=bool(obj.get("reverse", False)),
            scale=scale,
            options=options,
            rows=rows,
            min=low,
            max=high,
            integer=obj.get("integer", True),
            pattern=pattern,
            codeframe=codeframe,
            total=obj.get("total"),
            shuffle=shuffle,
            mirrors=obj.get("mirrors"),
            checklist=checklist,
        )

    def _anonymous(self) -> Anonymity | None:
        obj = self.top.get("anonymous")
        if obj is None:
            return None
        min_n = obj.get("min_n", 5)
        if isinstance(min_n, int) and min_n < 2:
            self.r.problem(obj.at("min_n"), obj.sub("min_n"), f"min_n is at least 2, got {min_n}")
        return Anonymity(max(int(min_n), 2))

    def _pattern(self, obj: Obj, pattern: str) -> None:
        """A text answer's pattern: short, and a regular expression Python compiles.

        The length is checked first: ``re.compile`` raises ``RecursionError``
        on a thousand nested groups, which 200 characters cannot hold.  A
        repetition count such as ``a{99999999999}`` raises ``OverflowError``,
        not ``re.error``; both used to escape as tracebacks.
        """
        if len(pattern) > MAX_PATTERN:
            self.r.problem(obj.at("pattern"), obj.sub("pattern"), f"a pattern has at most {MAX_PATTERN} characters")
            return
        try:
            re.compile(pattern)
        except re.error as exc:
            self.r.problem(obj.at("pattern"), obj.sub("pattern"), f"invalid regular expression {pattern!r}: {exc}")
        except OverflowError:
            self.r.problem(
                obj.at("pattern"),
                obj.sub("pattern"),
                f"invalid regular expression {pattern!r}: a repetition count is too large",
            )

    # -- scoring and alerts ---------------------------------------------------
    def _scoring(self, screens: tuple) -> Scoring | None:
        obj = self.top.get("scoring")
        if obj is None:
            return None
        numeric = {}
        for screen in screens:
            for question in screen.questions:
                if question.type == "matrix":
                    for row in question.rows:
                        numeric[row.id] = question.scale.points if question.scale else None
                elif question.type == "likert":
                    numeric[question.id] = question.scale.points if question.scale else None
                elif question.type == "nps":
                    numeric[question.id] = 10
        categories = []
        for cid, cat, _key_node in obj.get("categories", []) or []:
            if cid is BAD or cat is BAD:
                continue
            items = [i for i, _ in cat.get("items", []) or [] if i is not BAD]
            lo = hi = 0.0
            for item_id, item_node in cat.get("items", []) or []:
                if item_id is BAD:
                    continue
                if item_id not in numeric:
                    close = difflib.get_close_matches(item_id, list(numeric), n=1, cutoff=0.6)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    self.r.problem(
                        item_node, f"scoring.categories.{cid}.items", f"{item_id!r} is no rating question{hint}"
                    )
                    continue
                hi += numeric[item_id] or 0
                lo += (
                    0
                    if numeric[item_id] == 10 and item_id in {q.id for q in all_questions(screens) if q.type == "nps"}
                    else 1
                )
            if not items:
                self.r.problem(cat.at("items"), f"scoring.categories.{cid}.items", "a category needs at least one item")
                continue
            method = cat.get("method", "sum")
            if method == "mean":
                hi, lo = hi / len(items), lo / len(items)
            categories.append(ScoringCategory(cid, cat.get("label"), tuple(items), method, hi, lo))
        bands = []
        previous = None
        for band, _node in obj.get("bands", []) or []:
            if band in (BAD, None):
                continue
            low = band.get("min")
            if isinstance(low, (int, float)):
                if not 0 <= low <= 100:
                    self.r.problem(
                        band.at("min"), band.sub("min"), f"a band minimum is a percent (0 to 100), got {low}"
                    )
                if previous is not None and low >= previous:
                    self.r.problem(
                        band.at("min"),
                        band.sub("min"),
                        f"bands go from the highest minimum down; {low} follows {previous}",
                    )
                previous = low
                bands.append(Band(float(low), band.get("label")))
        return Scoring(tuple(categories), tuple(bands))

    def _alerts(self, screens: tuple) -> tuple[Alert, ...]:
        kinds = variable_kinds(screens, self.fields)
        everything = {name: 0 for name in kinds}
        codeframes = {q.id: q.codeframe for q in all_questions(screens) if q.codeframe is not None}
        alerts = []
        seen_ids: set[str] = set()
        for obj, _node in self.top.get("alerts", []) or []:
            if obj in (BAD, None) or obj.get("id") is None or obj.get("when") is None:
                continue
            aid = obj.get("id")
            if aid in seen_ids:
                self.r.problem(obj.at("id"), obj.sub("id"), f"alert id {aid!r} is used twice")
            seen_ids.add(aid)
            check_condition(self.r, obj.get("when"), obj.sub("when"), obj.at("when"), everything, kinds, None)
            dept = obj.get("department")
            field_id = value = None
            if dept is not None:
                field_id, value = dept.get("field"), dept.get("value")
                if (field_id is None) == (value is None):
                    self.r.problem(obj.at("department"), obj.sub("department"), "give exactly one of field: or value:")
                elif field_id is not None and field_id not in self.fields:
                    self.r.problem(
                        dept.at("field"), dept.sub("field"), f"field {field_id!r} is not defined{_defined(self.fields)}"
                    )
            hours = obj.get("first_contact_hours", 24)
            if isinstance(hours, (int, float)) and hours <= 0:
                self.r.problem(
                    obj.at("first_contact_hours"),
                    obj.sub("first_contact_hours"),
                    "first_contact_hours must be positive",
                )
            when = obj.get("when").bind_codeframes(codeframes)  # has_theme codes with its question's codeframe
            alerts.append(
                Alert(aid, when, field_id, value, obj.get("priority", "normal"), float(hours), obj.get("label"))
            )
        return tuple(alerts)


def _defined(table: dict[str, Any]) -> str:
    """What is defined, for a message about a name that is not: `` (defined: 'a5', 'a7')``."""
    return f" (defined: {', '.join(map(repr, table))})" if table else " (none is defined)"
