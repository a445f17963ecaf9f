from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from accounts.models import ApiKey
from calls.models import TrackingNumber
from tests.factories import ApiKeyFactory, CallFactory, TrackingNumberFactory

ROLES = ["acme_admin", "acme_manager", "acme_analyst"]


@pytest.mark.parametrize("role_fixture", ROLES)
def test_every_role_sees_the_dashboard_with_this_clients_totals(
    request, as_user, acme, acme_number, globex, role_fixture
):
    CallFactory.create_batch(3, client=acme, tracking_number=acme_number)
    CallFactory.create_batch(5, client=globex)
    response = as_user(request.getfixturevalue(role_fixture)).get("/")
    assert response.status_code == 200
    assert response.context["summary"]["totals"]["calls"] == 3
    assert 'id="calls-chart-data"' in response.content.decode()


@pytest.mark.parametrize("period, days", [("7", 7), ("30", 30), ("90", 90), ("365", 365)])
def test_the_dashboard_period_selector(as_user, acme_admin, period, days):
    response = as_user(acme_admin).get("/", {"period": period})
    assert len(response.context["summary"]["per_day"]) == days


def test_a_custom_period_and_a_bad_one(as_user, acme_admin):
    browser = as_user(acme_admin)
    response = browser.get(
        "/", {"period": "custom", "first_day": "2026-01-01", "last_day": "2026-01-31"}
    )
    assert len(response.context["summary"]["per_day"]) == 31
    response = browser.get(
        "/", {"period": "custom", "first_day": "2026-02-01", "last_day": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "must end on or after" in response.content.decode()


def test_the_dashboard_needs_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("role_fixture", ROLES)
def test_every_role_sees_the_call_list_and_detail(
    request, as_user, acme, acme_number, role_fixture
):
    call = CallFactory(client=acme, tracking_number=acme_number)
    browser = as_user(request.getfixturevalue(role_fixture))
    assert browser.get(reverse("call-list")).status_code == 200
    detail = browser.get(reverse("call-detail", args=[call.pk]))
    assert detail.status_code == 200 and call.external_id in detail.content.decode()


def test_the_call_list_filters_and_keeps_them_in_pagination(as_user, acme_admin, acme, acme_number):
    CallFactory.create_batch(55, client=acme, tracking_number=acme_number, status="missed")
    CallFactory.create_batch(2, client=acme, tracking_number=acme_number, status="answered")
    browser = as_user(acme_admin)
    response = browser.get(reverse("call-list"), {"status": "missed"})
    assert str(response.context["count"]) == "55 calls"
    assert response.context["next_query"].startswith("status=missed&cursor=")


def test_the_call_list_sorts_by_duration(as_user, acme_admin, acme, acme_number):
    short = CallFactory(client=acme, tracking_number=acme_number, duration_seconds=5)
    long = CallFactory(client=acme, tracking_number=acme_number, duration_seconds=500)
    response = as_user(acme_admin).get(reverse("call-list"), {"sort": "longest"})
    assert [row.id for row in response.context["page"]] == [long.pk, short.pk]


def test_a_bad_filter_on_the_call_list_says_what_is_wrong(as_user, acme_admin):
    response = as_user(acme_admin).get(reverse("call-list"), {"caller_number": "abc"})
    assert response.status_code == 400
    assert "caller_number" in response.content.decode()


def test_an_outsider_gets_404_for_acmes_call_page(as_user, globex_admin, acme, acme_number):
    call = CallFactory(client=acme, tracking_number=acme_number)
    browser = as_user(globex_admin)
    assert browser.get(reverse("call-detail", args=[call.pk])).status_code == 404
    assert browser.get(reverse("call-detail", args=[uuid.uuid4()])).status_code == 404
    assert call.external_id not in browser.get(reverse("call-list")).content.decode()


# --- /settings/ --------------------------------------------------------------------------------


@pytest.mark.parametrize("role_fixture", ["acme_manager", "acme_analyst"])
def test_settings_are_for_admins_only(request, as_user, acme_number, role_fixture):
    browser = as_user(request.getfixturevalue(role_fixture))
    key = ApiKeyFactory(client=acme_number.client, scopes=["read"])
    for url in (
        reverse("settings"),
        reverse("tracking-number-create"),
        reverse("tracking-number-toggle", args=[acme_number.pk]),
        reverse("api-key-create"),
        reverse("api-key-revoke", args=[key.pk]),
    ):
        assert browser.get(url).status_code == 403, url
        assert browser.post(url, {}).status_code == 403, url


def test_an_outsider_cannot_touch_acmes_numbers_or_keys(as_user, globex_admin, acme_number):
    key = ApiKeyFactory(client=acme_number.client, scopes=["read"])
    browser = as_user(globex_admin)
    assert browser.post(reverse("tracking-number-toggle", args=[acme_number.pk])).status_code == 404
    assert browser.post(reverse("api-key-revoke", args=[key.pk])).status_code == 404
    assert acme_number.number not in browser.get(reverse("settings")).content.decode()
    key.refresh_from_db()
    acme_number.refresh_from_db()
    assert key.is_active and acme_number.active


def test_an_admin_adds_a_tracking_number_and_deactivates_it(as_user, acme_admin):
    browser = as_user(acme_admin)
    response = browser.post(
        reverse("tracking-number-create"),
        {"number": "+33 1 84 80 00 07", "source": "Radio", "campaign": "Autumn"},
    )
    assert response.status_code == 302
    number = TrackingNumber.objects.across_clients().get(number="+33184800007")
    browser.post(reverse("tracking-number-toggle", args=[number.pk]))
    number.refresh_from_db()
    assert not number.active


def test_a_bad_or_duplicate_tracking_number_shows_the_error(as_user, acme_admin, acme_number):
    browser = as_user(acme_admin)
    bad = browser.post(reverse("tracking-number-create"), {"number": "12", "source": "Radio"})
    assert bad.status_code == 400 and "valid phone number" in bad.content.decode()
    duplicate = browser.post(
        reverse("tracking-number-create"), {"number": acme_number.number, "source": "Radio"}
    )
    assert (
        duplicate.status_code == 400
        and "already has this tracking number" in duplicate.content.decode()
    )


def test_a_number_of_another_client_may_be_registered_again(as_user, acme_admin, globex_number):
    response = as_user(acme_admin).post(
        reverse("tracking-number-create"), {"number": globex_number.number, "source": "Radio"}
    )
    assert response.status_code == 302


def test_an_admin_creates_a_key_shown_once_that_then_posts_calls(
    as_user, acme_admin, acme_number, client
):
    browser = as_user(acme_admin)
    created = browser.post(
        reverse("api-key-create"), {"name": "Provider", "scopes": ["ingest", "read"]}
    )
    # POST/redirect/GET: a refresh of the next page cannot make a second key.
    assert created.status_code == 302 and created["Location"] == reverse("settings")
    response = browser.get(created["Location"])
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    key = response.context["new_key"]
    body = response.content.decode()
    assert key.startswith("dxm_") and key in body
    assert 'data-copy="new-key-value"' in body  # the copy button
    assert key not in browser.get(reverse("settings")).content.decode()  # once only
    assert "settings_new_api_key" not in browser.session
    assert ApiKey.objects.across_clients().count() == 1
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    posted = api.post(
        "/api/v1/calls/",
        {
            "external_id": "1",
            "tracking_number": acme_number.number,
            "status": "answered",
            "started_at": "2026-11-02T10:00:00+01:00",
        },
        format="json",
    )
    assert posted.status_code == 201


def test_revoking_a_key_asks_first_then_refuses_it(as_user, acme_admin, acme_number):
    from accounts.services import api_key_create

    api_key, _full = api_key_create(client=acme_admin.client, name="Old")
    browser = as_user(acme_admin)
    confirm = browser.get(reverse("api-key-revoke", args=[api_key.pk]))
    assert confirm.status_code == 200 and "Revoke key" in confirm.content.decode()
    assert browser.post(reverse("api-key-revoke", args=[api_key.pk])).status_code == 302
    api_key.refresh_from_db()
    assert not api_key.is_active


def test_a_key_without_scopes_is_a_form_error(as_user, acme_admin):
    response = as_user(acme_admin).post(reverse("api-key-create"), {"name": "Nothing"})
    assert response.status_code == 400
    assert not ApiKey.objects.across_clients().exists()


def test_the_call_list_shows_tracking_number_choices_of_this_client_only(
    as_user, acme_admin, acme_number, globex_number
):
    TrackingNumberFactory(client=acme_admin.client, number="+33184800009")
    body = as_user(acme_admin).get(reverse("call-list")).content.decode()
    assert "+33184800009" in body and globex_number.number not in body


def test_two_keys_in_use_cannot_share_a_name_in_one_client(as_user, acme_admin, globex):
    from accounts.services import api_key_create

    api_key_create(client=acme_admin.client, name="Provider")
    api_key_create(client=globex, name="Twilio")  # another Client's name is free
    browser = as_user(acme_admin)
    response = browser.post(reverse("api-key-create"), {"name": "provider ", "scopes": ["read"]})
    assert response.status_code == 400
    assert response.context["key_form"].errors["name"] == [
        "Your account already has a key named “provider”: choose another name."
    ]
    assert (
        browser.post(reverse("api-key-create"), {"name": "Twilio", "scopes": ["read"]}).status_code
        == 302
    )


def test_a_revoked_keys_name_can_be_given_again(as_user, acme_admin):
    from accounts.services import api_key_create, api_key_revoke

    old, _full = api_key_create(client=acme_admin.client, name="Provider")
    api_key_revoke(api_key=old, actor=acme_admin)
    response = as_user(acme_admin).post(
        reverse("api-key-create"), {"name": "Provider", "scopes": ["read"]}
    )
    assert response.status_code == 302


def test_deactivating_a_number_asks_first_then_does_it_on_post(as_user, acme_admin, acme_number):
    browser = as_user(acme_admin)
    settings_page = browser.get(reverse("settings")).content.decode()
    toggle = reverse("tracking-number-toggle", args=[acme_number.pk])
    # The settings page links to the confirmation; a GET changes nothing.
    assert f'href="{toggle}"' in settings_page
    confirm = browser.get(toggle)
    assert confirm.status_code == 200 and "Deactivate 01 84 80 00 01?" in confirm.content.decode()
    acme_number.refresh_from_db()
    assert acme_number.active
    assert browser.post(toggle).status_code == 302
    acme_number.refresh_from_db()
    assert not acme_number.active
    again = browser.get(toggle).content.decode()
    assert "Reactivate 01 84 80 00 01?" in again


def test_a_numbers_source_and_campaign_are_edited_on_its_page(as_user, acme_admin, acme_number):
    browser = as_user(acme_admin)
    url = reverse("tracking-number-edit", args=[acme_number.pk])
    form = browser.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"source": "Bing Ads", "campaign": "Winter", "forward_to": ""})
    data["record_calls"] = "" if not data.get("record_calls") else "on"
    data["voicemail"] = "on" if data.get("voicemail") else ""
    response = browser.post(url, {k: v for k, v in data.items() if v != ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    acme_number.refresh_from_db()
    assert (acme_number.source, acme_number.campaign) == ("Bing Ads", "Winter")


def test_the_service_changes_a_numbers_source_and_campaign_and_audits_the_field_names(
    acme_admin, acme_number
):
    from calls.services import tracking_number_update
    from privacy.audit import AuditAction, AuditEvent

    tracking_number_update(
        tracking_number=acme_number, actor=acme_admin, source="  Bing Ads ", campaign="Hiver"
    )
    acme_number.refresh_from_db()
    assert (acme_number.source, acme_number.campaign) == ("Bing Ads", "Hiver")
    event = AuditEvent.objects.filter(action=AuditAction.TRACKING_NUMBER_CHANGED).get()
    assert event.metadata["fields"] == ["campaign", "source"]


def test_the_settings_page_names_api_key_scopes_in_words(as_user, acme, acme_admin):
    from accounts.services import api_key_create

    api_key_create(client=acme, name="Provider", scopes=["ingest", "read"])
    html = as_user(acme_admin).get("/settings/").content.decode()
    assert "<td>Ingest, Read</td>" in html


def test_the_call_page_names_the_other_party_by_the_calls_direction(
    as_user, acme, acme_analyst, acme_number
):
    from tests.factories import CallFactory

    inbound = CallFactory(client=acme, tracking_number=acme_number, direction="inbound")
    outbound = CallFactory(client=acme, tracking_number=acme_number, direction="outbound")
    inbound_page = as_user(acme_analyst).get(f"/calls/{inbound.pk}/").content.decode()
    outbound_page = as_user(acme_analyst).get(f"/calls/{outbound.pk}/").content.decode()
    assert "<th>Caller</th>" in inbound_page and "Called number" not in inbound_page
    assert "<th>Called number</th>" in outbound_page and "<th>Caller</th>" not in outbound_page
