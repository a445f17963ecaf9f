"""The API's JSON parser: a body it cannot read is the client's mistake (400), whatever it holds."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's, but nesting deeper than the interpreter's recursion limit (a body of 100,000 `[`)
    is a 400 too: the decoder raises RecursionError, not the ValueError DRF turns into one."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error: the body is nested too deeply.")) from None
