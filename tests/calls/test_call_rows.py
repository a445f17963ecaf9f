"""The call list's rows, written by calls.templatetags.call_rows rather than the template."""

from __future__ import annotations

import datetime as dt
from datetime import UTC

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, formats, timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from calls.services import contact_restrict
from calls.templatetags.call_rows import datetime_formatter
from calls.templatetags.durations import NO_VALUE
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


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
@pytest.mark.parametrize(
    "format_name", ["SHORT_DATETIME_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "DATE_FORMAT"]
)
@given(
    moment=st.datetimes(
        min_value=dt.datetime(1900, 1, 1),
        max_value=dt.datetime(2100, 12, 31),
        timezones=st.just(UTC),
    )
)
def test_the_rows_date_format_writes_what_django_writes(language, format_name, moment):
    with translation.override(language):
        format_string = formats.get_format(format_name)
        assert datetime_formatter(format_string)(moment) == dateformat.format(moment, format_string)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    "moment",
    [dt.datetime(2026, 1, 2, 0, 0), dt.datetime(2026, 1, 2, 12, 0), dt.datetime(2026, 1, 2, 23, 5)],
)
def test_the_rows_date_format_says_midnight_noon_and_evening_in_each_language(language, moment):
    moment = moment.replace(tzinfo=UTC)
    with translation.override(language):
        assert datetime_formatter("m/d/Y P")(moment) == dateformat.format(moment, "m/d/Y P")


def test_a_backslash_keeps_a_letter_of_a_date_format_as_it_is():
    moment = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)

    assert datetime_formatter(r"\d\e Y-m-d H\hi")(moment) == "de 2026-03-04 05h06"


def _queries_of_the_list(browser) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(reverse("call-list")).status_code == 200
    return len(queries)


def test_the_page_reads_its_rows_columns_at_once_whatever_the_number_of_rows(
    as_user, acme, acme_admin
):
    browser = as_user(acme_admin)
    CallFactory(client=acme, has_recording=True)
    one_row = _queries_of_the_list(browser)

    CallFactory.create_batch(20, client=acme, has_voicemail=True, status="missed")

    assert _queries_of_the_list(browser) == one_row


def test_a_letter_that_is_no_format_code_is_written_as_it_is():
    moment = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)

    assert datetime_formatter("d k Y")(moment) == dateformat.format(moment, "d k Y") == "04 k 2026"


def test_a_call_without_a_caller_shows_a_dash_for_its_number(as_user, acme, acme_admin):
    CallFactory(client=acme, contact=None)

    body = _tbody(as_user(acme_admin).get(reverse("call-list")))

    assert f'<td class="nowrap">{NO_VALUE}</td>' in body


def test_the_calls_of_a_restricted_contact_are_not_listed(as_user, acme, acme_admin):
    kept = CallFactory(client=acme)
    restricted = CallFactory(client=acme)
    contact_restrict(contact=restricted.contact)

    response = as_user(acme_admin).get(reverse("call-list"))

    assert [row.id for row in response.context["page"]] == [kept.pk]
    assert str(restricted.pk) not in _tbody(response)
    assert response.context["count"].value == 1
