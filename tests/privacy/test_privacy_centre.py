from __future__ import annotations

import pytest
from django.urls import reverse

from privacy.audit import AuditAction, audit_record
from privacy.models import DataSubjectRequest, RequestSource, RequestStatus

URL = "/privacy/"


@pytest.mark.parametrize("role_fixture", ["acme_admin", "acme_manager", "acme_analyst"])
def test_every_role_reads_the_periods_and_the_dpo_contact(request, as_user, role_fixture, settings):
    settings.DPO_EMAIL = "dpo@dexem.example"
    page = as_user(request.getfixturevalue(role_fixture)).get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Calls: 24 months" in body and "Recordings and voice messages: 6 months" in body
    assert "dpo@dexem.example" in body


def test_the_periods_shown_are_the_clients_own(as_user, acme, acme_admin):
    acme.call_retention_months = 12
    acme.save()
    assert "Calls: 12 months" in as_user(acme_admin).get(URL).content.decode()


def test_an_admin_asks_for_a_contacts_erasure_which_reaches_the_dpo(as_user, acme, acme_admin):
    response = as_user(acme_admin).post(
        URL, {"phone": "+33 6 12 34 56 78", "notes": "asked by phone"}
    )
    assert response.status_code == 302
    request = DataSubjectRequest.objects.get()
    assert (request.client, request.subject, request.source, request.status) == (
        acme,
        "+33612345678",
        RequestSource.CLIENT,
        RequestStatus.RECEIVED,
    )
    page = as_user(acme_admin).get(URL).content.decode()
    assert "Erasure" in page and "Received" in page


def test_a_bad_number_or_a_duplicate_request_is_a_form_error(as_user, acme_admin):
    browser = as_user(acme_admin)
    assert browser.post(URL, {"phone": "12"}).status_code == 400
    browser.post(URL, {"phone": "+33612345678"})
    duplicate = browser.post(URL, {"phone": "+33612345678"})
    assert duplicate.status_code == 400 and "already open" in duplicate.content.decode()
    assert DataSubjectRequest.objects.count() == 1


@pytest.mark.parametrize("role_fixture", ["acme_manager", "acme_analyst"])
def test_other_roles_see_no_form_and_cannot_post(request, as_user, role_fixture):
    browser = as_user(request.getfixturevalue(role_fixture))
    assert 'name="phone"' not in browser.get(URL).content.decode()
    assert browser.post(URL, {"phone": "+33612345678"}).status_code == 403
    assert not DataSubjectRequest.objects.exists()


def test_a_client_sees_only_its_own_requests_and_audit_events(
    as_user, acme, globex, acme_admin, globex_admin
):
    DataSubjectRequest.objects.create(
        client=globex, subject="+33611111111", source=RequestSource.CLIENT, notes="globex-only"
    )
    audit_record(action=AuditAction.CALLS_EXPORTED, actor=globex_admin, client_id=globex.pk)
    audit_record(action=AuditAction.RECORDING_PLAYED, actor=acme_admin, client_id=acme.pk)
    page = as_user(acme_admin).get(URL)
    assert list(page.context["requests"]) == []
    assert [event.action for event, _ in page.context["events"]] == [AuditAction.RECORDING_PLAYED]


def test_the_privacy_centre_needs_a_login(client):
    assert client.get(URL).status_code == 302


def test_the_dpo_executes_a_request_after_a_confirmation_page(as_verified_staff, acme, acme_number):
    from tests.factories import CallFactory, ContactFactory, StaffFactory

    CallFactory(
        client=acme,
        tracking_number=acme_number,
        contact=ContactFactory(client=acme, phone_number="+33612345678"),
    )
    request = DataSubjectRequest.objects.create(
        client=acme, subject="+33612345678", source=RequestSource.CLIENT
    )
    client = as_verified_staff(StaffFactory(is_superuser=True))
    changelist = reverse("admin:privacy_datasubjectrequest_changelist")
    confirm = client.post(
        changelist, {"action": "execute_requests", "_selected_action": [request.pk]}
    )
    assert confirm.status_code == 200 and "Execute 1 erasure request?" in confirm.content.decode()
    assert "1 calls" in confirm.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.RECEIVED
    done = client.post(
        changelist,
        {"action": "execute_requests", "_selected_action": [request.pk], "confirmed": "yes"},
    )
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.DONE and request.subject == ""


def test_the_dpo_rejects_a_request_with_a_reason(as_verified_staff, acme):
    from tests.factories import StaffFactory

    request = DataSubjectRequest.objects.create(
        client=acme, subject="+33612345678", source=RequestSource.CLIENT
    )
    client = as_verified_staff(StaffFactory(is_superuser=True))
    changelist = reverse("admin:privacy_datasubjectrequest_changelist")
    client.post(
        changelist,
        {
            "action": "reject_requests",
            "_selected_action": [request.pk],
            "confirmed": "yes",
            "reason": "Not our customer's caller",
        },
    )
    request.refresh_from_db()
    assert (
        request.status == RequestStatus.REJECTED
        and request.rejection_reason == "Not our customer's caller"
    )


def test_the_audit_log_cannot_be_changed_or_deleted(acme_admin, acme):
    event = audit_record(action=AuditAction.RECORDING_PLAYED, actor=acme_admin, client_id=acme.pk)
    from privacy.audit import AuditEvent

    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(action="x")


def test_the_dpo_downloads_an_access_bundle_across_accounts(
    as_verified_staff, acme, globex, acme_number, globex_number
):
    import io
    import zipfile

    from calls.services import media_store
    from privacy.audit import AuditEvent
    from privacy.models import RequestKind, RequestScope
    from tests.factories import CallFactory, ContactFactory, StaffFactory

    for client, number in ((acme, acme_number), (globex, globex_number)):
        call = CallFactory(
            client=client,
            tracking_number=number,
            contact=ContactFactory(client=client, phone_number="+33612345678"),
        )
    media_store(call=call, kind="recording", content_type="audio/wav", chunks=[b"voice"])
    request = DataSubjectRequest.objects.create(
        kind=RequestKind.ACCESS,
        subject="+33612345678",
        scope=RequestScope.ALL_CLIENTS,
        source=RequestSource.CONTACT,
        verified=True,
    )
    client = as_verified_staff(StaffFactory(is_superuser=True))
    response = client.post(
        reverse("admin:privacy_datasubjectrequest_changelist"),
        {"action": "download_access_bundle", "_selected_action": [request.pk]},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == sorted(
        ["acme/calls.csv", "globex/calls.csv", f"globex/recordings/{call.pk}.wav"]
    )
    assert AuditEvent.objects.filter(action="contact.exported").count() == 1


def test_rectification_in_the_admin_is_audited_without_the_values(
    as_verified_staff, acme, acme_analyst
):
    from privacy.audit import AuditEvent
    from tests.factories import StaffFactory

    client = as_verified_staff(StaffFactory(is_superuser=True))
    url = reverse("admin:accounts_user_change", args=[acme_analyst.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "first_name": "Charlotte",
            "phone_numbers": "",  # one number a line; none here
            "groups": [],
            "client": acme.pk,
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        }
    )
    data.pop("profile_picture", None)
    data.pop("password", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="record.rectified")
    assert "First name" in event.metadata["fields"]
    assert "Charlotte" not in str(event.metadata)
