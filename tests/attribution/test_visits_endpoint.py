"""POST /dni/v1/visits/: CORS, rate limits, consent, malformed bodies (SPEC §13)."""

from __future__ import annotations

import time

from django.test import override_settings

from attribution.models import Lease, Visit
from attribution.services import website_update
from tests.attribution.conftest import SITE

CAMPAIGN_URL = "/offer/?utm_source=google&utm_medium=cpc&utm_campaign=spring&email=a@b.example"


def test_a_preflight_from_an_allowed_origin_is_answered_with_cors_headers(client, acme_site):
    response = client.options(
        "/dni/v1/visits/",
        HTTP_ORIGIN=SITE,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SITE
    assert response["Access-Control-Allow-Methods"] == "POST"
    assert "Content-Type" in response["Access-Control-Allow-Headers"]
    assert "Origin" in response["Vary"]


def test_a_preflight_from_an_origin_not_allowed_is_refused(client, acme_site):
    response = client.options(
        "/dni/v1/visits/",
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


def test_a_post_from_another_clients_origin_is_refused(post_visit, acme_site, globex):
    website_update(client=globex, allowed_origins=["https://globex.example"], default_number=None)
    response = post_visit(
        {"client": acme_site.public_id, "consent": True}, origin="https://globex.example"
    )
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert not Visit.objects.for_client(acme_site.client).exists()


def test_a_post_without_an_origin_is_refused(client, acme_site):
    response = client.post(
        "/dni/v1/visits/",
        data={"client": acme_site.public_id},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_without_consent_it_answers_the_sources_number_and_stores_nothing(post_visit, acme_site):
    response = post_visit(
        {"client": acme_site.public_id, "consent": False, "utm_source": "Newsletter"}
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SITE
    assert response.json() == {"number": "+33184800200", "display": "01 84 80 02 00"}
    assert not Visit.objects.for_client(acme_site.client).exists()
    assert not Lease.objects.for_client(acme_site.client).exists()


def test_without_consent_and_no_known_source_it_answers_the_default_number(post_visit, acme_site):
    response = post_visit({"client": acme_site.public_id, "referrer": "https://news.example/"})
    assert response.json()["number"] == "+33184800300"


def test_with_consent_a_visit_gets_a_pool_number_for_thirty_minutes(post_visit, acme_site):
    response = post_visit(
        {
            "client": acme_site.public_id,
            "consent": True,
            "landing_url": "https://www.acme.example" + CAMPAIGN_URL + "#top",
            "referrer": "https://www.google.fr/",
        }
    )
    body = response.json()
    assert response.status_code == 200
    assert body["number"] in {"+33184800100", "+33184800101", "+33184800102"}
    assert body["display"].startswith("01 84 80 01 0")
    assert body["expires_in"] == 1800
    assert len(body["visit"]) >= 32
    visit = Visit.objects.for_client(acme_site.client).get()
    assert visit.channel == "paid_search"
    assert visit.utm_campaign == "spring"
    # Path and campaign parameters only: the email parameter (personal data) is gone.
    assert visit.landing_path == "/offer/?utm_source=google&utm_medium=cpc&utm_campaign=spring"
    assert visit.referrer_host == "www.google.fr"
    assert body["visit"] not in visit.token_hash


def test_the_visit_token_renews_the_same_number(post_visit, acme_site):
    first = post_visit({"client": acme_site.public_id, "consent": True}).json()
    again = post_visit(
        {"client": acme_site.public_id, "consent": True, "visit": first["visit"]}
    ).json()
    assert again["number"] == first["number"]
    assert again["visit"] == first["visit"]
    assert Visit.objects.for_client(acme_site.client).count() == 1
    assert Lease.objects.for_client(acme_site.client).count() == 1


def test_a_visit_token_of_another_client_starts_a_new_visit(post_visit, acme_site, globex):
    from calls.services import tracking_number_create

    tracking_number_create(client=globex, number="+33184809000", source="Website", pool=True)
    globex_site = website_update(
        client=globex, allowed_origins=["https://globex.example"], default_number=None
    )
    theirs = post_visit(
        {"client": globex_site.public_id, "consent": True}, origin="https://globex.example"
    ).json()
    ours = post_visit(
        {"client": acme_site.public_id, "consent": True, "visit": theirs["visit"]}
    ).json()
    assert ours["visit"] != theirs["visit"]
    assert ours["number"] != "+33184809000"
    assert Visit.objects.for_client(acme_site.client).count() == 1
    assert Visit.objects.for_client(globex).count() == 1


def test_malformed_bodies_are_a_400_that_names_the_field(post_visit, acme_site):
    cases = [
        ("not json", "non_field_errors"),
        ("[1, 2]", "non_field_errors"),
        ({"consent": True}, "client"),
        ({"client": acme_site.public_id, "consent": "yes"}, "consent"),
        ({"client": acme_site.public_id, "utm_source": 42}, "utm_source"),
        ({"client": acme_site.public_id, "landing_url": "x" * 5000}, "landing_url"),
        ({"client": acme_site.public_id, "email": "a@b.example"}, "email"),
        ({"client": "no-such-site"}, "client"),
        # PostgreSQL's text cannot hold a null character: refused, never a failed insert.
        (
            {"client": acme_site.public_id, "consent": True, "utm_campaign": "a\x00b"},
            "utm_campaign",
        ),
        ({"client": acme_site.public_id, "consent": True, "landing_url": "/\x00"}, "landing_url"),
        ({"client": "\x00"}, "client"),
    ]
    for body, field in cases:
        response = post_visit(body)
        assert response.status_code == 400, body
        assert field in response.json(), body
        assert "a@b.example" not in response.content.decode()


def test_other_methods_are_a_405(client, acme_site):
    assert client.get("/dni/v1/visits/").status_code == 405


@override_settings(DNI_RATE_LIMIT_PER_MINUTE=3)
def test_an_address_over_the_rate_limit_gets_a_429_and_another_address_does_not(
    post_visit, acme_site
):
    body = {"client": acme_site.public_id}
    # The windows are calendar minutes: start well inside one so the four requests share it.
    while time.time() % 60 > 50:
        time.sleep(1)
    statuses = [post_visit(body, address="198.51.100.1").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert post_visit(body, address="198.51.100.2").status_code == 200


def test_the_address_is_stored_nowhere(post_visit, acme_site):
    post_visit({"client": acme_site.public_id, "consent": True}, address="192.0.2.55")
    visit = Visit.objects.for_client(acme_site.client).get()
    stored = " ".join(str(getattr(visit, field.attname)) for field in Visit._meta.fields)
    assert "192.0.2.55" not in stored


def test_the_snippet_is_served_small_cacheable_and_readable_from_any_site(client):
    import gzip

    response = client.get("/dni.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "max-age=3600" in response["Cache-Control"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert len(gzip.compress(response.content, 9)) < 4096
    assert b"document.cookie" not in response.content
    again = client.get("/dni.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
