"""/settings/website/ and GET|PUT /api/v1/website/: admins only (SPEC §13)."""

from __future__ import annotations

from html import unescape

import pytest
from rest_framework.test import APIClient

from attribution.services import website_for
from privacy.audit import AuditEvent


def test_an_admin_sees_the_snippet_and_the_pool_advice(as_user, acme_admin, acme_site):
    page = as_user(acme_admin).get("/settings/website/")
    assert page.status_code == 200
    html = unescape(page.content.decode())
    assert f'data-client="{acme_site.public_id}" async></script>' in html
    assert "/dni.js" in html
    assert 'id="pool-advice"' in html


def test_an_admin_saves_origins_and_the_default_number(as_user, acme_admin, acme_site):
    response = as_user(acme_admin).post(
        "/settings/website/",
        {
            "allowed_origins": "https://shop.acme.example/\nHTTPS://WWW.ACME.EXAMPLE:443",
            "default_number": "+33184800200",
        },
    )
    assert response.status_code == 302
    body = as_user(acme_admin).get("/api/v1/website/").json()
    assert body["allowed_origins"] == ["https://shop.acme.example", "https://www.acme.example"]
    assert body["default_number"] == "+33184800200"
    assert AuditEvent.objects.for_client(acme_site.client).filter(action="website.changed").exists()


def test_a_bad_origin_is_shown_on_the_form(as_user, acme_admin, acme_site):
    response = as_user(acme_admin).post(
        "/settings/website/", {"allowed_origins": "https://x.example/path", "default_number": ""}
    )
    assert response.status_code == 400
    assert "scheme and host" in response.content.decode()


@pytest.mark.parametrize("role", ["acme_manager", "acme_analyst"])
def test_other_roles_get_a_403(request, as_user, role, acme):
    user = request.getfixturevalue(role)
    assert as_user(user).get("/settings/website/").status_code == 403
    assert as_user(user).get("/api/v1/website/").status_code == 403


def test_anonymous_is_sent_to_login_and_refused_by_the_api(client, acme):
    assert client.get("/settings/website/").status_code == 302
    assert APIClient().get("/api/v1/website/").status_code == 401


def test_an_api_key_cannot_read_nor_change_the_website(acme_api):
    assert acme_api.get("/api/v1/website/").status_code == 403
    assert acme_api.put("/api/v1/website/", {}, format="json").status_code == 403


def test_the_api_puts_settings_with_public_id_read_only(as_user, acme_admin, acme_site):
    api = APIClient()
    api.force_authenticate(acme_admin)
    before = acme_site.public_id
    response = api.put(
        "/api/v1/website/",
        {
            "public_id": "mine",
            "allowed_origins": ["http://127.0.0.1:8001"],
            "default_number": "+33 1 84 80 03 00",
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "public_id": before,
        "allowed_origins": ["http://127.0.0.1:8001"],
        "default_number": "+33184800300",
    }


def test_the_api_refuses_bad_origins_and_another_clients_number(
    acme_admin, acme_site, globex_number
):
    api = APIClient()
    api.force_authenticate(acme_admin)
    bad = api.put("/api/v1/website/", {"allowed_origins": ["ftp://x"]}, format="json")
    assert bad.status_code == 400 and "allowed_origins" in bad.json()
    theirs = api.put(
        "/api/v1/website/",
        {"allowed_origins": [], "default_number": globex_number.number},
        format="json",
    )
    assert theirs.status_code == 400 and "default_number" in theirs.json()
    assert api.put("/api/v1/website/", "[]", content_type="application/json").status_code == 400


def test_each_client_has_its_own_public_id(acme, globex):
    assert website_for(client=acme).public_id != website_for(client=globex).public_id


def test_the_tracking_numbers_api_creates_pool_numbers(acme_admin, acme):
    api = APIClient()
    api.force_authenticate(acme_admin)
    response = api.post(
        "/api/v1/tracking-numbers/",
        {"number": "+33184800777", "source": "Website", "pool": True},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["pool"] is True


def test_the_default_number_choices_read_as_people_write_them(as_user, acme_admin, acme_site):
    html = as_user(acme_admin).get("/settings/website/").content.decode()
    assert '<option value="+33184800200">01 84 80 02 00 · ' in html  # Acme is in France
