"""Phone numbers in the privacy forms (SPEC §14): the privacy centre reads them for the Client's
country, the public form and the DPO's requests without a Client for PHONE_DEFAULT_REGION."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import staff_create
from privacy.models import DataSubjectRequest
from privacy.sms import MemorySmsBackend
from tests.factories import PASSWORD, ClientFactory, UserFactory

STORED = "+33612345678"
TYPED = ["06 12 34 56 78", "06.12.34.56.78", "06-12-34-56-78", "+33 6 12 34 56 78"]
REFUSED = ["++33612345678", "06 12", "06 12 34 AB CD"]


@pytest.fixture(autouse=True)
def outbox():
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox.clear()


@pytest.fixture
def desk(as_verified_staff, db):
    return as_verified_staff(
        staff_create(email="dpo@dexem.example", group="DPO", password=PASSWORD)
    )


# --- The privacy centre --------------------------------------------------------------------------


@pytest.mark.parametrize("typed", TYPED)
def test_an_admin_files_an_erasure_for_a_number_typed_nationally(as_user, acme_admin, typed):
    response = as_user(acme_admin).post("/privacy/", {"phone": typed})
    assert response.status_code == 302
    assert DataSubjectRequest.objects.get().subject == STORED


@pytest.mark.parametrize("typed", REFUSED)
def test_the_privacy_centre_refuses_a_malformed_number_naming_the_field(as_user, acme_admin, typed):
    response = as_user(acme_admin).post("/privacy/", {"phone": typed})
    assert response.status_code == 400
    (message,) = response.context["form"].errors["phone"]
    assert message.startswith("Caller's phone number:")
    assert not DataSubjectRequest.objects.exists()


def test_a_belgian_clients_admin_types_a_belgian_number_nationally(db, as_user):
    admin = UserFactory(client=ClientFactory(country="BE"), role="admin")
    assert as_user(admin).post("/privacy/", {"phone": "0470 12 34 56"}).status_code == 302
    assert DataSubjectRequest.objects.get().subject == "+32470123456"


# --- The public request form ---------------------------------------------------------------------


@pytest.mark.parametrize("typed", [*TYPED, "0033 6 12 34 56 78"])
def test_the_public_form_reads_french_national_numbers_by_default(client, db, outbox, typed):
    response = client.post("/privacy/request/", {"phone": typed, "kind": "erasure"})
    assert response.status_code == 302
    assert outbox[-1][0] == STORED


def test_the_public_form_follows_the_platforms_default_region(client, db, outbox, settings):
    settings.PHONE_DEFAULT_REGION = "BE"
    response = client.post("/privacy/request/", {"phone": "0470 12 34 56", "kind": "erasure"})
    assert response.status_code == 302 and outbox[-1][0] == "+32470123456"


@pytest.mark.parametrize("typed", REFUSED)
def test_the_public_form_refuses_a_malformed_number_naming_the_field(client, db, outbox, typed):
    response = client.post("/privacy/request/", {"phone": typed, "kind": "erasure"})
    assert response.status_code == 400 and not outbox
    (message,) = response.context["form"].errors["phone"]
    assert message.startswith("Your phone number:")


# --- The DPO's requests --------------------------------------------------------------------------


def _add(desk, client=None, **overrides):
    data = {
        "kind": "erasure",
        "subject_type": "contact",
        "scope": "one_client" if client else "all_clients",
        "client": client.pk if client else "",
        "source": "client",
        "received_on": timezone.localdate().isoformat(),
        "notes": "",
        **overrides,
    }
    return desk.post(reverse("admin:privacy_datasubjectrequest_add"), data)


@pytest.mark.parametrize("typed", TYPED)
def test_the_dpo_types_a_subject_nationally_for_the_clients_country(desk, acme, typed):
    assert _add(desk, acme, subject=typed).status_code == 302
    assert DataSubjectRequest.objects.get().subject == STORED


def test_the_dpo_types_a_belgian_clients_subject_in_belgian_format(desk):
    belgian = ClientFactory(country="BE")
    assert _add(desk, belgian, subject="0470 12 34 56").status_code == 302
    assert DataSubjectRequest.objects.get().subject == "+32470123456"


def test_without_a_client_the_dpo_types_french_or_international_numbers(desk):
    assert _add(desk, subject="06 12 34 56 78").status_code == 302
    assert _add(desk, subject="+32 470 12 34 56", kind="access").status_code == 302
    assert set(DataSubjectRequest.objects.values_list("subject", flat=True)) == {
        STORED,
        "+32470123456",
    }


@pytest.mark.parametrize("typed", REFUSED)
def test_the_dpo_form_refuses_a_malformed_subject_naming_the_field(desk, acme, typed):
    response = _add(desk, acme, subject=typed)
    assert response.status_code == 200
    (message,) = response.context["adminform"].form.errors["subject"]
    assert message.startswith("Subject:")
    assert not DataSubjectRequest.objects.exists()
