"""WTForms classes built from the model: validation only (pages are rendered by Jinja macros).

:func:`build_form` defines one :class:`flask_wtf.FlaskForm` subclass per screen,
with one field per question (per row for a matrix).  The fields are strict: an
answer is accepted only in its canonical spelling (a radio value must be one of
the codes we rendered; a number uses ASCII digits, an optional ``-`` and at most
15 digits), so that ``"٣"``, ``"+3"``, ``"3_0"``, ``"1e0"`` or a 5,000-digit
number are refused instead of being coerced the way ``IntegerField`` does.  A
field that receives a value twice is refused too (parameter pollution).

Each field's ``data`` is the canonical answer (``int``, ``float``, ``str`` or a
tuple of option codes for ``multi``) or ``None``; :meth:`AnswerField.answers`
turns it into variables as named in the codebook.

HTML input names are ``q_<question id>`` (``q_<id>-<code>`` for the parts of a
constant sum), so that no question id can collide with a form attribute or
with ``csrf_token``.

A post is decided by :func:`screen_check` without instantiating the form: one
small check per input, compiled once per screen and language from the form's
prototypes (a radio group is a lookup in its rendered codes; the other types run
their prototype's own parse and validators on a copy).  The form itself is built
only to show a refused post again with its errors (``tests/webform/test_forms_check.py``
holds the two to the same verdicts and answers over good and hostile posts).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from wtforms import Field
from wtforms.fields.core import Flags
from wtforms.validators import Length, NumberRange, StopValidation, ValidationError

from surveykit.model import Question, Questionnaire, Screen
from webform.i18n import translate

TEXT_MAX_DEFAULT = 2000
_INT = re.compile(r"-?[0-9]{1,15}", re.ASCII)
_DECIMAL = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,9})?", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# C0 and C1 controls except tab, line feed and carriage return; lone surrogates; non-characters; and
# U+FFFD, which is what Werkzeug puts where the body was not valid UTF-8 (encoded surrogates, overlong forms)
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd\ufffe\uffff]")
_ASCII_SPACE = " \t\r\n"
_NO_FLAGS = Flags()


def field_name(variable: str) -> str:
    """The form field (and HTML input) name of an answer variable or question."""
    return f"q_{variable}"


class AnswerField(Field):
    """Base class: parses the raw input strictly into ``data`` (canonical) or records an error."""

    question: Question

    def __init__(
        self,
        label: str = "",
        validators: Any = None,
        *,
        question: Question,
        lang: str,
        required: bool,
        name: str = "",
        _form: Any = None,
        _prefix: str = "",
        _translations: Any = None,
        _meta: Any = None,
        **_unused: Any,
    ) -> None:
        # Field.__init__ without what only rendering needs (label, widget, flags, render_kw): these
        # fields never render, and binding 40 of them per request is most of a submission's CPU.
        self.meta = _meta if _meta is not None else _form.meta
        if _translations is not None:
            self._translations = _translations
        self._form = _form
        self.name = self.id = _prefix + name
        self.short_name = name
        self.type = type(self).__name__
        self.validators = tuple(validators or ())
        self.filters = ()
        self.default = None
        self.description = ""
        self.render_kw = None
        self.flags = _NO_FLAGS
        self.label = None
        self.invalid_value_message = None
        self._datalist = None
        self.errors: list[str] = []
        self.process_errors: list[str] = []
        self.raw_data: list[Any] = []
        self.data: Any = None
        self.object_data = None
        self.question = question
        self.lang = lang
        self.required = required
        self.parse_error: str | None = None

    def bound_copy(self, form: Any, meta: Any) -> AnswerField:
        """This field (a prototype bound once per form class) for one more form: settings shared, state fresh.

        Binding re-runs ``__init__`` with ~20 keyword arguments for each of a screen's 40 fields on
        every request; a copy of the prototype's attributes costs a fraction of that.  Only
        immutable settings (question, codes, validators, bounds) are shared: the prototype is never
        processed, so its answer state is blank, and :meth:`_fresh_state` gives the copy its own
        mutable containers.
        """
        field = object.__new__(type(self))
        state = field.__dict__
        state.update(self.__dict__)
        state["_form"], state["meta"] = form, meta
        state.update(self._fresh_state())
        return field

    def _fresh_state(self) -> dict[str, Any]:
        """New containers for what a request writes in place (errors, raw input)."""
        return {"errors": [], "process_errors": [], "raw_data": []}

    def _msg(self, key: str, **values: object) -> str:
        return translate(key, self.lang, **values)

    def input_names(self) -> tuple[str, ...]:
        return (self.name,)

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors = []
        self.parse_error = None
        self.data = None
        self.raw_data = []
        if formdata is None:  # never pre-filled from objects: answers come from the draft
            return
        self.raw_data = formdata.getlist(self.name)
        try:
            for value in self.raw_data:
                if type(value) is not str:  # an uploaded file in place of an answer
                    self.raw_data = []
                    raise ValueError(self._msg("invalid_choice"))
            self.data = self.parse(self.raw_data)
        except ValueError as exc:
            self.parse_error = str(exc)

    def post_process(self, formdata: Any) -> None:
        """Nothing to do after processing (WTForms checks a datalist here)."""

    def parse(self, values: list[str]) -> Any:
        raise NotImplementedError

    def answered(self) -> bool:
        return self.data is not None

    def answers(self) -> dict[str, Any]:
        """The variables this field sets (empty when unanswered or invalid)."""
        if self.parse_error is not None or self.data is None:
            return {}
        return {self.short_name[2:]: self.data}

    def variables(self) -> tuple[str, ...]:
        return (self.short_name[2:],)

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        """WTForms' :meth:`wtforms.Field.validate` in the steps these fields use.

        :meth:`pre_validate` (the parse error, the blank check), then the validators unless it
        stopped validation.  WTForms also type-checks ``extra_validators`` (nothing passes any
        here: with some, its own method runs) and calls ``post_validate``, which no answer field
        has; per field and request, that was a measurable share of a submission.
        """
        if extra_validators or type(self).post_validate is not Field.post_validate:
            return bool(super().validate(form, extra_validators))
        errors = self.errors = list(self.process_errors)
        try:
            self.pre_validate(form)
        except StopValidation as exc:
            if exc.args and exc.args[0]:
                errors.append(exc.args[0])
            return not errors
        except ValidationError as exc:
            errors.append(exc.args[0])
        if self.validators:
            self._run_validation_chain(form, self.validators)
        return not errors

    def pre_validate(self, form: Any) -> None:
        if self.parse_error is not None:
            raise StopValidation(self.parse_error)
        if not self.answered():
            if self.required:
                raise StopValidation(self._required_message())
            raise StopValidation()  # optional and blank: nothing else to check

    def _required_message(self) -> str:
        return self._msg("required")

    def _single(self, values: list[str]) -> str | None:
        if len(values) > 1:
            raise ValueError(self._msg("one_answer"))
        if not values or values[0] == "":
            return None
        return values[0]


class ChoiceAnswer(AnswerField):
    """A radio group: likert, matrix row, nps, choice, kano.  The answer must be a rendered code."""

    def __init__(self, *args: Any, codes: tuple[str, ...], numeric: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.codes = frozenset(codes)
        self.numeric = numeric

    def parse(self, values: list[str]) -> Any:
        value = self._single(values)
        if value is None:
            return None
        if value not in self.codes:
            raise ValueError(self._msg("invalid_choice"))
        return int(value) if self.numeric else value

    def _required_message(self) -> str:
        return self._msg("required_choice")


class MultiAnswer(AnswerField):
    """Checkboxes: each ticked code once, from the options; ``min``/``max`` ticks."""

    def __init__(self, *args: Any, codes: tuple[str, ...], low: int | None, high: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.codes = codes
        self.low = low
        self.high = high

    def parse(self, values: list[str]) -> Any:
        values = [v for v in values if v != ""]
        if not values:
            return None
        if len(set(values)) != len(values) or any(v not in self.codes for v in values):
            raise ValueError(self._msg("invalid_choice"))
        return tuple(code for code in self.codes if code in values)

    def variables(self) -> tuple[str, ...]:
        base = self.short_name[2:]
        return tuple(f"{base}_{code}" for code in self.codes)

    def answers(self) -> dict[str, Any]:
        # nothing ticked is "unanswered" (missing), never a row of zeros
        if self.parse_error is not None or not self.data:
            return {}
        base = self.short_name[2:]
        return {f"{base}_{code}": int(code in self.data) for code in self.codes}


def _check_ticks(form: Any, field: MultiAnswer) -> None:
    count = len(field.data or ())
    if field.low is not None and count < field.low:
        raise ValidationError(field._msg("multi_min", n=field.low))
    if field.high is not None and count > field.high:
        raise ValidationError(field._msg("multi_max", n=field.high))


def parse_number(raw: str, integer: bool) -> int | float:
    """A number typed by a respondent, strictly: ASCII digits, optional ``-``, ≤ 15 digits."""
    text = raw.strip(_ASCII_SPACE)
    if integer:
        if not _INT.fullmatch(text):
            raise ValueError("integer")
        return int(text)
    if not _DECIMAL.fullmatch(text):
        raise ValueError("decimal")
    value = float(text)
    return int(value) if value.is_integer() else value


class NumberAnswer(AnswerField):
    def __init__(self, *args: Any, integer: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.integer = integer

    def parse(self, values: list[str]) -> Any:
        value = self._single(values)
        if value is None or value.strip(_ASCII_SPACE) == "":
            return None
        try:
            return parse_number(value, self.integer)
        except ValueError:
            raise ValueError(self._msg("integer" if self.integer else "decimal")) from None


class TextAnswer(AnswerField):
    """Free text: NFC, no control characters (tab and newlines allowed), length and pattern checks."""

    def __init__(self, *args: Any, pattern: str | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pattern = re.compile(pattern) if pattern else None

    def parse(self, values: list[str]) -> Any:
        value = self._single(values)
        if value is None:
            return None
        if _FORBIDDEN.search(value):
            raise ValueError(self._msg("text_control"))
        value = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
        if value.strip() == "":
            return None
        return value


def _check_pattern(form: Any, field: TextAnswer) -> None:
    if field.pattern is not None and not field.pattern.fullmatch(field.data):
        raise ValidationError(field._msg("text_pattern"))


class DateAnswer(AnswerField):
    def __init__(self, *args: Any, low: str | None, high: str | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.low = low
        self.high = high

    def parse(self, values: list[str]) -> Any:
        value = self._single(values)
        if value is None or value.strip(_ASCII_SPACE) == "":
            return None
        value = value.strip(_ASCII_SPACE)
        if not _DATE.fullmatch(value):
            raise ValueError(self._msg("date"))
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(self._msg("date")) from None


def _check_date_range(form: Any, field: DateAnswer) -> None:
    if field.low is not None and field.data < field.low:
        raise ValidationError(field._msg("date_min", min=field.low))
    if field.high is not None and field.data > field.high:
        raise ValidationError(field._msg("date_max", max=field.high))


class ConstantSumAnswer(AnswerField):
    """Points shared over the options: inputs ``q_<id>-<code>``; blanks count as 0 once any is filled."""

    def __init__(self, *args: Any, codes: tuple[str, ...], total: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.codes = codes
        self.total = total
        self.integer = float(total).is_integer()
        self.part_errors: dict[str, str] = {}
        self.raw_parts: dict[str, str] = {}

    def _fresh_state(self) -> dict[str, Any]:
        return {**super()._fresh_state(), "part_errors": {}, "raw_parts": {}}

    def input_names(self) -> tuple[str, ...]:
        return tuple(f"{self.name}-{code}" for code in self.codes)

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors = []
        self.parse_error = None
        self.part_errors = {}
        self.raw_parts = {}
        self.data = None
        if formdata is None:  # never pre-filled from objects: answers come from the draft
            return
        parts: dict[str, int | float] = {}
        for code in self.codes:
            values = formdata.getlist(f"{self.name}-{code}")
            if not all(isinstance(v, str) for v in values):
                self.part_errors[code] = self._msg("integer" if self.integer else "decimal")
                continue
            if len(values) > 1:
                self.part_errors[code] = self._msg("one_answer")
                continue
            raw = values[0] if values else ""
            self.raw_parts[code] = raw
            if raw.strip(_ASCII_SPACE) == "":
                continue
            try:
                number = parse_number(raw, self.integer)
            except ValueError:
                self.part_errors[code] = self._msg("integer" if self.integer else "decimal")
                continue
            if number < 0 or number > self.total:
                self.part_errors[code] = self._msg("sum_total", total=_fmt(self.total), sum=_fmt(number))
                continue
            parts[code] = number
        self.raw_data = [self.raw_parts.get(code, "") for code in self.codes]
        if self.part_errors:
            self.parse_error = next(iter(self.part_errors.values()))
        elif parts:
            self.data = {code: parts.get(code, 0) for code in self.codes}

    def variables(self) -> tuple[str, ...]:
        base = self.short_name[2:]
        return tuple(f"{base}_{code}" for code in self.codes)

    def answers(self) -> dict[str, Any]:
        if self.parse_error is not None or not self.data:
            return {}
        base = self.short_name[2:]
        return {f"{base}_{code}": value for code, value in self.data.items()}

    def raw_value(self, code: str) -> str:
        return self.raw_parts.get(code, "")


def _check_total(form: Any, field: ConstantSumAnswer) -> None:
    got = sum(field.data.values())
    if abs(got - field.total) > 1e-9:
        raise ValidationError(field._msg("sum_total", total=_fmt(field.total), sum=_fmt(got)))


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _fields_for(question: Question, lang: str) -> Iterable[tuple[str, AnswerField | Any]]:
    """(variable-ish name, unbound field) pairs for one question."""
    common = dict(question=question, lang=lang, required=question.required)
    qtype = question.type
    if qtype in ("likert", "nps"):
        codes = tuple(str(p) for p in question.points)
        yield question.id, ChoiceAnswer(codes=codes, numeric=True, **common)
    elif qtype == "matrix":
        codes = tuple(str(p) for p in question.points)
        for row in question.rows:
            yield row.id, ChoiceAnswer(codes=codes, numeric=True, **common)
    elif qtype == "checklist":
        for row in question.rows:
            yield row.id, ChoiceAnswer(codes=tuple(o.code for o in question.options), numeric=False, **common)
    elif qtype in ("choice", "kano"):
        yield question.id, ChoiceAnswer(codes=tuple(o.code for o in question.options), numeric=False, **common)
    elif qtype == "multi":
        low = int(question.min) if question.min is not None else None
        high = int(question.max) if question.max is not None else None
        yield (
            question.id,
            MultiAnswer(
                codes=tuple(o.code for o in question.options), low=low, high=high, validators=[_check_ticks], **common
            ),
        )
    elif qtype == "number":
        bounds = {k: v for k, v in (("min", question.min), ("max", question.max)) if v is not None}
        validators = [NumberRange(**bounds)] if bounds else []
        yield question.id, NumberAnswer(integer=question.integer, validators=validators, **common)
    elif qtype == "text":
        high = int(question.max) if question.max is not None else TEXT_MAX_DEFAULT
        low = int(question.min) if question.min is not None else -1
        yield (
            question.id,
            TextAnswer(pattern=question.pattern, validators=[Length(min=low, max=high), _check_pattern], **common),
        )
    elif qtype == "date":
        low_date = str(question.min) if question.min is not None else None  # ISO dates for a date question
        high_date = str(question.max) if question.max is not None else None
        yield question.id, DateAnswer(low=low_date, high=high_date, validators=[_check_date_range], **common)
    elif qtype == "constant_sum":
        yield (
            question.id,
            ConstantSumAnswer(
                codes=tuple(o.code for o in question.options),
                total=float(question.total or 0),
                validators=[_check_total],
                **common,
            ),
        )
    else:  # pragma: no cover - the loader admits no other type
        raise ValueError(f"unknown question type {qtype!r}")


class ScreenForm(FlaskForm):
    """The base of every generated form; CSRF is checked for every POST by CSRFProtect."""

    class Meta:
        csrf = False

    def __init__(self, formdata: Any = _Auto, **kwargs: Any) -> None:
        """The form of one request: each answer field a copy of a prototype bound once per form class.

        WTForms binds every field anew on each instantiation (``__init__`` with ~20 keyword
        arguments for each of a screen's 40 fields), which was most of a submission's CPU.  Here
        the form's attributes are set as :class:`wtforms.Form` sets them, and each field is
        :meth:`AnswerField.bound_copy` of a prototype that is bound with the same options a
        fresh bind would get (rebuilt when the translations differ).  A form with other options
        (a prefix, meta, obj or data) takes WTForms' own path.
        """
        meta = self._wtforms_meta()
        prototypes = None if kwargs else self._prototypes(meta)
        if prototypes is None:
            super().__init__(formdata=formdata, **kwargs)
            return
        self.meta = meta
        self._parent_form = None
        self._form_error_key = ""
        self._prefix = ""
        self.form_errors: list[str] = []
        self._fields = {name: proto.bound_copy(self, meta) for name, proto in prototypes}
        self.__dict__.update(self._fields)  # as Form.__init__ does: fields shadow the unbound class attributes
        self.process(formdata)

    @classmethod
    def _prototypes(cls, meta: Any) -> tuple[tuple[str, AnswerField], ...] | None:
        """(name, prototype) of each field, bound once per class and translations; None if one is not an answer."""
        translations = meta.get_translations(None)
        cached = cls.__dict__.get("_bound")
        if cached is not None and cached[0] is translations:
            return cached[1]  # type: ignore[no-any-return]
        out = []
        for name, unbound in cls._unbound_fields or ():
            if not issubclass(unbound.field_class, AnswerField):
                return None
            proto = unbound.bind(form=None, _meta=meta, name=unbound.name or name, prefix="", translations=translations)
            proto.meta = proto._form = None  # no first form kept alive through the class cache
            out.append((name, proto))
        cls._bound = (translations, tuple(out))
        return cls._bound[1]

    screen: Screen
    questionnaire: Questionnaire
    by_question: dict[str, tuple[str, ...]]
    _bound: tuple[Any, tuple[tuple[str, AnswerField], ...]]  # (translations, prototypes): _prototypes
    _input_names: frozenset[str]  # input_names, once per class
    _check: ScreenCheck  # screen_check, once per class

    def process(
        self, formdata: Any = None, obj: Any = None, data: Any = None, extra_filters: Any = None, **kwargs: Any
    ) -> None:
        """Each answer field parses its own inputs from ``formdata``.

        WTForms' loop also looks up, per field, an ``obj`` attribute, a ``data`` key and a
        ``filter_<name>`` method: answers are never pre-filled that way (they come from the
        draft) and these forms declare no filters, so that search is skipped.
        """
        formdata = self.meta.wrap_formdata(self, formdata)
        for fld in self._fields.values():
            fld.process(formdata)

    def answer_fields(self, question_id: str) -> list[AnswerField]:
        return [self._fields[name] for name in self.by_question[question_id]]

    def question_answers(self, question_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for fld in self.answer_fields(question_id):
            out.update(fld.answers())
        return out

    def valid_answers(self, question_ids: set[str]) -> dict[str, Any]:
        """After validation: the answers of the fields without errors of the questions in ``question_ids``."""
        out: dict[str, Any] = {}
        fields, by_question = self._fields, self.by_question
        for question_id in question_ids:
            for name in by_question[question_id]:
                fld = fields[name]
                if not fld.errors:
                    out.update(fld.answers())
        return out

    def question_variables(self, question_id: str) -> tuple[str, ...]:
        return tuple(v for fld in self.answer_fields(question_id) for v in fld.variables())

    def input_names(self) -> frozenset[str]:
        """The names of the inputs this screen renders (the same for every unprefixed form of the class: kept on it)."""
        names = type(self).__dict__.get("_input_names") if not self._prefix else None
        if names is None:
            names = frozenset(
                n for fld in self._fields.values() if isinstance(fld, AnswerField) for n in fld.input_names()
            )
            if not self._prefix:
                type(self)._input_names = names
        return names  # type: ignore[no-any-return]

    def validate_visible(self, visible: set[str]) -> bool:
        """Validate the fields of the questions in ``visible``; the others get no errors."""
        ok = True
        for fld in self._fields.values():
            if not isinstance(fld, AnswerField):
                continue
            if fld.question.id in visible:
                if not fld.validate(self):
                    ok = False
            else:
                fld.errors = []
        return ok

    def errors_by_question(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for qid, names in self.by_question.items():
            messages: list[str] = []
            for name in names:
                for message in self._fields[name].errors:
                    if message and message not in messages:
                        messages.append(message)
            if messages:
                out[qid] = messages
        return out


# one input's check: the posted form -> (its answers as parsed, whether it passes validation)
Check = Callable[[Any], tuple[dict[str, Any], bool]]


def _field_check(field: AnswerField) -> Check:
    """A type other than a radio group: the prototype's own parse and validators on a copy of it (no form bound)."""

    def check(formdata: Any) -> tuple[dict[str, Any], bool]:
        copy = field.bound_copy(None, None)
        copy.process(formdata)
        return copy.answers(), copy.validate(None)

    return check


class PostedScreen:
    """A screen's post as :class:`ScreenCheck` found it: per question the parsed answers, per input the verdict."""

    __slots__ = ("_fields", "_parsed", "_passed", "_refused")

    def __init__(
        self,
        fields: list[tuple[str, dict[str, Any], bool]],
        parsed: dict[str, dict[str, Any]],
        refused: set[str],
        passed: dict[str, Any],
    ) -> None:
        self._fields = fields  # (question id, answers, passes validation) per input, in screen order
        self._parsed = parsed  # question id -> the answers of its inputs
        self._refused = refused  # the questions with an input that does not pass
        self._passed = passed  # the answers of every input that passes

    def question_answers(self, question_id: str) -> dict[str, Any]:
        """A question's answers as posted, valid or not (what a later condition on the screen reads)."""
        return self._parsed.get(question_id, {})

    def valid(self, applying: set[str]) -> bool:
        """True when every input of the questions in ``applying`` passes (:meth:`ScreenForm.validate_visible`)."""
        return self._refused.isdisjoint(applying)

    def valid_answers(self, applying: set[str]) -> dict[str, Any]:
        """The answers of the inputs that pass, of the questions in ``applying`` (:meth:`ScreenForm.valid_answers`)."""
        if self._parsed.keys() <= applying:  # every question of the screen applies
            return dict(self._passed)
        return {k: v for qid, answers, ok in self._fields if ok and qid in applying for k, v in answers.items()}


class ScreenCheck:
    """A screen's validation compiled from its form's prototypes: one check per input, built once per class.

    A radio group (:class:`ChoiceAnswer`, most of a survey) is checked in :meth:`run` itself: one
    string among the rendered codes (mapped to its answer), or nothing (blank) when optional;
    twice, a file, or any other string is refused.
    """

    __slots__ = ("checks", "input_names")

    def __init__(self, prototypes: Iterable[AnswerField]) -> None:
        checks: list[tuple[str, str, str, dict[str, Any], bool, Check | None]] = []
        names: set[str] = set()
        for proto in prototypes:
            qid, var = proto.question.id, proto.short_name[2:]
            if type(proto) is ChoiceAnswer:
                data = {code: int(code) if proto.numeric else code for code in proto.codes}
                checks.append((qid, proto.name, var, data, proto.required, None))
            else:
                checks.append((qid, proto.name, var, {}, proto.required, _field_check(proto)))
            names.update(proto.input_names())
        self.checks = tuple(checks)
        self.input_names = frozenset(names)  # as ScreenForm.input_names

    def run(self, formdata: Any) -> PostedScreen:
        """Check every input of the screen in ``formdata`` (the request's form): answers and verdicts."""
        fields: list[tuple[str, dict[str, Any], bool]] = []
        parsed: dict[str, dict[str, Any]] = {}
        refused: set[str] = set()
        passed: dict[str, Any] = {}
        getlist = formdata.getlist
        for qid, name, var, data, required, check in self.checks:
            if check is not None:
                answers, ok = check(formdata)
            else:
                values = getlist(name)
                if len(values) == 1 and type(values[0]) is str:
                    value = values[0]
                    if value in data:
                        answers, ok = {var: data[value]}, True
                    else:
                        answers, ok = {}, value == "" and not required
                else:  # nothing posted (blank), or posted twice, or a file
                    answers, ok = {}, not values and not required
            fields.append((qid, answers, ok))
            if ok:
                passed.update(answers)
            else:
                refused.add(qid)
            parsed[qid] = {**parsed[qid], **answers} if qid in parsed else answers
        return PostedScreen(fields, parsed, refused, passed)


def screen_check(q: Questionnaire, screen: Screen, lang: str) -> ScreenCheck:
    """The compiled check of a screen, kept on its cached form class (:func:`build_form`)."""
    cls = build_form(q, screen, lang)
    hit = cls.__dict__.get("_check")
    if hit is None:
        cls(formdata=None)  # a first form makes the class's WTForms meta and binds its prototypes (_prototypes)
        hit = cls._check = ScreenCheck(proto for _name, proto in cls._bound[1])
    return hit  # type: ignore[no-any-return]


_FORMS: dict[tuple[int, str, str], tuple[Questionnaire, type[ScreenForm]]] = {}


def build_form(q: Questionnaire, screen: Screen, lang: str) -> type[ScreenForm]:
    """A FlaskForm subclass for one screen, cached per questionnaire, screen and language.

    The cache is keyed by the questionnaire object's identity (hashing a frozen
    questionnaire walks all of its text) and holds a reference to it, so that
    an id cannot be reused while its entry lives.
    """
    key = (id(q), screen.id, lang)
    hit = _FORMS.get(key)
    if hit is None or hit[0] is not q:
        hit = (q, _build_form(q, screen, lang))
        if len(_FORMS) > 2000:
            _FORMS.clear()
        _FORMS[key] = hit
    return hit[1]


def _build_form(q: Questionnaire, screen: Screen, lang: str) -> type[ScreenForm]:
    class Form(ScreenForm):
        pass

    by_question: dict[str, tuple[str, ...]] = {}
    for question in screen.questions:
        names = []
        for name, unbound in _fields_for(question, lang):
            attr = field_name(name)
            setattr(Form, attr, unbound)
            names.append(attr)
        by_question[question.id] = tuple(names)
    Form.__name__ = f"Form_{q.survey}_{screen.id}_{lang}".replace("-", "_")
    Form.screen = screen
    Form.questionnaire = q
    Form.by_question = by_question
    return Form
