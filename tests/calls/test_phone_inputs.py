"""Phone numbers in the calls pages and API (SPEC §5, §14): typed nationally for the Client's country
or internationally, stored E.164, shown nationally; the call list finds callers by last digits."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from calls.filters import SUFFIX_MIN_DIGITS, PhoneSuffix, call_filters_parse
from calls.models import TrackingNumber
from tests.factories import (
    CallFactory,
    ClientFactory,
    ContactFactory,
    TrackingNumberFactory,
    UserFactory,
)

TYPED = ["06 12 34 56 78", "06.12.34.56.78", "06-12-34-56-78", "+33 6 12 34 56 78"]
REFUSED = ["++33612345678", "06 12", "06 12 34 AB CD"]


@pytest.fixture
def callers(acme, acme_number):
    """Three of Acme's calls from three numbers, one of them Belgian; one Globex call."""
    numbers = ["+33612345678", "+33698344578", "+32470123456"]
    calls = [
        CallFactory(
            client=acme,
            tracking_number=acme_number,
            contact=ContactFactory(client=acme, phone_number=number),
        )
        for number in numbers
    ]
    CallFactory(contact=ContactFactory(phone_number="+33612345678"))  # another Client's
    return calls


def _listed(response) -> set:
    return {row.id for row in response.context["page"]}


# --- The call list's caller filter ---------------------------------------------------------------


@pytest.mark.parametrize("typed", TYPED)
def test_the_call_list_finds_a_caller_typed_as_people_write_numbers(
    as_user, acme_admin, callers, typed
):
    response = as_user(acme_admin).get(reverse("call-list"), {"caller_number": typed})
    assert response.status_code == 200
    assert _listed(response) == {callers[0].pk}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("5678", [0]), ("45 78", [1]), ("34 56", [2]), ("45 67 8", [0]), ("78", None)],
)
def test_the_call_list_finds_callers_by_the_last_digits_of_their_number(
    as_user, acme_admin, callers, typed, expected
):
    response = as_user(acme_admin).get(reverse("call-list"), {"caller_number": typed})
    if expected is None:  # fewer than SUFFIX_MIN_DIGITS digits: a search for nobody in particular
        assert response.status_code == 400
        # One message (the page puts the filter's label before it), saying both ways to search.
        (message,) = response.context["form"].errors["caller_number"]
        assert message.startswith("Enter a valid phone number") and "Caller" not in message
        assert f"its last {SUFFIX_MIN_DIGITS} digits" in message
        assert response.content.decode().count("Caller: Enter a valid phone number") == 1
    else:
        assert response.status_code == 200
        assert _listed(response) == {callers[i].pk for i in expected}


def test_the_api_finds_callers_by_last_digits_and_still_refuses_a_doubled_plus(acme_api, callers):
    body = acme_api.get("/api/v1/calls/", {"caller_number": "4578"}).json()
    assert [row["id"] for row in body["results"]] == [str(callers[1].pk)]
    refused = acme_api.get("/api/v1/calls/", {"caller_number": "++33612345678"})
    assert refused.status_code == 400 and list(refused.json()) == ["caller_number"]


def test_a_whole_number_is_an_exact_match_and_digits_alone_a_suffix(acme):
    exact = call_filters_parse({"caller_number": "06 12 34 56 78"}, client=acme)
    suffix = call_filters_parse({"caller_number": "12-34"}, client=acme)
    assert exact.caller_number == "+33612345678" and not isinstance(
        exact.caller_number, PhoneSuffix
    )
    assert isinstance(suffix.caller_number, PhoneSuffix) and suffix.caller_number == "1234"
    # Links keep the filter: the query reads back as the same filter.
    assert call_filters_parse(suffix.as_query(), client=acme) == suffix
    with pytest.raises(Exception, match="tracking_number"):
        call_filters_parse({"tracking_number": "5678"}, client=acme)  # a number, not a search


def test_a_belgian_client_filters_its_calls_by_a_belgian_number_typed_nationally(as_user, db):
    belgian = ClientFactory(country="BE")
    call = CallFactory(
        client=belgian, contact=ContactFactory(client=belgian, phone_number="+32470123456")
    )
    CallFactory(client=belgian)
    response = as_user(UserFactory(client=belgian, role="analyst")).get(
        reverse("call-list"), {"caller_number": "0470 12 34 56"}
    )
    assert _listed(response) == {call.pk}


# --- Display -------------------------------------------------------------------------------------


def test_the_call_list_and_detail_show_numbers_nationally_foreign_ones_internationally(
    as_user, acme_admin, callers
):
    browser = as_user(acme_admin)
    listing = browser.get(reverse("call-list")).content.decode()
    assert "06 12 34 56 78" in listing and "+32 470 12 34 56" in listing
    assert "01 84 80 00 01" in listing  # the tracking number
    assert "+33612345678" not in listing
    detail = browser.get(reverse("call-detail", args=[callers[0].pk])).content.decode()
    assert "06 12 34 56 78" in detail and "01 84 80 00 01" in detail


def test_the_api_stays_e164(acme_api, callers):
    body = acme_api.get(f"/api/v1/calls/{callers[2].pk}/").json()
    assert (body["caller_number"], body["tracking_number"]) == ("+32470123456", "+33184800001")


# --- Tracking numbers and their forwarding -------------------------------------------------------


@pytest.mark.parametrize("typed", ["01 84 80 00 07", "01.84.80.00.07", "+33 1 84 80 00 07"])
def test_an_admin_adds_a_tracking_number_typed_nationally(as_user, acme_admin, typed):
    browser = as_user(acme_admin)
    response = browser.post(reverse("tracking-number-create"), {"number": typed, "source": "Radio"})
    assert response.status_code == 302
    assert TrackingNumber.objects.for_client(acme_admin.client).get().number == "+33184800007"
    assert "01 84 80 00 07" in browser.get(reverse("settings")).content.decode()


@pytest.mark.parametrize("typed", REFUSED)
def test_a_malformed_tracking_number_is_refused_naming_the_field(as_user, acme_admin, typed):
    response = as_user(acme_admin).post(
        reverse("tracking-number-create"), {"number": typed, "source": "Radio"}
    )
    assert response.status_code == 400
    (message,) = response.context["number_form"].errors["number"]
    assert message.startswith("Number:")
    assert not TrackingNumber.objects.for_client(acme_admin.client).exists()


def test_the_tracking_numbers_api_stays_international(as_user, acme_admin):
    browser = as_user(acme_admin)
    url = "/api/v1/tracking-numbers/"
    national = browser.post(url, {"number": "01 84 80 00 07", "source": "Radio"})
    doubled = browser.post(url, {"number": "++33184800007", "source": "Radio"})
    assert national.status_code == doubled.status_code == 400
    assert list(doubled.json()) == ["number"]
    created = browser.post(url, {"number": "+33 1 84 80 00 07", "source": "Radio"})
    assert created.status_code == 201 and created.json()["number"] == "+33184800007"


def test_the_forwarding_number_is_typed_nationally_and_shown_back_so(
    as_user, acme_admin, acme_number
):
    browser = as_user(acme_admin)
    url = reverse("tracking-number-edit", args=[acme_number.pk])
    data = {"source": "Web", "campaign": "", "ring_seconds": 20, "voicemail": "on"}
    refused = browser.post(url, {**data, "forward_to": "++33612345678"})
    assert refused.status_code == 400
    assert refused.context["form"].errors["forward_to"][0].startswith("Forward to:")
    assert browser.post(url, {**data, "forward_to": "06-12-34-56-78"}).status_code == 302
    acme_number.refresh_from_db()
    assert acme_number.forward_to == "+33612345678"
    assert 'value="06 12 34 56 78"' in browser.get(url).content.decode()


# --- The Contacts lookup -------------------------------------------------------------------------


@pytest.mark.parametrize("typed", TYPED)
def test_the_contacts_lookup_takes_numbers_as_people_write_them(
    as_user, acme_admin, callers, typed
):
    page = as_user(acme_admin).get(reverse("contact-lookup"), {"phone": typed})
    assert page.status_code == 200 and page.context["normalised"] == "+33612345678"
    assert "<h2>06 12 34 56 78</h2>" in page.content.decode()


@pytest.mark.parametrize("typed", REFUSED)
def test_the_contacts_lookup_refuses_a_malformed_number_naming_the_field(
    as_user, acme_admin, callers, typed
):
    page = as_user(acme_admin).get(reverse("contact-lookup"), {"phone": typed})
    assert page.status_code == 400 and page.context["error"].startswith("Phone number:")
    assert "++" not in page.context["error"] and "AB CD" not in page.context["error"]


# --- seed_demo -----------------------------------------------------------------------------------


def test_seed_demo_gives_each_client_its_own_tracking_numbers(db):
    call_command("seed_demo", "--clients", "2", "--calls", "10")
    call_command("seed_demo", "--clients", "2", "--calls", "10")  # again: nothing moves
    first, second = (
        set(
            TrackingNumber.objects.across_clients()
            .filter(client__slug=slug)
            .values_list("number", flat=True)
        )
        for slug in ("demo", "demo-2")
    )
    assert len(first) == len(second) == 4 and not first & second
    assert TrackingNumber.objects.across_clients().filter(client__slug="demo-2").count() == 4


def test_seed_demo_skips_numbers_another_client_already_holds(db):
    TrackingNumberFactory(number="+33184800001")  # some other Client's
    call_command("seed_demo", "--calls", "5")
    numbers = set(
        TrackingNumber.objects.across_clients()
        .filter(client__slug="demo")
        .values_list("number", flat=True)
    )
    assert "+33184800001" not in numbers and len(numbers) == 4


def test_the_csv_export_keeps_a_last_digits_filter(acme_api, callers):
    response = acme_api.get("/api/v1/exports/calls.csv", {"caller_number": "45 78"})
    assert response.status_code == 200
    rows = b"".join(response.streaming_content).decode().splitlines()[1:]
    assert len(rows) == 1 and callers[1].external_id in rows[0] and "+33698344578" in rows[0]
