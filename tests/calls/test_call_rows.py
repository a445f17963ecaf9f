"""The call list's rows, written by calls.templatetags.call_rows rather than the template."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from tests.factories import CallFactory, TrackingNumberFactory


def _tbody(response) -> str:
    return response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_a_row_escapes_what_a_client_typed(as_user, acme, acme_admin):
    number = TrackingNumberFactory(client=acme, source='<script>alert("x")</script>')
    CallFactory(client=acme, tracking_number=number)

    body = _tbody(as_user(acme_admin).get(reverse("call-list")))

    assert "<script>" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body


def test_a_row_reads_as_people_read_a_call_in_french(as_user, acme, acme_admin):
    acme_admin.language = "fr"
    acme_admin.save(update_fields=["language"])
    started = timezone.make_aware(dt.datetime(2026, 11, 2, 9, 5), acme.tzinfo)
    call = CallFactory(
        client=acme,
        status="missed",
        direction="outbound",
        started_at=started,
        duration_seconds=185,
        has_recording=True,
        has_voicemail=True,
    )

    body = _tbody(as_user(acme_admin).get(reverse("call-list") + "?status=missed"))

    assert f'href="{reverse("call-detail", args=[call.pk])}?status=missed"' in body
    assert "02/11/2026 09:05" in body
    assert '<span class="badge missed">Manqué</span>' in body
    assert "<td>Sortant</td>" in body
    assert "3 min 05 s" in body
    assert 'aria-label="Enregistrement"' in body and 'aria-label="Message vocal"' in body


def test_an_empty_page_says_no_call_matches(as_user, acme, acme_admin):
    body = _tbody(as_user(acme_admin).get(reverse("call-list")))

    assert "No calls match these filters." in body
