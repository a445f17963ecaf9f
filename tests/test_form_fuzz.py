"""Odd input into every HTML form and list filter: a clear answer, never a 500 (SPEC §10).

schemathesis fuzzes the API (tests/calls/test_api_fuzz.py); this does the same by hand for the
pages: each field of each form the logged-in admin (or a visitor, for the public ones) can post,
and each list filter as a GET parameter, gets NUL bytes, a 10,000-character string, huge and
negative numbers, a list where one value is expected, and invalid UTF-8 percent-escapes, one
field at a time with the others valid. Runs in seconds on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.test import Client as HttpClient

from accounts.roles import Role
from tests.factories import PASSWORD, CallFactory, UserFactory

ODD_VALUES: dict[str, Any] = {
    "nul": "a\x00b",
    "only-nul": "\x00",
    "long": "x" * 10_000,
    "huge-number": "9" * 400,
    "negative": "-99999999999999999999",
    "float-overflow": "1e309",
    "date-overflow": "99999-12-31",
    "control-characters": "\x01\x1b[31m\x7f",
    "unicode": "é\u202e\ufeff\U0001d518",
    "list": ["a", "b"],
    "empty": "",
}
# Sent raw in the body or the query string: bytes that are not UTF-8 once percent-decoded.
RAW_ODD = {"invalid-utf8": "%FF%FE%FD", "invalid-utf8-with-nul": "%C3%28%00"}


@dataclass(frozen=True)
class Form:
    method: str
    url: Callable[[dict[str, Any]], str]
    valid: Callable[[dict[str, Any]], dict[str, Any]]
    # "admin" (Acme's, logged in), "visitor", or "visitor-with-a-code" (the public form's
    # second step, after a code was sent).
    who: str = "admin"


FORMS: dict[str, Form] = {
    "users-new": Form(
        "POST",
        lambda w: "/users/new/",
        lambda w: {
            "email": "new@acme.example",
            "first_name": "New",
            "last_name": "Person",
            "role": "analyst",
            "phone_numbers": "+33612345678",
            "organization": "Acme",
        },
    ),
    "users-edit": Form(
        "POST",
        lambda w: f"/users/{w['analyst'].pk}/edit/",
        lambda w: {
            "email": w["analyst"].email,
            "first_name": "Charlie",
            "last_name": "Analyst",
            "role": "analyst",
            "is_active": "on",
            "phone_numbers": "",
            "organization": "",
        },
    ),
    "profile": Form(
        "POST",
        lambda w: "/profile/",
        lambda w: {
            "first_name": "Alice",
            "last_name": "Admin",
            "initials": "AA",
            "phone_numbers": "+33612345678",
            "organization": "Acme",
        },
    ),
    "password": Form(
        "POST",
        lambda w: "/profile/password/",
        lambda w: {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-7",
            "new_password2": "another-long-passphrase-7",
        },
    ),
    "tracking-number": Form(
        "POST",
        lambda w: "/settings/tracking-numbers/new/",
        lambda w: {"number": "+33184805555", "source": "Ads", "campaign": "Brand"},
    ),
    "api-key": Form(
        "POST", lambda w: "/settings/api-keys/new/", lambda w: {"name": "key", "scopes": "read"}
    ),
    "erasure-request": Form(
        "POST", lambda w: "/privacy/", lambda w: {"phone": "+33612345678", "notes": "asked"}
    ),
    "public-request": Form(
        "POST",
        lambda w: "/privacy/request/",
        lambda w: {"phone": "+33612345678", "kind": "erasure"},
        who="visitor",
    ),
    "public-request-code": Form(
        "POST",
        lambda w: "/privacy/request/verify/",
        lambda w: {"code": "123456"},
        who="visitor-with-a-code",
    ),
    "login": Form(
        "POST",
        lambda w: "/accounts/login/",
        lambda w: {"username": "alice@acme.example", "password": "wrong"},
        who="visitor",
    ),
    "password-reset": Form(
        "POST",
        lambda w: "/accounts/password-reset/",
        lambda w: {"email": "alice@acme.example"},
        who="visitor",
    ),
    # List filters, as GET parameters.
    "call-list": Form(
        "GET",
        lambda w: "/calls/",
        lambda w: {
            "started_after": "2026-01-01",
            "started_before": "2026-02-01",
            "status": "answered",
            "tracking_number": "+33184800001",
            "caller_number": "+33612345678",
            "sort": "newest",
            "page": "1",
            "cursor": "x",
        },
    ),
    "dashboard": Form(
        "GET",
        lambda w: "/",
        lambda w: {"period": "30", "first_day": "2026-01-01", "last_day": "2026-01-31"},
    ),
    "contact-lookup": Form("GET", lambda w: "/contacts/", lambda w: {"phone": w["phone"]}),
    "privacy-centre": Form("GET", lambda w: "/privacy/", lambda w: {"page": "1"}),
    "user-list": Form("GET", lambda w: "/users/", lambda w: {"page": "1"}),
    "settings": Form("GET", lambda w: "/settings/", lambda w: {"page": "1"}),
}


@pytest.fixture
def world(acme, acme_admin, acme_number, settings):
    # The lockout and the public form's rate limits answer 429 after a few tries; the point here
    # is what the forms do with odd values, so give each case room.
    settings.AXES_FAILURE_LIMIT = 10_000
    CallFactory.create_batch(2, client=acme, tracking_number=acme_number)
    caller = CallFactory(client=acme, tracking_number=acme_number).contact
    return {
        "phone": caller.phone_number,
        "admin": acme_admin,
        "analyst": UserFactory(client=acme, role=Role.ANALYST, email="charlie@acme.example"),
    }


def _http(world: dict[str, Any], form: Form) -> HttpClient:
    http = HttpClient(raise_request_exception=False)
    if form.who == "admin":
        http.force_login(world["admin"])
    if form.who == "visitor-with-a-code":
        from privacy.public import verification_start
        from privacy.views import SESSION_KEY

        phone = "+33612345670"
        verification = verification_start(phone=phone, kind="erasure", ip_address="192.0.2.9")
        session = http.session
        session[SESSION_KEY] = {"id": str(verification.pk), "phone": phone}
        session.save()
    return http


def _send(http: HttpClient, form: Form, url: str, encoded: str) -> Any:
    if form.method == "GET":
        return http.get(f"{url}?{encoded}")
    return http.generic(
        "POST", url, data=encoded.encode(), content_type="application/x-www-form-urlencoded"
    )


def _cases() -> list[Any]:
    cases = []
    for form_name in FORMS:
        for value_name in [*ODD_VALUES, *RAW_ODD]:
            cases.append(pytest.param(form_name, value_name, id=f"{form_name}-{value_name}"))
    return cases


@pytest.mark.parametrize("form_name, value_name", _cases())
def test_odd_input_never_answers_a_server_error(world, form_name, value_name):
    form = FORMS[form_name]
    url = form.url(world)
    valid = form.valid(world)
    failures = []
    for field in valid:
        if value_name in RAW_ODD:
            others = urlencode({k: v for k, v in valid.items() if k != field}, doseq=True)
            encoded = f"{others}&{quote(field)}={RAW_ODD[value_name]}"
        else:
            encoded = urlencode({**valid, field: ODD_VALUES[value_name]}, doseq=True)
        # A fresh session each time: a successful change (say, the password) must not turn the
        # next case into a redirect to the login page that proves nothing.
        response = _send(_http(world, form), form, url, encoded)
        if response.status_code >= 500:
            failures.append((field, response.status_code))
    assert not failures, failures


@pytest.mark.parametrize("form_name", FORMS)
def test_each_fuzzed_form_is_reached_with_valid_input(world, form_name):
    """Guards the fuzzing above: a wrong URL, method or login would make it prove nothing."""
    form = FORMS[form_name]
    response = _send(
        _http(world, form), form, form.url(world), urlencode(form.valid(world), doseq=True)
    )
    assert response.status_code not in (403, 404, 405), response.status_code
    assert "/accounts/login/" not in response.get("Location", ""), response["Location"]
    if form.who == "visitor-with-a-code":
        assert response.status_code == 400  # the code form itself answered (a wrong code)
