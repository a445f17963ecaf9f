"""The API's one exception handler (dexem.exception_handlers): each error its status and body."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from calls.media.format import IntegrityError
from calls.media.keys import UnknownKey
from dexem.exception_handlers import api_exception_handler


def answer(error: Exception) -> tuple[int, object]:
    response = api_exception_handler(error, {"view": None, "args": (), "kwargs": {}})
    assert response is not None
    return response.status_code, response.data


def test_a_service_validation_error_becomes_a_400_naming_its_fields():
    error = ValidationError({"number": ["Already used."], "source": ["Too long."]})
    assert answer(error) == (400, {"number": ["Already used."], "source": ["Too long."]})


def test_a_validation_error_naming_no_field_goes_under_non_field_errors():
    assert answer(ValidationError("Not now.")) == (400, {"non_field_errors": ["Not now."]})


def test_django_permission_and_not_found_errors_keep_their_statuses():
    assert answer(PermissionDenied("No."))[0] == 403
    assert answer(Http404("Gone."))[0] == 404


def test_an_integrity_failure_is_a_409_and_a_missing_key_a_503():
    status, body = answer(IntegrityError("segment 2 failed authentication"))
    assert status == 409 and "integrity check" in str(body["detail"])
    status, body = answer(UnknownKey("old"))
    assert status == 503 and "not configured" in str(body["detail"])
    assert "integrity" not in str(body["detail"])
