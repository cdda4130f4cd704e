"""The app's request class: a url-encoded body without escapes split directly, the cookie header read directly.

Werkzeug reads a url-encoded body with :func:`urllib.parse.parse_qsl`, which calls ``unquote``
and replaces ``+`` once per name and value: about 40 us of a 40-question submit, the largest
single cost of a POST.  A body holding neither ``%`` nor ``+`` decodes to itself, so splitting
it on ``&`` and the first ``=`` gives the same pairs (blank values kept, empty pieces skipped, as
``parse_qsl(..., keep_blank_values=True)`` does) in a third of the time; a radio-button screen
posts just such a body.  Any body with an escape goes through Werkzeug's own parse unchanged.

Werkzeug finds the ``Cookie`` header by walking every key of the WSGI environ and title-casing
each ``HTTP_*`` name; a WSGI server puts it under ``HTTP_COOKIE`` (PEP 3333), the one key read
here, and the same text goes to the same ``parse_cookie``.
"""

from __future__ import annotations

from typing import IO, Any
from urllib.parse import parse_qsl

from flask import Request as FlaskRequest
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.formparser import FormDataParser as WerkzeugFormDataParser
from werkzeug.sansio.http import parse_cookie
from werkzeug.utils import cached_property

__all__ = ["FormDataParser", "Request"]


class FormDataParser(WerkzeugFormDataParser):
    """Werkzeug's parser; a url-encoded body without ``%`` or ``+`` is split directly."""

    def _parse_urlencoded(
        self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[IO[bytes], Any, Any]:
        text = stream.read().decode()  # strict, as Werkzeug's: a body that is not UTF-8 raises alike
        if "%" in text or "+" in text:
            items = parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote")
        else:
            items = [(name, value) for name, _, value in (part.partition("=") for part in text.split("&") if part)]
        return stream, self.cls(items), self.cls()


class Request(FlaskRequest):
    """Flask's request with :class:`FormDataParser` (multipart bodies are parsed as before)."""

    form_data_parser_class = FormDataParser

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """Werkzeug's ``cookies``: the ``Cookie`` header parsed, read from its one environ key."""
        return parse_cookie(self.environ.get("HTTP_COOKIE", ""), cls=self.dict_storage_class)  # type: ignore[return-value]
