"""Lockout tiers (SPEC §4): a lock lasts as long as its tier says, whatever other requests do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.test import Client as Browser
from django.urls import reverse

from accounts.lockout import LONGEST_LOCKOUT, lockout_duration, username_from_request
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _login(email: str, password: str, address: str = "198.51.100.7"):
    return Browser().post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address
    )


def _fail_until_locked(email: str) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(email, "wrong-password-123")


def _minutes_pass(minutes: int) -> None:
    """Every stored time moves back, as if `minutes` had passed."""
    delta = timedelta(minutes=minutes)
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= delta
        attempt.save(update_fields=["attempt_time"])
        expiration = getattr(attempt, "expiration", None)
        if expiration is not None:
            expiration.expires_at -= delta
            expiration.save(update_fields=["expires_at"])
    for failure in AccessFailureLog.objects.all():
        failure.attempt_time -= delta
        failure.save(update_fields=["attempt_time"])


@pytest.fixture
def second_lockout(acme_analyst):
    """The analyst's address is locked for the second time: a 30-minute lock."""
    _fail_until_locked(acme_analyst.email)
    _minutes_pass(16)
    _fail_until_locked(acme_analyst.email)
    return acme_analyst


def test_the_first_lock_ends_after_fifteen_minutes(acme_analyst):
    _fail_until_locked(acme_analyst.email)
    _minutes_pass(14)
    assert _login(acme_analyst.email, PASSWORD).status_code == 429
    _minutes_pass(2)
    assert _login(acme_analyst.email, PASSWORD).status_code == 302


def test_a_second_lock_lasts_thirty_minutes_and_says_so(second_lockout):
    response = _login(second_lockout.email, PASSWORD)
    assert response.status_code == 429 and "Try again in 30 minutes." in response.content.decode()
    _minutes_pass(29)
    assert _login(second_lockout.email, PASSWORD).status_code == 429
    _minutes_pass(2)
    assert _login(second_lockout.email, PASSWORD).status_code == 302


def test_a_third_lock_lasts_an_hour(acme_analyst):
    for _ in range(2):
        _fail_until_locked(acme_analyst.email)
        _minutes_pass(40)
    _fail_until_locked(acme_analyst.email)
    _minutes_pass(59)
    assert _login(acme_analyst.email, PASSWORD).status_code == 429
    _minutes_pass(2)
    assert _login(acme_analyst.email, PASSWORD).status_code == 302


def test_a_failure_under_another_username_does_not_shorten_the_lock(second_lockout):
    _minutes_pass(16)
    _login("someone-else@example.com", "wrong-password-123", address="203.0.113.1")
    assert _login(second_lockout.email, PASSWORD).status_code == 429


@pytest.mark.parametrize("variant", ["upper", "fullwidth"])
def test_a_variant_of_the_same_username_does_not_shorten_the_lock(second_lockout, variant):
    email = second_lockout.email
    typed = email.upper() if variant == "upper" else "".join(chr(ord(c) + 0xFEE0) for c in email)
    _minutes_pass(16)
    assert _login(typed, "wrong-password-123").status_code == 429
    assert _login(email, PASSWORD).status_code == 429


def test_the_lock_key_is_the_username_as_login_normalises_it(rf):
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "Ann@Acme.Example")
    request = rf.post("/accounts/login/", {"username": f" {fullwidth} "})
    assert username_from_request(request, None) == "ann@acme.example"
    assert username_from_request(None, {"username": fullwidth}) == "ann@acme.example"


def test_locks_stop_growing_at_a_day():
    assert lockout_duration(lockouts=1) == timedelta(minutes=15)
    assert lockout_duration(lockouts=100) == LONGEST_LOCKOUT == timedelta(hours=24)


def test_an_attempt_recorded_before_expiries_were_stored_locks_for_fifteen_minutes(acme_analyst):
    AccessAttempt.objects.create(
        username=acme_analyst.email,
        ip_address="198.51.100.7",
        user_agent="",
        http_accept="",
        path_info="/accounts/login/",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        get_data="",
        post_data="",
    )
    assert _login(acme_analyst.email, PASSWORD).status_code == 429
    _minutes_pass(16)
    assert _login(acme_analyst.email, PASSWORD).status_code == 302
