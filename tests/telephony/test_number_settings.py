"""Per tracking number: where calls go, recording, announcement, voicemail, ring time — in
/settings/ and through the tracking-numbers API (admin session)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from calls.models import Call, TrackingNumber
from privacy.audit import AuditAction, AuditEvent
from telephony.models import ProviderCall, ProviderRecording, RecordingState
from tests.factories import CallFactory, ClientFactory


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user=None)
    api.force_login(user)
    return api


def test_an_admin_creates_a_number_with_its_call_handling(acme_admin):
    response = _api(acme_admin).post(
        "/api/v1/tracking-numbers/",
        {
            "number": "+33 1 84 80 00 42",
            "source": "Radio",
            "forward_to": "+33 1 98 76 54 32",
            "record_calls": True,
            "ring_seconds": 30,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["forward_to"] == "+33198765432" and body["record_calls"] is True
    assert body["voicemail"] is True and body["ring_seconds"] == 30
    # Acme is in France: the default announcement is French.
    assert body["announcement"] == "Cet appel est susceptible d'être enregistré."


def test_the_default_announcement_follows_the_clients_language(db):
    london = ClientFactory(slug="london", time_zone="Europe/London", country="GB")
    from calls.services import tracking_number_create

    number = tracking_number_create(client=london, number="+442071234567", source="Web")
    assert number.announcement == "This call may be recorded."


def test_a_french_client_announces_in_french_whatever_its_time_zone(db):
    from calls.services import tracking_number_create

    # The language is the Client's country's (accounts.languages), not its time zone's.
    paris_in_utc = ClientFactory(slug="paris-utc", time_zone="UTC", country="FR")
    number = tracking_number_create(client=paris_in_utc, number="+33184800077", source="Web")
    assert number.announcement == "Cet appel est susceptible d'être enregistré."
    berlin = ClientFactory(slug="berlin", time_zone="Europe/Berlin", country="DE")
    number = tracking_number_create(client=berlin, number="+493012345678", source="Web")
    assert number.announcement == "Dieser Anruf kann aufgezeichnet werden."


def test_an_admin_patches_a_number_and_the_change_is_audited_by_field_name(acme_admin, acme_number):
    response = _api(acme_admin).patch(
        f"/api/v1/tracking-numbers/{acme_number.pk}/",
        {"forward_to": "+33198765432", "voicemail": False, "number": "+33999"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    acme_number.refresh_from_db()
    assert (acme_number.forward_to, acme_number.voicemail) == ("+33198765432", False)
    assert acme_number.number == "+33184800001"  # the number itself never changes
    event = AuditEvent.objects.get(action=AuditAction.TRACKING_NUMBER_CHANGED)
    assert event.metadata["fields"] == ["forward_to", "voicemail"]
    assert "+33" not in str(event.metadata)  # the number only as a keyed hash
    assert "+33198765432" not in str(event.metadata)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"forward_to": "not a phone"}, "forward_to"),
        ({"ring_seconds": 2}, "ring_seconds"),
        ({"ring_seconds": 500}, "ring_seconds"),
        ({"record_calls": "perhaps"}, "record_calls"),
        ({"announcement": "x" * 301}, "announcement"),
        ({"forward_to": "+33 1 84 80 00 01"}, "forward_to"),  # the number itself: a loop
    ],
)
def test_bad_values_are_a_400_naming_the_field(acme_admin, acme_number, payload, field):
    response = _api(acme_admin).patch(
        f"/api/v1/tracking-numbers/{acme_number.pk}/", payload, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()


def test_calls_cannot_be_put_through_to_one_of_the_clients_own_tracking_numbers(
    acme, acme_admin, acme_number
):
    from calls.services import tracking_number_create

    other = tracking_number_create(client=acme, number="+33184800099", source="Radio")
    response = _api(acme_admin).patch(
        f"/api/v1/tracking-numbers/{acme_number.pk}/",
        {"forward_to": "+33 1 84 80 00 99"},
        format="json",
    )
    assert response.status_code == 400
    assert "ring back here" in response.json()["forward_to"][0]
    created = _api(acme_admin).post(
        "/api/v1/tracking-numbers/",
        {"number": "+33184800042", "source": "Web", "forward_to": "+33 1 84 80 00 42"},
        format="json",
    )
    assert created.status_code == 400
    assert "ring back here" in created.json()["forward_to"][0]
    other.refresh_from_db()
    acme_number.refresh_from_db()
    assert (acme_number.forward_to, other.forward_to) == ("", "")
    assert not TrackingNumber.objects.for_client(acme).filter(number="+33184800042").exists()


def test_a_number_calls_are_put_through_to_cannot_become_a_tracking_number_too(
    acme, acme_admin, acme_number
):
    from calls.services import tracking_number_update

    tracking_number_update(tracking_number=acme_number, forward_to="+33184800099")
    created = _api(acme_admin).post(
        "/api/v1/tracking-numbers/", {"number": "+33184800099", "source": "Radio"}, format="json"
    )
    assert created.status_code == 400
    assert "ring back there" in created.json()["number"][0]
    assert not TrackingNumber.objects.for_client(acme).filter(number="+33184800099").exists()


def test_another_clients_tracking_number_stays_a_number_calls_may_be_put_through_to(
    acme_admin, acme_number, globex_number
):
    response = _api(acme_admin).patch(
        f"/api/v1/tracking-numbers/{acme_number.pk}/",
        {"forward_to": globex_number.number},
        format="json",
    )
    assert response.status_code == 200, response.json()


def test_the_ring_time_offers_and_checks_one_range(as_user, acme_admin, acme_number):
    url = f"/settings/tracking-numbers/{acme_number.pk}/edit/"
    page = as_user(acme_admin).get(url).content.decode()
    assert 'min="5"' in page and 'max="120"' in page and "5 to 120 seconds" in page
    for typed in ("-5", "0", "4"):
        response = as_user(acme_admin).post(url, {"source": "x", "ring_seconds": typed})
        assert response.context["form"].errors["ring_seconds"] == [
            "Ensure this value is greater than or equal to 5."
        ]


def test_a_blank_announcement_goes_back_to_the_default(acme_admin, acme_number):
    response = _api(acme_admin).patch(
        f"/api/v1/tracking-numbers/{acme_number.pk}/", {"announcement": ""}, format="json"
    )
    assert response.json()["announcement"] == "Cet appel est susceptible d'être enregistré."


@pytest.mark.parametrize("role", ["acme_manager", "acme_analyst"])
def test_other_roles_cannot_patch_a_number(request, role, acme_number):
    response = _api(request.getfixturevalue(role)).patch(
        f"/api/v1/tracking-numbers/{acme_number.pk}/", {"voicemail": False}, format="json"
    )
    assert response.status_code == 403


def test_an_api_key_cannot_patch_a_number(acme_api, acme_number):
    response = acme_api.patch(
        f"/api/v1/tracking-numbers/{acme_number.pk}/", {"voicemail": False}, format="json"
    )
    assert response.status_code == 403
    acme_number.refresh_from_db()
    assert acme_number.voicemail is True


def test_another_clients_number_is_404(globex_admin, acme_number):
    api = _api(globex_admin)
    url = f"/api/v1/tracking-numbers/{acme_number.pk}/"
    assert api.patch(url, {"voicemail": False}, format="json").status_code == 404
    assert api.get(url).status_code == 404
    assert api.patch("/api/v1/tracking-numbers/not-a-uuid/", {}, format="json").status_code == 404


def test_an_admin_edits_the_call_handling_in_settings(as_user, acme_admin, acme_number):
    browser = as_user(acme_admin)
    url = f"/settings/tracking-numbers/{acme_number.pk}/edit/"
    assert browser.get(url).status_code == 200
    response = browser.post(
        url,
        {
            "source": "Google Ads",
            "campaign": "Brand",
            "forward_to": "+33 1 98 76 54 32",
            "record_calls": "on",
            "announcement": "",
            "voicemail": "on",
            "ring_seconds": "15",
        },
    )
    assert response.status_code == 302
    number = TrackingNumber.objects.for_client(acme_admin.client).get(pk=acme_number.pk)
    assert (number.forward_to, number.record_calls, number.ring_seconds) == (
        "+33198765432",
        True,
        15,
    )
    assert "01 98 76 54 32" in browser.get("/settings/").content.decode()  # Acme is in FR


def test_the_settings_edit_page_refuses_bad_input_and_other_roles_and_clients(
    as_user, acme_admin, acme_manager, globex_admin, acme_number
):
    url = f"/settings/tracking-numbers/{acme_number.pk}/edit/"
    bad = as_user(acme_admin).post(url, {"source": "x", "forward_to": "nope", "ring_seconds": "1"})
    assert bad.status_code == 400
    assert {"forward_to", "ring_seconds"} <= set(bad.context["form"].errors)
    assert as_user(acme_manager).get(url).status_code == 403
    assert as_user(globex_admin).get(url).status_code == 404


def test_the_call_page_shows_where_the_call_went_and_the_announcement(
    as_user, acme_analyst, acme, acme_number
):
    call = CallFactory(client=acme, tracking_number=acme_number, external_id="CA" + "1" * 32)
    leg = ProviderCall.objects.create(
        client=acme,
        provider_call_id=call.external_id,
        tracking_number=acme_number,
        forwarded_to="+33198765432",
        announced=True,
    )
    page = as_user(acme_analyst).get(f"/calls/{call.pk}/").content.decode()
    assert "01 98 76 54 32" in page and "heard by the caller" in page  # Acme is in FR
    assert "recording unavailable" not in page
    ProviderRecording.objects.create(
        client=acme,
        provider_call=leg,
        provider_recording_id="RE" + "2" * 32,
        kind="recording",
        state=RecordingState.UNAVAILABLE,
    )
    assert (
        "recording unavailable" in as_user(acme_analyst).get(f"/calls/{call.pk}/").content.decode()
    )
    # A call that did not come through the provider shows none of it.
    plain = CallFactory(client=acme, tracking_number=acme_number)
    assert "Put through to" not in as_user(acme_analyst).get(f"/calls/{plain.pk}/").content.decode()
    assert Call.objects.for_client(acme).count() == 2
