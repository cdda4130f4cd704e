"""JSON Schema (Draft 2020-12) of the questionnaire format, from the key table.

Generated from :mod:`surveykit.spec`, the same table the loader reads, so that
editors (through ``# yaml-language-server: $schema=``) complete and flag exactly
the keys the loader accepts.  The schema checks shape and types; the loader
also checks what a schema cannot express (references, id clashes, conditions).
"""

from __future__ import annotations

from typing import Any

from surveykit import spec
from surveykit.model import BLOCK_TYPES, QUESTION_TYPES

_ID = "^[a-z][a-z0-9_]*$"
_LANGUAGE = "^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$"  # surveykit.languages.LANGUAGE_TAG


def json_schema(languages: tuple[str, ...] = spec.LANGUAGES) -> dict[str, Any]:
    """The schema as a JSON-ready dict."""
    defs: dict[str, Any] = {
        "text": {
            "description": spec.SCALAR_KINDS["text"],
            "oneOf": [
                {"type": "string", "minLength": 1},
                {
                    "type": "object",
                    "properties": {lang: {"type": "string", "minLength": 1} for lang in languages},
                    # a third language (zh-Hant, ja...) is any language tag the questionnaire declares
                    "patternProperties": {_LANGUAGE: {"type": "string", "minLength": 1}},
                    "additionalProperties": False,
                    "minProperties": 1,
                },
            ],
        },
    }
    for name, keys in spec.OBJECT_KEYS.items():
        defs[name] = _object(keys)
    for name, keys in spec.QUESTION_KEYS.items():
        defs[f"question_{name}"] = _object(keys, type_const=name)
    for name, keys in spec.SECTION_KEYS.items():
        defs[f"section_{name}"] = _object(keys, type_const=None if name == "page" else name)
    defs["question"] = {"oneOf": [{"$ref": f"#/$defs/question_{t}"} for t in QUESTION_TYPES]}
    defs["section"] = {
        "oneOf": [{"$ref": "#/$defs/section_page"}] + [{"$ref": f"#/$defs/section_{t}"} for t in BLOCK_TYPES]
    }
    root = defs.pop("questionnaire")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://surveykit.invalid/schema/questionnaire.json",
        "title": "surveykit questionnaire",
        **root,
        "$defs": defs,
    }


def _object(keys: tuple[spec.Key, ...], type_const: str | None = None) -> dict[str, Any]:
    properties = {}
    for key in keys:
        schema = _kind(key.kind)
        if key.doc:
            schema = {**schema, "description": key.doc}
        properties[key.name] = schema
    if "type" in properties:
        properties["type"] = {"const": type_const} if type_const else {"type": "string"}
    return {
        "type": "object",
        "properties": properties,
        "required": [k.name for k in keys if k.required],
        "additionalProperties": False,
    }


def _kind(kind: Any) -> dict[str, Any]:
    if isinstance(kind, str):
        scalars: dict[str, dict[str, Any]] = {
            "id": {"type": "string", "pattern": _ID, "maxLength": 63},
            "code": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_]*$", "maxLength": 63},
            "survey_id": {"type": "string", "pattern": "^[a-z][a-z0-9_-]*$", "maxLength": 63},
            "text": {"$ref": "#/$defs/text"},
            "string": {"type": "string"},
            "int": {"type": "integer"},
            "number": {"type": "number"},
            "bool": {"type": "boolean"},
            "condition": {"type": "string", "minLength": 1, "maxLength": 1000},
            "date": {"type": "string", "format": "date"},
            "language": {"type": "string", "pattern": _LANGUAGE},
        }
        return scalars[kind]
    head = kind[0]
    if head == "enum":
        return {"enum": list(kind[1])}
    if head == "list":
        return {"type": "array", "items": _kind(kind[1])}
    if head == "map":
        key_pattern = {
            "id": _ID,
            "survey_id": "^[a-z][a-z0-9_-]*$",
            "code": "^[a-z0-9][a-z0-9_]*$",
            "int": "^[0-9]+$",
            "string": "^.+$",  # a value as the data hold it (a weighting margin's dealer code DE01)
        }[kind[1]]
        return {"type": "object", "propertyNames": {"pattern": key_pattern}, "additionalProperties": _kind(kind[2])}
    if head == "object":
        return {"$ref": f"#/$defs/{kind[1]}"}
    if head == "question":
        return {"$ref": "#/$defs/question"}
    if head == "section":
        return {"$ref": "#/$defs/section"}
    raise AssertionError(kind)
