"""The client admin's audit page and its CSV export (issue 14)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from accounts.services import api_key_create, user_delete
from privacy.audit import AuditAction, AuditEvent, audit_record
from tests.factories import StaffFactory, UserFactory

URL = "/privacy/audit/"
CSV_URL = "/privacy/audit.csv"


def _who(response) -> list[str]:
    return [who for _, who in response.context["rows"]]


def _csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_who_column_names_an_existing_user_a_deleted_one_and_staff(as_user, acme, acme_admin):
    gone = UserFactory(client=acme, first_name="Gone", last_name="Person", role="admin")
    audit_record(action=AuditAction.CALLS_EXPORTED, actor=gone, client_id=acme.pk)
    user_delete(user=gone)
    audit_record(action=AuditAction.REQUEST_EXECUTED, actor=StaffFactory(), client_id=acme.pk)
    audit_record(action=AuditAction.RECORDING_PLAYED, actor=acme_admin, client_id=acme.pk)
    page = as_user(acme_admin).get(URL)
    assert page.status_code == 200
    # Newest first: Alice's play, the DPO's erasure, the deletion (by the system here), the export.
    assert _who(page) == ["Alice Admin", "Dexem staff (DPO)", "Dexem (automatic)", "a deleted User"]
    body = page.content.decode()
    assert "Alice Admin" in body and "a deleted User" in body and "Dexem staff (DPO)" in body
    assert "Gone" not in body  # never stored, so never shown


def test_a_user_of_another_client_is_a_deleted_user_here(as_user, acme, acme_admin, globex_admin):
    # An event of Acme whose actor is not Acme's (say, a User moved by staff): no name leaks.
    audit_record(action=AuditAction.CALLS_EXPORTED, actor=globex_admin, client_id=acme.pk)
    assert _who(as_user(acme_admin).get(URL)) == ["a deleted User"]


def test_an_api_key_is_named(as_user, acme, acme_admin):
    api_key, _ = api_key_create(client=acme, name="Twilio prod")
    principal = type("Principal", (), {"api_key": api_key})()
    audit_record(action=AuditAction.MEDIA_UPLOADED, actor=principal, client_id=acme.pk)
    assert _who(as_user(acme_admin).get(URL))[0] == "API key “Twilio prod”"


def test_filters_by_action_dates_and_actor(as_user, acme, acme_admin, acme_manager):
    audit_record(action=AuditAction.CALLS_EXPORTED, actor=acme_manager, client_id=acme.pk)
    audit_record(action=AuditAction.RECORDING_PLAYED, actor=acme_manager, client_id=acme.pk)
    audit_record(action=AuditAction.RECORDING_PLAYED, actor=acme_admin, client_id=acme.pk)
    browser = as_user(acme_admin)
    played = browser.get(URL, {"action": "recording.played"})
    assert [event.action for event, _ in played.context["rows"]] == ["recording.played"] * 2
    by_bob = browser.get(URL, {"actor": str(acme_manager.pk)})
    assert _who(by_bob) == ["Bob Manager", "Bob Manager"]
    both = browser.get(URL, {"action": "recording.played", "actor": str(acme_manager.pk)})
    assert len(both.context["rows"]) == 1
    today = dt.date.today()
    tomorrow = (today + dt.timedelta(days=2)).isoformat()
    assert len(browser.get(URL, {"since": tomorrow}).context["rows"]) == 0
    assert len(browser.get(URL, {"until": tomorrow}).context["rows"]) == 3


def test_bad_filters_are_a_form_error_not_a_500(as_user, acme_admin, globex_admin):
    browser = as_user(acme_admin)
    assert browser.get(URL, {"since": "yesterday"}).status_code == 400
    assert browser.get(URL, {"since": "2026-05-02", "until": "2026-05-01"}).status_code == 400
    # Another Client's User is no choice here: no filtering on (nor naming of) outsiders.
    assert browser.get(URL, {"actor": str(globex_admin.pk)}).status_code == 400
    assert browser.get(CSV_URL, {"actor": str(globex_admin.pk)}).status_code == 400


def test_the_page_is_paginated(as_user, acme, acme_admin):
    for _ in range(51):
        audit_record(action=AuditAction.CALLS_EXPORTED, actor=acme_admin, client_id=acme.pk)
    browser = as_user(acme_admin)
    first = browser.get(URL, {"action": "calls.exported"})
    assert len(first.context["rows"]) == 50 and first.context["page"].has_next()
    assert "action=calls.exported&amp;page=2" in first.content.decode()
    second = browser.get(URL, {"action": "calls.exported", "page": 2})
    assert len(second.context["rows"]) == 1


def test_a_client_admin_sees_only_its_own_events(as_user, acme, globex, acme_admin, globex_admin):
    audit_record(action=AuditAction.CALLS_EXPORTED, actor=globex_admin, client_id=globex.pk)
    audit_record(action=AuditAction.KEYS_ROTATED, actor=None)  # platform-wide: no Client
    audit_record(action=AuditAction.RECORDING_PLAYED, actor=acme_admin, client_id=acme.pk)
    browser = as_user(acme_admin)
    assert [event.action for event, _ in browser.get(URL).context["rows"]] == ["recording.played"]
    rows = _csv(browser.get(CSV_URL))
    # The export is recorded as it starts, so it lists itself too.
    assert [row["action"] for row in rows] == ["audit.exported", "recording.played"]


def test_the_csv_export_has_the_pages_events_and_is_audited(as_user, acme, acme_admin):
    audit_record(action=AuditAction.RECORDING_PLAYED, actor=acme_admin, client_id=acme.pk)
    audit_record(action=AuditAction.CALLS_EXPORTED, actor=None, client_id=acme.pk)
    response = as_user(acme_admin).get(CSV_URL, {"action": "recording.played"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    (row,) = _csv(response)
    assert row["who"] == "Alice Admin" and row["description"] == "Recording played"
    assert dt.datetime.fromisoformat(row["occurred_at"]).utcoffset() is not None
    exported = AuditEvent.objects.get(action=AuditAction.AUDIT_EXPORTED)
    assert exported.client_id == acme.pk and exported.metadata["rows"] == 1
    assert exported.metadata["filters"] == {"action": "recording.played"}


def test_a_name_that_looks_like_a_formula_is_neutralised_in_the_csv(as_user, acme, acme_admin):
    mallory = UserFactory(client=acme, first_name="=HYPERLINK(1)", last_name="x")
    audit_record(action=AuditAction.CALLS_EXPORTED, actor=mallory, client_id=acme.pk)
    (row,) = _csv(as_user(acme_admin).get(CSV_URL, {"action": "calls.exported"}))
    assert row["who"].startswith("'=")


@pytest.mark.parametrize("role_fixture", ["acme_manager", "acme_analyst"])
@pytest.mark.parametrize("url", [URL, CSV_URL])
def test_other_roles_get_403(request, as_user, role_fixture, url):
    assert as_user(request.getfixturevalue(role_fixture)).get(url).status_code == 403


@pytest.mark.parametrize("url", [URL, CSV_URL])
def test_staff_and_anonymous_visitors_are_kept_out(client, as_user, url, db):
    assert client.get(url).status_code == 302  # to the login page
    assert as_user(StaffFactory()).get(url).status_code == 403  # the DPO reads it in the admin
