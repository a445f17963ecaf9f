"""A restricted Contact (GDPR art. 18): its calls stay, its audio does not play, exports skip it."""

from __future__ import annotations

import csv
import io

from calls.models import Call
from calls.services import contact_lift_restriction, contact_restrict, media_store
from tests.factories import CallFactory, ContactFactory

RESTRICTED = "+33612345678"


def _calls(acme, acme_number):
    restricted = ContactFactory(client=acme, phone_number=RESTRICTED)
    hidden = CallFactory(client=acme, tracking_number=acme_number, contact=restricted)
    media_store(call=hidden, kind="recording", content_type="audio/wav", chunks=[b"voice"])
    shown = CallFactory(client=acme, tracking_number=acme_number)
    return restricted, hidden, shown


def _csv_ids(response) -> set[str]:
    text = b"".join(response.streaming_content).decode()
    return {row["call_id"] for row in csv.DictReader(io.StringIO(text))}


def test_a_restricted_contacts_calls_stay_but_leave_the_exports_until_lifted(
    as_user, acme, acme_manager, acme_number
):
    restricted, hidden, shown = _calls(acme, acme_number)
    browser = as_user(acme_manager)
    contact_restrict(contact=restricted)
    assert Call.objects.for_client(acme).filter(pk=hidden.pk).exists()
    assert _csv_ids(browser.get("/api/v1/exports/calls.csv")) == {str(shown.pk)}
    contact_lift_restriction(contact=restricted)
    assert _csv_ids(browser.get("/api/v1/exports/calls.csv")) == {str(shown.pk), str(hidden.pk)}


def test_a_restricted_contacts_recording_does_not_play(as_user, acme, acme_manager, acme_number):
    restricted, hidden, _ = _calls(acme, acme_number)
    browser = as_user(acme_manager)
    url = f"/api/v1/calls/{hidden.pk}/recording/"
    assert browser.get(url).status_code == 200
    contact_restrict(contact=restricted)
    refused = browser.get(url)
    assert refused.status_code == 451
    assert "restriction is lifted" in refused.json()["detail"]
    contact_lift_restriction(contact=restricted)
    assert browser.get(url).status_code == 200
