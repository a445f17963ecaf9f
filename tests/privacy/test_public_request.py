from __future__ import annotations

import re

import pytest

from privacy.models import DataSubjectRequest, RequestKind, RequestScope, RequestSource
from privacy.sms import MemorySmsBackend

URL = "/privacy/request/"
VERIFY = "/privacy/request/verify/"


@pytest.fixture(autouse=True)
def outbox():
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox.clear()


def _code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1][1]).group(1)


def test_a_contact_asks_for_erasure_and_the_dpo_gets_a_verified_request(client, db, outbox):
    response = client.post(URL, {"phone": "+33 6 12 34 56 78", "kind": "erasure"})
    assert response.status_code == 302 and response.url == VERIFY
    assert outbox[-1][0] == "+33612345678"
    done = client.post(VERIFY, {"code": _code(outbox)})
    assert done.status_code == 200 and "Request received" in done.content.decode()
    request = DataSubjectRequest.objects.get()
    assert (request.kind, request.source, request.scope, request.verified, request.subject) == (
        RequestKind.ERASURE,
        RequestSource.CONTACT,
        RequestScope.ALL_CLIENTS,
        True,
        "+33612345678",
    )


def test_an_access_request_is_filed_too(client, db, outbox):
    client.post(URL, {"phone": "+33612345678", "kind": "access"})
    client.post(VERIFY, {"code": _code(outbox)})
    assert DataSubjectRequest.objects.get().kind == RequestKind.ACCESS


def test_the_answer_is_the_same_whether_or_not_a_client_holds_the_number(
    client, acme, acme_number, outbox
):
    from tests.factories import CallFactory, ContactFactory

    CallFactory(
        client=acme,
        tracking_number=acme_number,
        contact=ContactFactory(client=acme, phone_number="+33612345678"),
    )
    known = client.post(URL, {"phone": "+33612345678", "kind": "erasure"})
    unknown = client.post(
        URL, {"phone": "+33698765432", "kind": "erasure"}, REMOTE_ADDR="198.51.100.2"
    )
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert len(outbox) == 2  # a code goes out either way


def test_a_wrong_code_files_nothing_and_five_wrong_codes_lock_the_verification(client, db, outbox):
    client.post(URL, {"phone": "+33612345678", "kind": "erasure"})
    right = _code(outbox)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        assert client.post(VERIFY, {"code": wrong}).status_code == 400
    assert client.post(VERIFY, {"code": right}).status_code == 400
    assert not DataSubjectRequest.objects.exists()


def test_codes_are_rate_limited_per_number_and_per_address(client, db, outbox):
    for _ in range(3):
        assert client.post(URL, {"phone": "+33612345678", "kind": "erasure"}).status_code == 302
    assert client.post(URL, {"phone": "+33612345678", "kind": "erasure"}).status_code == 429
    for index in range(7):
        client.post(URL, {"phone": f"+3361234560{index}", "kind": "erasure"})
    assert client.post(URL, {"phone": "+33699999999", "kind": "erasure"}).status_code == 429
    assert (
        client.post(
            URL, {"phone": "+33699999999", "kind": "erasure"}, REMOTE_ADDR="203.0.113.50"
        ).status_code
        == 302
    )


def test_a_malformed_number_is_a_form_error(client, db, outbox):
    response = client.post(URL, {"phone": "call me", "kind": "erasure"})
    assert response.status_code == 400 and not outbox


def test_the_verify_step_needs_the_first_step(client, db):
    assert client.get(VERIFY).status_code == 302


def test_only_keyed_hashes_of_the_number_are_stored_before_the_request_exists(client, db, outbox):
    from privacy.models import ContactVerification

    client.post(URL, {"phone": "+33612345678", "kind": "erasure"})
    verification = ContactVerification.objects.get()
    assert "33612345678" not in str(verification.__dict__)
