"""The client address behind the shipped proxy (SPEC §10): nginx replaces X-Forwarded-For with the
address it saw (deploy/nginx.conf.template), one trusted hop; without a proxy only REMOTE_ADDR."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.test import Client as Browser
from django.urls import reverse

from accounts.client_address import client_address
from privacy.sms import MemorySmsBackend
from tests.factories import PASSWORD

PROXY = "172.18.0.5"  # where the requests come from behind nginx: the proxy's own container
A, B = "198.51.100.7", "203.0.113.9"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"


def _via_nginx(address: str) -> dict[str, str]:
    """The headers exactly as deploy/nginx.conf.template sends them."""
    return {
        "REMOTE_ADDR": PROXY,
        "HTTP_X_FORWARDED_FOR": address,
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_HOST": "testserver",
    }


def _login(browser: Browser, email: str, password: str, **extra: str):
    return browser.post(reverse("login"), {"username": email, "password": password}, **extra)


def test_without_a_proxy_only_the_socket_address_counts(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR=A, HTTP_X_FORWARDED_FOR=B)
    assert client_address(request) == A


def test_behind_the_proxy_the_client_is_the_address_nginx_set(rf, behind_proxy):
    assert client_address(rf.get("/", **_via_nginx(A))) == A


def test_an_address_a_client_prepends_is_never_read(rf, behind_proxy):
    # Were nginx to append instead of replace, a client's own header would sit on the left.
    assert client_address(rf.get("/", **_via_nginx(f"10.9.9.9, {A}"))) == A


@pytest.mark.parametrize("header", [None, "", "unknown", "not-an-address, "])
def test_a_missing_or_malformed_address_is_none_never_a_shared_value(rf, behind_proxy, header):
    extra = _via_nginx(A)
    if header is None:
        del extra["HTTP_X_FORWARDED_FOR"]
    else:
        extra["HTTP_X_FORWARDED_FOR"] = header
    assert client_address(rf.get("/", **extra)) is None


def test_a_request_without_an_address_is_refused_alone(db, behind_proxy):
    browser = Browser()
    refused = browser.get(reverse("login"), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert refused.status_code == 400
    assert "network address could not be determined" in refused.content.decode()
    assert browser.get(reverse("login"), **_via_nginx(A)).status_code == 200
    # The container's health check reaches gunicorn directly, without the proxy.
    assert browser.get("/healthz", REMOTE_ADDR="127.0.0.1").status_code in (200, 503)


def test_failures_from_one_address_lock_that_address_not_the_victim_elsewhere(
    db, behind_proxy, acme_analyst
):
    attacker = Browser()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, acme_analyst.email, "wrong-password-123", **_via_nginx(A))
    assert _login(attacker, acme_analyst.email, PASSWORD, **_via_nginx(A)).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {A}
    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {A}
    assert _login(Browser(), acme_analyst.email, PASSWORD, **_via_nginx(B)).status_code == 302


def test_a_forged_forwarded_for_does_not_escape_the_lock_behind_the_proxy(
    db, behind_proxy, acme_analyst
):
    attacker = Browser()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, acme_analyst.email, "wrong", **_via_nginx(f"10.0.0.{attempt}, {A}"))
    response = _login(attacker, acme_analyst.email, PASSWORD, **_via_nginx(f"10.9.9.9, {A}"))
    assert response.status_code == 429


def test_the_public_forms_address_limit_is_per_address_behind_the_proxy(db, behind_proxy):
    MemorySmsBackend.outbox.clear()
    url = reverse("privacy-request")
    for index in range(10):
        form = {"phone": f"+3361234560{index}", "kind": "erasure"}
        assert Browser().post(url, form, **_via_nginx(A)).status_code == 302
    form = {"phone": "+33699999999", "kind": "erasure"}
    assert Browser().post(url, form, **_via_nginx(A)).status_code == 429
    assert Browser().post(url, form, **_via_nginx(B)).status_code == 302
    MemorySmsBackend.outbox.clear()
