"""The API's one road from an error to its answer (STYLE.md §7b).

Services raise Django's ValidationError (or a named domain error) and views let it through; this
handler, set as REST_FRAMEWORK["EXCEPTION_HANDLER"], gives each its status and body:

- django.core.exceptions.ValidationError: 400, `{"field": ["message"]}` (an error naming no field
  under "non_field_errors");
- PermissionDenied: 403; Http404: 404 (DRF's own handling);
- calls.media's UnknownKey (a key id missing from RECORDING_KEYS): 503, the server is at fault;
- calls.media's IntegrityError (a stored object that fails authentication): 409, logged. A view
  names what was refused in its `integrity_refused_message`.
*Styleguide-Example `styleguide_example/api/exception_handlers.py`.*"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from calls.media.format import IntegrityError
from calls.media.keys import UnknownKey

logger = logging.getLogger(__name__)


class KeyNotConfigured(exceptions.APIException):
    """The object is sealed under a key id missing from RECORDING_KEYS (keys.unwrap logged which):
    the server's configuration is at fault, not the object, so this is no integrity failure."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _(
        "The key this file was encrypted under is not configured on the server; nothing suggests "
        "the file is damaged. The operator has been alerted; try again later."
    )
    default_code = "key_not_configured"


class IntegrityRefused(exceptions.APIException):
    """A stored object that fails authentication is refused, never served."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A stored file failed its integrity check; the incident was logged.")
    default_code = "integrity_check_failed"


def validation_error_detail(error: DjangoValidationError) -> dict[str, Any]:
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    view = context.get("view")
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, UnknownKey):  # before IntegrityError, which it extends
        exc = KeyNotConfigured()
    elif isinstance(exc, IntegrityError):
        # Which object: the ids of the request's path (no personal data), and the view.
        ids = {name: str(value) for name, value in getattr(view, "kwargs", {}).items()}
        logger.error(
            "stored object failed its integrity check",
            extra={"view": type(view).__name__, **ids},
        )
        exc = IntegrityRefused(getattr(view, "integrity_refused_message", None))
    return drf_exception_handler(exc, context)
