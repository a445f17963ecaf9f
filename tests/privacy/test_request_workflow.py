"""The DPO's workflow in the admin (issue 14): every kind of request, from received to its end,
worked by a DPO (the DPO group, TOTP confirmed)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from accounts.services import staff_create
from calls.models import Contact
from calls.services import media_store
from privacy.audit import AuditAction, AuditEvent, identifier_hash
from privacy.models import (
    DataSubjectRequest,
    RequestKind,
    RequestScope,
    RequestStatus,
    SubjectType,
)
from privacy.services import RequestStateError, request_deadline_extend, request_execute
from tests.factories import PASSWORD, CallFactory, ContactFactory, DataSubjectRequestFactory

PHONE = "+33612345678"
CHANGELIST = reverse("admin:privacy_datasubjectrequest_changelist")


@pytest.fixture
def dpo(db):
    return staff_create(email="dpo@dexem.example", group="DPO", password=PASSWORD)


@pytest.fixture
def desk(as_verified_staff, dpo):
    return as_verified_staff(dpo)


@pytest.fixture
def caller(acme, acme_number):
    """The number called Acme twice; one call has a recording and a voice message."""
    contact = ContactFactory(client=acme, phone_number=PHONE)
    call = CallFactory(client=acme, tracking_number=acme_number, contact=contact)
    media_store(call=call, kind="recording", content_type="audio/wav", chunks=[b"voice"])
    media_store(call=call, kind="voicemail", content_type="audio/wav", chunks=[b"message"])
    CallFactory(client=acme, tracking_number=acme_number, contact=contact)
    return contact


def _act(desk, action: str, subject_request: DataSubjectRequest, **data):
    return desk.post(
        CHANGELIST, {"action": action, "_selected_action": [subject_request.pk], **data}
    )


def _events(action: AuditAction) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def test_an_erasure_goes_from_received_to_done_and_reads_in_words(desk, acme, caller):
    subject_request = DataSubjectRequestFactory(client=acme, subject=PHONE)
    page = _act(desk, "execute_requests", subject_request)
    assert page.status_code == 200 and "Execute 1 erasure request?" in page.content.decode()
    assert _act(desk, "execute_requests", subject_request, confirmed="yes").status_code == 302
    subject_request.refresh_from_db()
    assert subject_request.status == RequestStatus.DONE and subject_request.subject == ""
    shown = desk.get(
        reverse("admin:privacy_datasubjectrequest_change", args=[subject_request.pk])
    ).content.decode()
    assert (
        "Acme: 2 calls anonymised, 1 recording and 1 voice message shredded, Contact deleted"
        in shown
    )
    assert "per_client" not in shown and "{&quot;" not in shown  # no raw JSON


def test_an_objection_is_an_erasure_in_the_client_it_concerns_only(
    desk, acme, globex, caller, globex_number
):
    ContactFactory(client=globex, phone_number=PHONE)
    subject_request = DataSubjectRequestFactory(
        kind=RequestKind.OBJECTION, client=acme, subject=PHONE, scope=RequestScope.ALL_CLIENTS
    )
    _act(desk, "execute_requests", subject_request, confirmed="yes")
    subject_request.refresh_from_db()
    assert subject_request.status == RequestStatus.DONE
    assert list(Contact.objects.across_clients().values_list("client__slug", flat=True)) == [
        "globex"
    ]


def test_an_access_request_is_done_once_the_dpo_downloaded_its_bundle(desk, acme, caller):
    subject_request = DataSubjectRequestFactory(kind=RequestKind.ACCESS, client=acme, subject=PHONE)
    response = _act(desk, "download_access_bundle", subject_request)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert "acme/calls.csv" in names and len(names) == 3
    subject_request.refresh_from_db()
    assert subject_request.status == RequestStatus.DONE and subject_request.subject == ""
    assert subject_request.subject_hash == identifier_hash(PHONE)
    (event,) = _events(AuditAction.CONTACT_EXPORTED)
    assert event.object_id == subject_request.pk and PHONE not in str(event.metadata)
    assert Contact.objects.across_clients().filter(pk=caller.pk).exists()  # access changes no data
    # Done means done: a second download finds no open access request.
    again = desk.post(
        CHANGELIST,
        {"action": "download_access_bundle", "_selected_action": [subject_request.pk]},
        follow=True,
    )
    assert "Select exactly one open access request" in again.content.decode()


def test_a_rectification_is_done_with_a_note_of_the_fields_changed(desk, acme):
    subject_request = DataSubjectRequestFactory(
        kind=RequestKind.RECTIFICATION,
        client=acme,
        subject_type=SubjectType.USER,
        subject="charlie@acme.example",
    )
    page = _act(desk, "complete_rectification", subject_request)
    assert page.status_code == 200 and "Record the rectification" in page.content.decode()
    missing = _act(desk, "complete_rectification", subject_request, confirmed="yes", note="")
    assert missing.status_code == 200  # the note is required
    note = "Acme: User last_name and phone_numbers changed in the admin"
    _act(desk, "complete_rectification", subject_request, confirmed="yes", note=note)
    subject_request.refresh_from_db()
    assert subject_request.status == RequestStatus.DONE
    assert subject_request.completion_note == note and subject_request.subject == ""
    (event,) = _events(AuditAction.REQUEST_COMPLETED)
    assert event.metadata == {"kind": "rectification"}


def test_a_restriction_holds_the_contact_until_it_is_lifted(desk, acme, acme_manager, caller):
    subject_request = DataSubjectRequestFactory(
        kind=RequestKind.RESTRICTION,
        client=acme,
        subject=PHONE,
        received_on=timezone.localdate() - dt.timedelta(days=40),
        due_on=timezone.localdate() - dt.timedelta(days=9),
    )
    assert subject_request.is_overdue
    _act(desk, "apply_restriction", subject_request)
    subject_request.refresh_from_db()
    caller.refresh_from_db()
    assert caller.restricted_at is not None
    assert subject_request.status == RequestStatus.IN_PROGRESS and not subject_request.is_overdue
    recording = caller.calls.get(has_recording=True)
    player = Browser()  # the DPO's desk keeps its own session
    player.force_login(acme_manager)
    assert player.get(f"/api/v1/calls/{recording.pk}/recording/").status_code == 451
    assert len(_events(AuditAction.CONTACT_RESTRICTED)) == 1

    _act(desk, "lift_restriction", subject_request)
    subject_request.refresh_from_db()
    caller.refresh_from_db()
    assert caller.restricted_at is None and subject_request.status == RequestStatus.DONE
    assert player.get(f"/api/v1/calls/{recording.pk}/recording/").status_code == 200
    assert len(_events(AuditAction.CONTACT_RESTRICTION_LIFTED)) == 1


def test_a_deadline_is_extended_once_by_two_months_with_a_reason(desk, acme):
    received = dt.date(2026, 1, 31)
    subject_request = DataSubjectRequestFactory(
        client=acme, subject=PHONE, received_on=received, due_on=dt.date(2026, 2, 28)
    )
    page = _act(desk, "extend_deadline", subject_request)
    assert "Extend the deadline by two months?" in page.content.decode()
    _act(desk, "extend_deadline", subject_request, confirmed="yes", reason="Eleven accounts")
    subject_request.refresh_from_db()
    assert subject_request.due_on == dt.date(2026, 4, 30)
    assert subject_request.extension_reason == "Eleven accounts"
    with pytest.raises(RequestStateError):
        request_deadline_extend(subject_request=subject_request, reason="again", actor=None)
    assert len(_events(AuditAction.REQUEST_EXTENDED)) == 1


def test_a_rejection_closes_any_kind_with_its_reason(desk, acme):
    subject_request = DataSubjectRequestFactory(kind=RequestKind.ACCESS, client=acme)
    _act(desk, "reject_requests", subject_request, confirmed="yes", reason="Not Acme's caller")
    subject_request.refresh_from_db()
    assert subject_request.status == RequestStatus.REJECTED and subject_request.subject == ""
    assert len(_events(AuditAction.REQUEST_REJECTED)) == 1


# --- The subject ---------------------------------------------------------------------------------


def _add(desk, acme, **overrides):
    data = {
        "kind": "erasure",
        "subject_type": "contact",
        "subject": "",
        "scope": "one_client",
        "client": acme.pk,
        "source": "client",
        "received_on": timezone.localdate().isoformat(),
        "notes": "",
        **overrides,
    }
    return desk.post(reverse("admin:privacy_datasubjectrequest_add"), data)


def test_a_request_without_a_subject_is_refused(desk, acme):
    response = _add(desk, acme)
    assert response.status_code == 200
    assert "A request needs its subject" in response.content.decode()
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.parametrize(
    ("subject_type", "typed", "stored"),
    [
        ("contact", "+33 6 12 34 56 78", PHONE),
        ("contact", "+33.6.12.34.56.78", PHONE),
        ("user", "Charlie@Acme.Example", "charlie@acme.example"),
    ],
)
def test_a_subject_is_a_valid_number_or_email_stored_normalised(
    desk, acme, subject_type, typed, stored
):
    assert _add(desk, acme, subject_type=subject_type, subject=typed).status_code == 302
    filed = DataSubjectRequest.objects.get()
    assert filed.subject == stored and filed.reference.startswith("R-")
    assert filed.due_on > filed.received_on
    (event,) = _events(AuditAction.REQUEST_FILED)
    assert stored not in str(event.metadata)


@pytest.mark.parametrize(
    ("subject_type", "typed"), [("contact", "++33612345678"), ("user", "not-an-email")]
)
def test_a_malformed_subject_is_a_form_error(desk, acme, subject_type, typed):
    assert _add(desk, acme, subject_type=subject_type, subject=typed).status_code == 200
    assert not DataSubjectRequest.objects.exists()


def test_a_request_with_an_empty_subject_is_never_executed_to_done(acme):
    subject_request = DataSubjectRequestFactory(client=acme, subject="")
    with pytest.raises(RequestStateError):
        request_execute(subject_request=subject_request, actor=None)
    subject_request.refresh_from_db()
    assert subject_request.status == RequestStatus.RECEIVED


# --- Closed requests -----------------------------------------------------------------------------


def test_a_done_request_is_read_only(desk, acme, caller):
    subject_request = DataSubjectRequestFactory(client=acme, subject=PHONE)
    request_execute(subject_request=subject_request, actor=None)
    url = reverse("admin:privacy_datasubjectrequest_change", args=[subject_request.pk])
    page = desk.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="kind"' not in body and 'name="received_on"' not in body
    assert 'name="_save"' not in body
    tampered = _add(desk, acme, kind="access", subject=PHONE)  # the add form is another URL
    assert tampered.status_code == 302
    refused = desk.post(url, {"kind": "access", "scope": "all_clients", "subject": PHONE})
    assert refused.status_code == 403
    subject_request.refresh_from_db()
    assert subject_request.kind == RequestKind.ERASURE and subject_request.subject == ""


def test_the_changelist_shows_the_reference_and_hides_a_closed_requests_subject(desk, acme):
    open_one = DataSubjectRequestFactory(client=acme, subject="+33611111111")
    closed = DataSubjectRequestFactory(client=acme, subject="+33622222222")
    from privacy.services import request_reject

    request_reject(subject_request=closed, reason="duplicate", actor=None)
    body = desk.get(CHANGELIST).content.decode()
    assert open_one.reference in body and closed.reference in body
    assert "+33611111111" in body and "+33622222222" not in body
    for column in ("column-reference", "column-status", "column-overdue", "column-due_on"):
        assert column in body
