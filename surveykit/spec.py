"""The keys of the questionnaire format: what each object allows, and why.

One table drives both the loader (unknown keys, missing keys, types) and the
JSON Schema that editors use (``surveykit schema``), so the two cannot drift.

A kind is one of the names in :data:`SCALAR_KINDS`, or a tuple:
``("enum", values)``, ``("list", kind)``, ``("map", key_kind, value_kind)``,
``("object", name)``, ``("section",)`` (a page or a paired block, chosen by
``type``) or ``("question",)`` (a question, chosen by ``type``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCALAR_KINDS = {
    "id": "a lower-case identifier: a letter, then letters, digits or _ (at most 63 characters)",
    "code": "an option code: lower-case letters, digits and _ (quote codes that are numbers)",
    "survey_id": "a lower-case identifier that may also contain -",
    "text": "text: a mapping with one entry per declared language (a plain string in a one-language survey)",
    "string": "a quoted or plain string",
    "int": "a whole number",
    "number": "a number",
    "bool": "true or false",
    "condition": "a condition such as sat_overall <= 3 or 'app' in channels",
    "date": "a date written YYYY-MM-DD",
    "language": "a language tag: zh, en or another such as zh-Hant or ja (built-in wording falls back to zh or en)",
}
LANGUAGES = ("zh", "en")
PRIORITIES = ("low", "normal", "high", "urgent")
WEIGHTING_METHODS = ("raking", "poststratification")


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    kind: Any
    required: bool = False
    doc: str = ""


def _common(*extra: Key) -> tuple[Key, ...]:
    return (
        Key("id", "id", True, "the answer id; names the variable"),
        Key("type", "string", True, "the question type"),
        Key("text", "text", True, "the question as respondents read it"),
        Key("help", "text", doc="a hint shown under the question"),
        Key("label", "text", doc="a short name for reports and exports"),
        Key("required", "bool", doc="must be answered (default true)"),
        Key("visible_if", "condition", doc="show only when this holds for earlier answers"),
        Key("dimension", "id", doc="the dimension (construct) the item measures"),
        Key("reverse", "bool", doc="reverse-keyed: recoded as min + max - x before scoring"),
        *extra,
    )


_SCALE = Key("scale", "id", True, "the answer scale, defined under scales:")
_RANDOMIZE = (
    Key("randomize", "bool", doc="show the entries in a per-respondent random order (the codebook keeps this order)"),
    Key("randomize_group", "id", doc="lists with the same group draw the same order (rotate in step)"),
    Key("fixed", ("list", "code"), doc="entries (ids or option codes) that keep their position when randomised"),
)
_OPTIONS = Key("options", ("map", "code", "text"), True, "option code -> text, in display order")
_BLOCK = (
    Key("type", "string", True),
    Key("id", "id", True, "the block id"),
    Key("title", "text"),
    Key("intro", "text", doc="a sentence shown above the block"),
    Key("visible_if", "condition"),
)

_MIRRORS = Key(
    "mirrors", "id", doc="in a mirror survey: the item of the mirrored servqual block whose expectation this restates"
)

QUESTION_KEYS: dict[str, tuple[Key, ...]] = {
    "likert": _common(_SCALE, _MIRRORS),
    "matrix": _common(
        _SCALE, Key("rows", ("list", ("object", "row")), True, "the items, one variable each"), *_RANDOMIZE
    ),
    "choice": _common(_OPTIONS, *_RANDOMIZE),
    "multi": _common(
        _OPTIONS,
        Key("min", "int", doc="fewest options to tick"),
        Key("max", "int", doc="most options to tick"),
        *_RANDOMIZE,
    ),
    "nps": _common(),
    "number": _common(
        Key("min", "number"), Key("max", "number"), Key("integer", "bool", doc="whole numbers only (default true)")
    ),
    "text": _common(
        Key("min", "int", doc="fewest characters"),
        Key("max", "int", doc="most characters (default 2000)"),
        Key("pattern", "string", doc="a regular expression the whole answer must match"),
        Key(
            "codeframe",
            "string",
            doc="code the answers into themes: 'default' (the dealer codeframe) or a codeframe .yaml beside this file",
        ),
    ),
    "date": _common(Key("min", "date"), Key("max", "date")),
    "constant_sum": _common(_OPTIONS, Key("total", "number", True, "the points to share, e.g. 100")),
    "checklist": _common(
        Key("items", ("list", ("object", "checklist_item")), True, "the standards, each answered yes / no / n.a."),
        Key("source", "text", doc="where the standards come from (a process manual, a brand standard)"),
        Key("cap", "number", doc="the step's highest score in percent when a critical item fails (default 0)"),
    ),
}

SECTION_KEYS: dict[str, tuple[Key, ...]] = {
    "page": (
        Key("id", "id", True, "the page id"),
        Key("title", "text"),
        Key("intro", "text", doc="a sentence shown above the questions"),
        Key("visible_if", "condition", doc="skip the whole page unless this holds"),
        Key("questions", ("list", ("question",)), True),
        *_RANDOMIZE,
    ),
    "servqual": (
        *_BLOCK,
        Key("scale", "id", True, "the agreement scale of both halves"),
        Key("items", ("list", ("object", "servqual_item")), True),
        *_RANDOMIZE,
    ),
    "kano": (
        *_BLOCK,
        Key("importance_scale", "id", doc="ask self-stated importance of each attribute on this scale"),
        Key("attributes", ("list", ("object", "kano_attribute")), True),
        *_RANDOMIZE,
    ),
    "importance_performance": (
        *_BLOCK,
        Key("scale", "id", doc="one scale for both halves"),
        Key("importance_scale", "id", doc="the importance scale (instead of scale)"),
        Key("performance_scale", "id", doc="the performance scale (instead of scale)"),
        Key("items", ("list", ("object", "ipa_item")), True),
        *_RANDOMIZE,
    ),
}

# continuous fielding (surveykit.fielding.declared): messages, reminders, contact rules, webhooks
FIELDING_KEYS = (
    Key("timezone", "string", doc="IANA time zone of quiet hours (default Asia/Shanghai)"),
    Key("invitation", ("object", "invitation"), doc="the invitation message per channel and language"),
    Key("reminders", ("list", ("object", "reminder")), doc="reminders to those who neither answered nor opted out"),
    Key("expires", "string", doc="how long a sent link stays open, e.g. 14d"),
    Key("contact_rules", ("object", "contact_rules"), doc="how often a customer may be contacted, and when"),
    Key("webhooks", ("list", ("object", "webhook")), doc="endpoints told of completed responses and opened cases"),
)
_FIELDING_OBJECTS: dict[str, tuple[Key, ...]] = {
    "invitation": (
        Key("email", ("object", "email_template"), doc="the e-mail"),
        Key("sms", "text", doc="the SMS text; placeholders {name} {link} {optout} and any field"),
    ),
    "email_template": (
        Key("subject", "text", True),
        Key("text", "text", True, "the plain-text body; must carry {link} and {optout}"),
        Key("html", "text", doc="the HTML body (values are escaped); must carry {link} and {optout}"),
    ),
    "reminder": (
        Key("after", "string", True, "time after the invitation was sent, e.g. 2d"),
        Key("email", ("object", "email_template"), doc="its own e-mail (default: the invitation's)"),
        Key("sms", "text", doc="its own SMS text (default: the invitation's)"),
    ),
    "contact_rules": (
        Key("max_invitations", ("object", "contact_limit"), doc="invitations per customer per window, all surveys"),
        Key("max_messages", ("object", "contact_limit"), doc="messages (with reminders) per customer per window"),
        Key("quiet_hours", ("object", "quiet_hours"), doc="no message in this daily window; it waits for the end"),
    ),
    "contact_limit": (
        Key("count", "int", True, "at most this many"),
        Key("per", "string", True, "in any window this long, e.g. 30d"),
    ),
    "quiet_hours": (
        Key("start", "string", True, "e.g. '21:00' (local time of the survey)"),
        Key("end", "string", True, "e.g. '09:00'"),
        Key("channels", ("list", ("enum", ("email", "sms"))), doc="the channels kept quiet (default [sms])"),
    ),
    "webhook": (
        Key("url", "string", True, "the receiver (http or https)"),
        Key("events", ("list", ("enum", ("response.completed", "case.opened"))), True),
        Key("secret_env", "string", True, "the environment variable holding the whsec_ signing secret"),
    ),
    "installation": (
        Key("contact_rules", ("object", "contact_rules"), doc="rules for every survey of the installation"),
        Key("webhooks", ("list", ("object", "webhook")), doc="endpoints for every survey"),
    ),
}

OBJECT_KEYS: dict[str, tuple[Key, ...]] = {
    **_FIELDING_OBJECTS,
    "questionnaire": (
        Key("survey", "survey_id", True, "the survey id, used in URLs"),
        Key("version", "int", True, "bump it when the wording changes"),
        Key("title", "text", True),
        Key("languages", ("list", "language"), True, "the first is the default"),
        Key("description", "text", doc="shown on the first page"),
        Key("thanks", "text", doc="shown after submission"),
        Key("fields", ("map", "id", ("object", "field")), doc="segment variables carried by invitations"),
        Key("scales", ("map", "id", ("object", "scale"))),
        Key("dimensions", ("map", "id", "text"), doc="dimension id -> label"),
        Key("pages", ("list", ("section",)), True),
        Key("scoring", ("object", "scoring"), doc="category scores of a scored instrument"),
        Key("alerts", ("list", ("object", "alert")), doc="rules that open follow-up cases"),
        *FIELDING_KEYS,
        Key("model", ("object", "model"), doc="a satisfaction-index path model (PLS) over the rating items"),
        Key("weighting", ("object", "weighting"), doc="population margins the responses are weighted to"),
        Key("mirror_of", ("object", "mirror_of"), doc="staff answer a customer survey's expectation items (gap 1)"),
        Key("anonymous", ("object", "anonymous"), doc="no personal tokens; units below min_n suppressed"),
        Key("quotas", ("list", ("object", "quota")), doc="at most so many completes per cell of segment fields"),
        Key("privacy", ("object", "privacy"), doc="erasure of answers, retention of contact data, consent text"),
    ),
    "quota": (
        Key("id", "id", True),
        Key("fields", ("list", "id"), True, "segment fields; one gives a cell per value, several cross into cells"),
        Key("max", "int", True, "counted completes per cell; later ones are stored, marked over_quota"),
        Key("per", ("enum", ("fielding", "wave")), doc="count per wave, or over the whole fielding (default)"),
        Key("closed", "text", doc="the page shown to someone opening a link of a full cell"),
    ),
    "privacy": (
        Key("answers_on_erasure", ("enum", ("unlink", "remove")), doc="what erasing a contact does to answers"),
        Key("retention", "string", doc="contact data older than this is purged, e.g. 365d"),
        Key("consent", "text", doc="the consent sentence shown on the first page"),
    ),
    "anonymous": (
        Key("min_n", "int", doc="fewest responses of a unit shown in any figure by unit (default 5, at least 2)"),
    ),
    "mirror_of": (
        Key("survey", "survey_id", True, "the customer survey's id"),
        Key("file", "string", True, "the customer survey's file, relative to this one; the loader checks the items"),
        Key("block", "id", doc="its servqual block (default: its only one)"),
    ),
    "field": (
        Key("label", "text", True),
        Key("values", ("map", "code", "text"), doc="known values and their labels"),
        Key(
            "links",
            ("map", "survey_id", ("object", "field_link")),
            doc="another survey id -> which of its responses each value of this field stands for (ES -> CS by unit)",
        ),
    ),
    "field_link": (
        Key("field", "id", doc="that survey's field whose values map to ours (with values:)"),
        Key("values", ("map", "code", ("list", "code")), doc="our value -> that field's values it stands for"),
        Key("all", "code", doc="instead of field and values: every response of that survey is this value's"),
    ),
    "scale": (
        Key("points", "int", True, "answers are 1..points (2 to 11)"),
        Key("labels", ("map", "int", "text"), doc="point -> label; label at least both ends"),
    ),
    "row": (
        Key("id", "id", True),
        Key("text", "text", True),
        Key("label", "text"),
        Key("dimension", "id"),
        Key("reverse", "bool"),
        _MIRRORS,
    ),
    "checklist_item": (
        Key("id", "id", True, "the item's variable: yes, no or na"),
        Key("text", "text", True, "the standard, as the auditor checks it"),
        Key("label", "text"),
        Key("weight", "number", doc="its weight in the step's compliance (default 1)"),
        Key("critical", "bool", doc="failing it caps the step's score at the checklist's cap"),
        Key("source", "text", doc="where this standard comes from (default: the checklist's source)"),
    ),
    "servqual_item": (
        Key("id", "id", True, "variables <id>_e and <id>_p"),
        Key("dimension", "id", True),
        Key("expectation", "text", True, "what an excellent company would do"),
        Key("perception", "text", True, "what this company did"),
        Key("label", "text"),
        Key("help", "text"),
        Key("reverse", "bool"),
    ),
    "kano_attribute": (
        Key("id", "id", True, "variables <id>_f, <id>_d (and <id>_si)"),
        Key("functional", "text", True, "how do you feel if the feature is present?"),
        Key("dysfunctional", "text", True, "how do you feel if it is absent?"),
        Key("importance", "text", doc="the self-stated importance question (needs importance_scale)"),
        Key("label", "text"),
        Key("help", "text"),
        Key("dimension", "id"),
    ),
    "ipa_item": (
        Key("id", "id", True, "variables <id>_i and <id>_p"),
        Key("importance", "text", True),
        Key("performance", "text", True),
        Key("label", "text"),
        Key("help", "text"),
        Key("dimension", "id"),
    ),
    "scoring": (
        Key("categories", ("map", "id", ("object", "category")), True),
        Key("bands", ("list", ("object", "band")), doc="named bands on the percent of the maximum, highest first"),
    ),
    "category": (
        Key("label", "text", True),
        Key("items", ("list", "id"), True, "the answer ids scored in this category"),
        Key("method", ("enum", ("sum", "mean")), doc="sum (default) or mean"),
    ),
    "band": (
        Key("min", "number", True, "lowest percent of the maximum in this band"),
        Key("label", "text", True),
    ),
    "alert": (
        Key("id", "id", True),
        Key("when", "condition", True, "the condition that opens a case"),
        Key("department", ("object", "department"), doc="who gets the case"),
        Key("priority", ("enum", PRIORITIES), doc="default normal"),
        Key("first_contact_hours", "number", doc="time limit for the first contact (default 24)"),
        Key("label", "text"),
    ),
    "model": (
        Key("constructs", ("map", "id", ("object", "construct")), True, "construct id -> its indicators"),
        Key("paths", ("map", "id", ("list", "id")), True, "construct -> the constructs with a path into it"),
        Key("scheme", ("enum", ("path", "centroid", "factorial")), doc="inner weighting scheme (default path)"),
        Key("bootstrap", "int", doc="bootstrap resamples for significance (default 1000; 0 skips it)"),
        Key("seed", "int", doc="seed of the bootstrap (default 1)"),
        Key("target", "id", doc="the construct of the importance-performance map (IPMA)"),
    ),
    "construct": (
        Key("label", "text", doc="the construct's name in reports"),
        Key("dimension", "id", doc="take the rating items of this dimension as indicators"),
        Key("items", ("list", "id"), doc="the rating items (one or more) that measure it"),
        Key("mode", ("enum", ("A", "B")), doc="A reflective (default) or B formative"),
    ),
    "department": (
        Key("field", "id", doc="take the department from this segment field"),
        Key("value", "code", doc="a fixed department"),
    ),
    "weighting": (
        Key("method", ("enum", WEIGHTING_METHODS), doc="raking (default) or poststratification (one margin)"),
        Key("margins", ("list", ("object", "weighting_margin")), True, "the population margins"),
        Key("population_total", "number", doc="N, the population size; needed only when every margin gives shares"),
        Key("trim", ("object", "weighting_trim"), doc="bounds on the weights, as R survey's trimWeights"),
        Key("tolerance", "number", doc="largest relative cell error at convergence (default 1e-10)"),
        Key("max_iterations", "int", doc="most raking sweeps (default 1000)"),
        Key("design", ("object", "weighting_design"), doc="how the responses were sampled (clusters, strata, fpc)"),
    ),
    "weighting_design": (
        Key("ids", "id", doc="the primary sampling unit: a segment field, choice question or metadata column"),
        Key("weights", "id", doc="base (design) weights: a segment field or number question"),
        Key("strata", "id", doc="design strata: a segment field, choice question or metadata column"),
        Key("fpc", "id", doc="population number of PSUs per stratum, or the sampling fraction (needs ids)"),
    ),
    "weighting_margin": (
        Key("name", "id", doc="how tables call the margin (default: the fields joined by _x_)"),
        Key("fields", ("list", "id"), True, "segment fields or choice questions; two or more cross into cells"),
        Key("counts", ("map", "string", "number"), doc="value -> population count (one field)"),
        Key("shares", ("map", "string", "number"), doc="value -> population share, summing to 1 (one field)"),
        Key("cells", ("list", ("object", "weighting_cell")), doc="crossed cells, one value per field"),
    ),
    "weighting_cell": (
        Key("values", ("list", "string"), True, "one value of each of the margin's fields, in their order"),
        Key("count", "number", doc="the cell's population count"),
        Key("share", "number", doc="the cell's population share"),
    ),
    "weighting_trim": (
        Key("upper", "number", doc="largest weight"),
        Key("lower", "number", doc="smallest weight"),
        Key("strict", "bool", doc="repeat until no weight is outside (default false: one pass, as R)"),
    ),
}


def keys_of(name: str) -> tuple[Key, ...]:
    """The keys of an object, a section type or a question type."""
    for table in (OBJECT_KEYS, SECTION_KEYS, QUESTION_KEYS):
        if name in table:
            return table[name]
    raise KeyError(name)
