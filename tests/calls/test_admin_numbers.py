"""Numbers typed in the admin are stored E.164, as every other way in stores them (SPEC §14)."""

from __future__ import annotations

import pytest
from django.test import Client as DjangoClient

from calls.models import Contact, TrackingNumber
from tests.factories import ContactFactory, StaffFactory, TrackingNumberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_browser(as_verified_staff) -> DjangoClient:
    return as_verified_staff(StaffFactory(email="root@dexem.example", is_superuser=True))


def test_a_contacts_number_rectified_in_the_admin_is_stored_e164(staff_browser, acme):
    contact = ContactFactory(client=acme, phone_number="+33612345678")

    response = staff_browser.post(
        f"/admin/calls/contact/{contact.pk}/change/", {"phone_number": "06 98 76 54 32"}
    )

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone_number == "+33698765432"


def test_a_number_that_is_no_number_is_refused_and_nothing_is_saved(staff_browser, acme):
    contact = ContactFactory(client=acme, phone_number="+33612345678")

    response = staff_browser.post(
        f"/admin/calls/contact/{contact.pk}/change/", {"phone_number": "12 34"}
    )

    assert response.status_code == 200
    assert "enter a valid phone number" in response.content.decode()
    assert Contact.objects.for_client(acme).get(pk=contact.pk).phone_number == "+33612345678"


def test_a_tracking_numbers_numbers_are_stored_e164(staff_browser, acme):
    number = TrackingNumberFactory(client=acme, number="+33184898888")
    form = {
        "client": str(acme.pk),
        "number": "+33 1 84 89 88 89",
        "source": "Ads",
        "campaign": "",
        "active": "on",
        "forward_to": "01 98 76 54 32",
        "announcement": "",
        "voicemail": "on",
        "ring_seconds": "20",
    }

    response = staff_browser.post(f"/admin/calls/trackingnumber/{number.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    number = TrackingNumber.objects.for_client(acme).get(pk=number.pk)
    assert (number.number, number.forward_to) == ("+33184898889", "+33198765432")
