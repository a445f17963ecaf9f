from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from calls.models import Call, Contact
from tests.factories import TrackingNumberFactory

URL = "/api/v1/calls/"


def payload(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "external_id": "prov-1",
        "tracking_number": "+33184800001",
        "caller_number": "+33612345678",
        "direction": "inbound",
        "status": "answered",
        "started_at": "2026-11-02T10:15:00+01:00",
        "duration_seconds": 93,
    }
    data.update(overrides)
    return data


def test_a_provider_posts_a_call_and_gets_it_back(acme_api, acme_number):
    response = acme_api.post(URL, payload(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["external_id"] == "prov-1"
    assert body["tracking_number"] == "+33184800001" and body["source"] == "Google Ads"
    assert body["caller_number"] == "+33612345678"
    assert body["started_at"] == "2026-11-02T10:15:00+01:00"
    assert (body["has_recording"], body["has_voicemail"]) == (False, False)
    assert set(body) == {
        "id",
        "external_id",
        "tracking_number",
        "source",
        "caller_number",
        "direction",
        "status",
        "started_at",
        "duration_seconds",
        "has_recording",
        "has_voicemail",
    }


def test_numbers_are_normalised_to_e164(acme_api, acme_number):
    response = acme_api.post(
        URL,
        payload(tracking_number="+33 1 84 80 00 01", caller_number="+33 (0)6 12 34 56 78"),
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["caller_number"] == "+33612345678"


def test_defaults_are_inbound_and_zero_seconds(acme_api, acme_number):
    data = payload()
    del data["direction"], data["duration_seconds"], data["caller_number"]
    body = acme_api.post(URL, data, format="json").json()
    assert (body["direction"], body["duration_seconds"], body["caller_number"]) == (
        "inbound",
        0,
        None,
    )


def test_the_same_external_id_updates_the_call_and_answers_200(acme_api, acme_number):
    first = acme_api.post(URL, payload(status="missed", duration_seconds=0), format="json").json()
    second = acme_api.post(URL, payload(status="answered", duration_seconds=40), format="json")
    assert second.status_code == 200
    assert second.json()["id"] == first["id"]
    assert Call.objects.across_clients().count() == 1
    assert Call.objects.across_clients().get().status == "answered"


def test_the_contact_is_found_or_created_once_per_client(acme_api, acme_number):
    acme_api.post(URL, payload(external_id="a"), format="json")
    acme_api.post(URL, payload(external_id="b"), format="json")
    assert Contact.objects.across_clients().count() == 1


def test_another_clients_tracking_number_gets_the_same_400_as_an_unknown_one(
    acme_api, acme_number, globex_number
):
    theirs = acme_api.post(URL, payload(tracking_number=globex_number.number), format="json")
    nowhere = acme_api.post(URL, payload(tracking_number="+33184807777"), format="json")
    assert theirs.status_code == nowhere.status_code == 400
    assert theirs.json() == nowhere.json()
    assert "tracking_number" in theirs.json()
    assert not Call.objects.across_clients().exists()


def test_an_inactive_tracking_number_is_refused(acme_api, acme):
    TrackingNumberFactory(client=acme, number="+33184800001", active=False)
    assert acme_api.post(URL, payload(), format="json").status_code == 400


def test_the_same_external_id_in_two_clients_makes_two_calls(
    acme_api, globex_api, acme_number, globex_number
):
    assert acme_api.post(URL, payload(external_id="x"), format="json").status_code == 201
    assert (
        globex_api.post(
            URL, payload(external_id="x", tracking_number=globex_number.number), format="json"
        ).status_code
        == 201
    )
    assert Call.objects.across_clients().count() == 2


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"caller_number": "0612"}, "caller_number"),
        ({"caller_number": "not a number"}, "caller_number"),
        ({"tracking_number": "+1"}, "tracking_number"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"duration_seconds": "long"}, "duration_seconds"),
        ({"duration_seconds": 2**40}, "duration_seconds"),
        ({"status": "ringing"}, "status"),
        ({"direction": "sideways"}, "direction"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": "2026-11-02T10:15:00"}, "started_at"),
        ({"started_at": "9999-12-31T23:59:59-23:59"}, "started_at"),
        ({"started_at": "0001-01-01T00:00:00+14:00"}, "started_at"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "x" * 129}, "external_id"),
        ({"external_id": ["list"]}, "external_id"),
        ({"caller_number": 33612345678}, "caller_number"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(acme_api, acme_number, overrides, field):
    response = acme_api.post(URL, payload(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Call.objects.across_clients().exists()


@pytest.mark.parametrize("missing", ["external_id", "tracking_number", "status", "started_at"])
def test_a_missing_field_is_named(acme_api, acme_number, missing):
    data = payload()
    del data[missing]
    response = acme_api.post(URL, data, format="json")
    assert response.status_code == 400 and missing in response.json()


def test_an_invalid_phone_number_is_not_echoed_in_the_error(acme_api, acme_number):
    response = acme_api.post(URL, payload(caller_number="+999777"), format="json")
    assert response.status_code == 400
    assert "999777" not in response.content.decode()


def test_malformed_json_is_a_400(acme_api, acme_number):
    response = acme_api.post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400


def test_a_json_list_body_is_a_400(acme_api, acme_number):
    response = acme_api.post(URL, data=json.dumps([payload()]), content_type="application/json")
    assert response.status_code == 400


def test_an_unsupported_content_type_is_a_415(acme_api, acme_number):
    response = acme_api.post(URL, data="external_id=1", content_type="text/plain")
    assert response.status_code == 415


def test_no_key_is_a_401(client, acme_number):
    response = client.post(URL, payload(), content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


@pytest.mark.parametrize("key", ["garbage", "dxm_nope_nope", "dxm__", ""])
def test_a_wrong_or_malformed_key_is_a_401(client, acme_number, key):
    response = client.post(
        URL, payload(), content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {key}"
    )
    assert response.status_code == 401


def test_a_revoked_key_is_a_401(acme, acme_number):
    from rest_framework.test import APIClient

    from accounts.services import api_key_create, api_key_revoke

    api_key, full = api_key_create(client=acme, name="old")
    api_key_revoke(api_key=api_key)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {full}")
    assert api.post(URL, payload(), format="json").status_code == 401


def test_a_read_only_key_cannot_ingest(acme_read_api, acme_number):
    assert acme_read_api.post(URL, payload(), format="json").status_code == 403


def test_an_admin_session_may_ingest_with_csrf(acme_admin, acme_number):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(acme_admin)
    assert browser.post(URL, payload(), format="json").status_code == 403  # no CSRF token
    browser.get("/calls/")
    token = browser.cookies["csrftoken"].value
    assert browser.post(URL, payload(), format="json", HTTP_X_CSRFTOKEN=token).status_code == 201


@pytest.mark.parametrize("role_fixture", ["acme_manager", "acme_analyst"])
def test_other_roles_cannot_ingest_from_a_session(request, as_user, acme_number, role_fixture):
    browser = as_user(request.getfixturevalue(role_fixture))
    assert browser.post(URL, payload(), content_type="application/json").status_code == 403


def test_the_key_records_when_it_was_last_used(acme, acme_number):
    from rest_framework.test import APIClient

    from accounts.services import api_key_create

    api_key, full = api_key_create(client=acme, name="provider")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {full}")
    api.post(URL, payload(), format="json")
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_never_create_two_calls(acme, acme_number):
    from rest_framework.test import APIClient

    from accounts.services import api_key_create

    _, full = api_key_create(client=acme, name="provider")
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    statuses: list[int] = []

    def post() -> None:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {full}")
        try:
            barrier.wait()
            for round_ in range(5):
                statuses.append(
                    api.post(URL, payload(external_id=f"race-{round_}"), format="json").status_code
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Call.objects.across_clients().count() == 5
    assert Contact.objects.across_clients().count() == 1
    assert (
        not Call.objects.across_clients().filter(contact__isnull=True).exists()
    )  # the race's losers found it
    assert sorted(set(statuses)) == [200, 201]
    assert statuses.count(201) == 5
