"""Questionnaire model -> YAML text that loads back to an equal model.

Used to normalise a questionnaire (for example after editing it in code) and
to test that the loader and the model agree: ``load(dump(q)) == q``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from surveykit.model import (
    FieldLink,
    IPABlock,
    KanoBlock,
    Page,
    PairedItem,
    PathModel,
    Question,
    Questionnaire,
    ServqualBlock,
    Text,
)
from surveykit.text.codeframe import default_codeframe


def _codeframe(q: Question) -> str | None:
    """A text question's ``codeframe:``: ``default``, or the file's name (dump the questionnaire beside it)."""
    if q.codeframe is None:
        return None
    return "default" if q.codeframe == default_codeframe() else Path(q.codeframe.source).name


def _link(link: FieldLink) -> dict[str, Any]:
    if link.field is None:
        return {"all": link.values[0][1]}
    ours: dict[str, list[str]] = {}
    for theirs, our in link.values:
        ours.setdefault(our, []).append(theirs)
    return {"field": link.field, "values": ours}


def dump_questionnaire(q: Questionnaire) -> str:
    """The questionnaire as canonical YAML (every text quoted where YAML needs it)."""
    doc: dict[str, Any] = {
        "survey": q.survey,
        "version": q.version,
        "title": _text(q.title),
        "languages": list(q.languages),
    }
    _put(doc, "description", _text(q.description))
    _put(doc, "thanks", _text(q.thanks))
    if q.fields:
        doc["fields"] = {
            f.id: _clean(
                {
                    "label": _text(f.label),
                    "values": {c: _text(t) for c, t in f.values} or None,
                    "links": {link.survey: _link(link) for link in f.links} or None,
                }
            )
            for f in q.fields
        }
    if q.scales:
        doc["scales"] = {
            s.id: _clean({"points": s.points, "labels": {p: _text(t) for p, t in s.labels} or None}) for s in q.scales
        }
    if q.dimensions:
        doc["dimensions"] = {d.id: _text(d.label) for d in q.dimensions}
    doc["pages"] = [_section(section) for section in q.pages]
    if q.scoring:
        doc["scoring"] = _clean(
            {
                "categories": {
                    c.id: {"label": _text(c.label), "items": list(c.items), "method": c.method}
                    for c in q.scoring.categories
                },
                "bands": [{"min": b.min, "label": _text(b.label)} for b in q.scoring.bands] or None,
            }
        )
    if q.alerts:
        doc["alerts"] = [
            _clean(
                {
                    "id": a.id,
                    "when": a.when.source,
                    "department": {"field": a.department_field}
                    if a.department_field
                    else ({"value": a.department_value} if a.department_value else None),
                    "priority": a.priority,
                    "first_contact_hours": a.first_contact_hours,
                    "label": _text(a.label),
                }
            )
            for a in q.alerts
        ]
    if q.model:
        doc["model"] = _model(q.model)
    return "# yaml-language-server: $schema=../surveykit.schema.json\n" + yaml.safe_dump(
        doc, allow_unicode=True, sort_keys=False, width=120
    )


def _model(model: PathModel) -> dict[str, Any]:
    """The ``model:`` section: a construct by its dimension when it came from one, else by its items."""
    targets = dict.fromkeys(t for _, t in model.paths)  # in the order they were written
    return _clean(
        {
            "constructs": {
                c.id: _clean(
                    {
                        "label": _text(c.label),
                        "dimension": c.dimension,
                        "items": None if c.dimension else list(c.items),
                        "mode": c.mode,
                    }
                )
                for c in model.constructs
            },
            "paths": {t: [f for f, to in model.paths if to == t] for t in targets},
            "scheme": model.scheme,
            "bootstrap": model.bootstrap,
            "seed": model.seed,
            "target": model.target,
        }
    )


def _text(text: Text | None) -> dict[str, str] | None:
    return text.as_dict() if text is not None else None


def _put(doc: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        doc[key] = value


def _clean(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None}


def _section(section: Any) -> dict[str, Any]:
    head = {
        "id": section.id,
        "title": _text(section.title),
        "intro": _text(section.intro),
        "visible_if": section.visible_if.source if section.visible_if else None,
    }
    if isinstance(section, Page):
        return _clean({**head, "questions": [_question(q) for q in section.questions]})
    if isinstance(section, ServqualBlock):
        return _clean(
            {
                "type": "servqual",
                **head,
                "scale": section.scale.id,
                "items": [_paired(i, "expectation", "perception", dimension_required=True) for i in section.items],
            }
        )
    if isinstance(section, KanoBlock):
        return _clean(
            {
                "type": "kano",
                **head,
                "importance_scale": section.importance_scale.id if section.importance_scale else None,
                "attributes": [_paired(i, "functional", "dysfunctional") for i in section.attributes],
            }
        )
    assert isinstance(section, IPABlock)
    same = section.importance_scale.id == section.performance_scale.id
    return _clean(
        {
            "type": "importance_performance",
            **head,
            "scale": section.importance_scale.id if same else None,
            "importance_scale": None if same else section.importance_scale.id,
            "performance_scale": None if same else section.performance_scale.id,
            "items": [_paired(i, "importance", "performance") for i in section.items],
        }
    )


def _paired(item: PairedItem, first: str, second: str, dimension_required: bool = False) -> dict[str, Any]:
    return _clean(
        {
            "id": item.id,
            "dimension": item.dimension,
            first: _text(item.first),
            second: _text(item.second),
            "importance": _text(item.importance),
            "label": _text(item.label),
            "help": _text(item.help),
            "reverse": True if item.reverse else None,
        }
    )


def _question(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": q.id,
        "type": q.type,
        "text": _text(q.text),
        "help": _text(q.help),
        "label": _text(q.label),
        "required": False if not q.required else None,
        "visible_if": q.visible_if.source if q.visible_if else None,
        "dimension": q.dimension,
        "reverse": True if q.reverse else None,
        "scale": q.scale.id if q.scale else None,
    }
    if q.options:
        out["options"] = {o.code: _text(o.text) for o in q.options}
    if q.rows:
        out["rows"] = [
            _clean(
                {
                    "id": r.id,
                    "text": _text(r.text),
                    "label": _text(r.label),
                    "dimension": r.dimension,
                    "reverse": True if r.reverse else None,
                }
            )
            for r in q.rows
        ]
    out.update(
        {
            "min": q.min,
            "max": q.max,
            "pattern": q.pattern,
            "codeframe": _codeframe(q),
            "total": q.total,
            "integer": False if q.type == "number" and not q.integer else None,
        }
    )
    return _clean(out)
