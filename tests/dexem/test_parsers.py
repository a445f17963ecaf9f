"""A JSON body the API cannot read is a 400 naming the problem, never a 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

MALFORMED = [b"{", b"[1,", b"\xff\xfe", b'{"a": NaN}', b""]


@pytest.fixture(params=["calls", "tracking_numbers"])
def poster(request, acme_api, as_user, acme_admin):
    """Who may POST to each: the provider's key for calls, an admin's session for numbers."""
    if request.param == "calls":
        return lambda body: acme_api.post("/api/v1/calls/", body, content_type="application/json")
    browser = as_user(acme_admin)
    return lambda body: browser.post(
        "/api/v1/tracking-numbers/", body, content_type="application/json"
    )


def test_json_nested_deeper_than_the_recursion_limit_is_a_400(poster):
    response = poster(b"[" * 100_000)

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_json_is_a_400(poster, body):
    response = poster(body)

    assert response.status_code == 400
    assert response.json()
