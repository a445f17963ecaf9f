"""The HTML call list pages by keyset and counts only up to a bound (SPEC §15)."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import parse_qs

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls import selectors
from calls.filters import CallFilters
from calls.pagination import (
    CURSOR_SALT,
    CallCount,
    Cursor,
    CursorInvalid,
    call_count,
    planner_estimate,
)
from calls.services import contact_restrict
from tests.factories import CallFactory, ContactFactory, TrackingNumberFactory

SORTS = list(selectors.CALL_SORTS)
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def three_per_page(monkeypatch):
    monkeypatch.setattr("calls.views.CALLS_PER_PAGE", 3)


@pytest.fixture
def ties(acme, acme_number):
    """Ten calls whose start times and durations repeat, so equal keys straddle page edges."""
    minutes = [0, 0, 0, 0, 5, 5, 5, 9, 9, 9]
    durations = [30, 30, 60, 30, 60, 60, 30, 0, 30, 30]
    return [
        CallFactory(
            client=acme,
            tracking_number=acme_number,
            started_at=T0 + dt.timedelta(minutes=minute),
            duration_seconds=duration,
        )
        for minute, duration in zip(minutes, durations, strict=True)
    ]


def _walk(browser, params: dict[str, str]) -> tuple[list[list], list]:
    """Follow the next links from the first page: each page's calls and the last response."""
    pages, response = [], browser.get(reverse("call-list"), params)
    while True:
        assert response.status_code == 200
        pages.append([row.id for row in response.context["page"]])
        if not response.context["next_query"]:
            return pages, response
        response = browser.get(reverse("call-list") + "?" + response.context["next_query"])


def _expected(calls: list, sort: str) -> list:
    """The order each sort promises, computed here rather than read from the selector."""
    newest = sorted(calls, key=lambda call: (call.started_at, call.pk), reverse=True)
    if sort == "newest":
        return [call.pk for call in newest]
    if sort == "oldest":
        return [call.pk for call in reversed(newest)]
    # Python's sort is stable: by duration over the newest-first order keeps its tie-break.
    return [
        call.pk
        for call in sorted(
            newest, key=lambda call: call.duration_seconds, reverse=sort == "longest"
        )
    ]


@pytest.mark.parametrize("sort", SORTS)
def test_following_next_lists_every_call_once_in_the_sorts_order_across_equal_keys(
    as_user, acme_admin, ties, three_per_page, sort
):
    pages, _last = _walk(as_user(acme_admin), {"sort": sort})
    assert [len(page) for page in pages] == [3, 3, 3, 1]
    assert [pk for page in pages for pk in page] == _expected(ties, sort)


@pytest.mark.parametrize("sort", SORTS)
def test_following_previous_from_the_last_page_gives_the_same_pages_back(
    as_user, acme_admin, ties, three_per_page, sort
):
    browser = as_user(acme_admin)
    pages, response = _walk(browser, {"sort": sort})
    assert response.context["page"].number == 4
    back = [[row.id for row in response.context["page"]]]
    numbers = []
    while response.context["previous_query"]:
        response = browser.get(reverse("call-list") + "?" + response.context["previous_query"])
        assert response.status_code == 200
        back.append([row.id for row in response.context["page"]])
        numbers.append(response.context["page"].number)
    assert back[::-1] == pages
    assert numbers == [3, 2, 1]
    assert response.context["next_query"]  # the first page, reached backwards, still goes on


def test_a_call_arriving_meanwhile_neither_repeats_nor_hides_a_row_of_the_next_page(
    as_user, acme_admin, acme, acme_number, ties, three_per_page
):
    browser = as_user(acme_admin)
    first = browser.get(reverse("call-list"))
    CallFactory(client=acme, tracking_number=acme_number, started_at=T0 + dt.timedelta(hours=1))
    second = browser.get(reverse("call-list") + "?" + first.context["next_query"])
    assert [row.id for row in second.context["page"]] == _expected(ties, "newest")[3:6]


def test_the_links_keep_the_filters_and_the_sort(
    as_user, acme_admin, acme, acme_number, three_per_page
):
    other_number = TrackingNumberFactory(client=acme, number="+33184800099")
    for minute in range(7):
        CallFactory(
            client=acme,
            tracking_number=acme_number,
            status="missed",
            started_at=T0 + dt.timedelta(minutes=minute),
        )
    CallFactory.create_batch(4, client=acme, tracking_number=acme_number, status="answered")
    CallFactory.create_batch(4, client=acme, tracking_number=other_number, status="missed")
    browser = as_user(acme_admin)
    params = {"status": "missed", "tracking_number": acme_number.number, "sort": "oldest"}
    pages, last = _walk(browser, params)
    assert [len(page) for page in pages] == [3, 3, 1]
    for query in (last.context["previous_query"],):
        kept = parse_qs(query)
        assert kept["status"] == ["missed"] and kept["sort"] == ["oldest"]
        assert kept["tracking_number"] == [acme_number.number]
    body = last.content.decode()
    assert 'rel="prev"' in body and "status=missed&amp;" in body
    assert str(last.context["count"]) == "7 calls"


def _cursor_of(browser, params: dict[str, str] | None = None) -> str:
    response = browser.get(reverse("call-list"), params or {})
    return parse_qs(response.context["next_query"])["cursor"][0]


def _payload_of(cursor: str) -> str:
    try:
        return str(signing.loads(cursor, salt=CURSOR_SALT)).replace("'", '"')
    except signing.BadSignature:
        return ""


def _signed(payload: object) -> str:
    return signing.dumps(payload, salt=CURSOR_SALT, compress=True)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda good: "garbage",
        lambda good: good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        lambda good: "x" + good,
        lambda good: good[: len(good) // 2],
        lambda good: "\x00" * 10,
        lambda good: _signed(["newest", ["not a date", "x"], 0, 2]),
        lambda good: _signed(["newest", ["2026-11-02T09:00:00", "0" * 32], 0, 2]),  # naive
        lambda good: _signed(["newest", ["2026-11-02T09:00:00+00:00"], 0, 2]),  # too short
        lambda good: _signed(["newest", ["2026-11-02T09:00:00+00:00", "not-a-uuid"], 0, 2]),
        lambda good: _signed(["newest", [1, 2], 0, 2]),
        lambda good: _signed(["newest", ["2026-11-02T09:00:00+00:00", "0" * 32], 0, 0]),
        lambda good: _signed({"sort": "newest"}),
        lambda good: _signed("newest"),
        lambda good: _signed(["longest", ["9" * 400, "2026-11-02T09:00:00+00:00", "0" * 32], 0, 2]),
        lambda good: _signed(["longest", ["-1", "2026-11-02T09:00:00+00:00", "0" * 32], 0, 2]),
    ],
)
def test_a_tampered_cursor_is_a_clear_400(as_user, acme_admin, ties, three_per_page, tamper):
    browser = as_user(acme_admin)
    cursor = tamper(_cursor_of(browser))
    # The sort the cursor claims, so that it is its content that is refused.
    sort = "longest" if '"longest"' in _payload_of(cursor) else "newest"
    response = browser.get(reverse("call-list"), {"cursor": cursor, "sort": sort})
    assert response.status_code == 400
    assert "start again from the first page" in response.content.decode()
    assert response.context["page"] is None


def test_a_cursor_of_another_sort_is_a_400_not_a_wrong_page(
    as_user, acme_admin, ties, three_per_page
):
    browser = as_user(acme_admin)
    cursor = _cursor_of(browser, {"sort": "longest"})
    response = browser.get(reverse("call-list"), {"cursor": cursor, "sort": "oldest"})
    assert response.status_code == 400


def test_a_cursor_at_another_clients_call_shows_nothing_of_theirs(
    client, as_user, acme_admin, globex_admin, acme, acme_number, globex, globex_number
):
    for minute in range(60):
        CallFactory(
            client=globex,
            tracking_number=globex_number,
            started_at=T0 + dt.timedelta(minutes=minute),
        )
    mine = [
        CallFactory(
            client=acme, tracking_number=acme_number, started_at=T0 + dt.timedelta(seconds=s)
        )
        for s in (30, 90, 150)
    ]
    theirs = _cursor_of(as_user(globex_admin))
    response = as_user(acme_admin).get(reverse("call-list"), {"cursor": theirs})
    assert response.status_code == 200
    listed = [row.id for row in response.context["page"]]
    assert listed and set(listed) <= {call.pk for call in mine}
    assert str(globex_number.number) not in response.content.decode()


@pytest.mark.parametrize("role_fixture", ["acme_admin", "acme_manager", "acme_analyst"])
def test_every_role_follows_the_next_link(request, as_user, ties, three_per_page, role_fixture):
    pages, _last = _walk(as_user(request.getfixturevalue(role_fixture)), {})
    assert len(pages) == 4


def test_a_visitor_with_a_cursor_is_sent_to_log_in(
    client, as_user, acme_admin, ties, three_per_page
):
    cursor = _cursor_of(as_user(acme_admin))
    client.logout()
    response = client.get(reverse("call-list"), {"cursor": cursor})
    assert response.status_code == 302 and "/accounts/login/" in response.url


# --- the count ---------------------------------------------------------------------------------


def test_the_count_is_exact_up_to_the_limit(as_user, acme_admin, ties, settings):
    settings.CALL_LIST_EXACT_COUNT_LIMIT = 10
    response = as_user(acme_admin).get(reverse("call-list"))
    assert response.context["count"] == CallCount(value=10, exact=True, estimated=False)
    assert "10 calls" in response.content.decode()


def test_above_the_limit_the_count_reads_no_more_than_limit_plus_one_rows(
    acme, ties, settings, is_postgres
):
    settings.CALL_LIST_EXACT_COUNT_LIMIT = 4
    count, counts = _count_of(acme)
    assert not count.exact
    assert len(counts) == 1 and "LIMIT 5" in counts[0], counts
    assert "calls_contact" not in counts[0]  # no join per row to find restricted Contacts
    if not is_postgres:
        assert count == CallCount(value=4, exact=False, estimated=False)
        assert str(count) == "more than 4 calls"


def _count_of(client, **filters) -> tuple[CallCount, list[str]]:
    calls = selectors.call_list(client=client, filters=CallFilters(**filters))
    unrestricted = selectors.call_list(
        client=client, filters=CallFilters(**filters), include_restricted=True
    )
    with CaptureQueriesContext(connection) as queries:
        count = call_count(calls, unrestricted=unrestricted)
    return count, [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_an_exact_count_leaves_out_the_calls_of_a_restricted_contact(acme, acme_number, ties):
    hidden = ContactFactory(client=acme, phone_number="+33612345000")
    CallFactory.create_batch(2, client=acme, tracking_number=acme_number, contact=hidden)
    contact_restrict(contact=hidden)
    count, _counts = _count_of(acme)
    assert count == CallCount(value=10, exact=True, estimated=False)


def test_above_the_limit_the_page_says_more_than_or_about(as_user, acme_admin, ties, settings):
    settings.CALL_LIST_EXACT_COUNT_LIMIT = 4
    response = as_user(acme_admin).get(reverse("call-list"))
    text = str(response.context["count"])
    assert text.startswith(("about ", "more than 4 calls")), text
    assert text in response.content.decode()


@pytest.mark.postgres
def test_on_postgresql_above_the_limit_the_planners_estimate_is_shown(acme, acme_number, settings):
    settings.CALL_LIST_EXACT_COUNT_LIMIT = 2
    CallFactory.create_batch(60, client=acme, tracking_number=acme_number)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE calls_call, calls_contact")
    count, _counts = _count_of(acme)
    assert count.estimated and count.value > 2, count
    assert str(count).startswith("about ")
    assert count.value == planner_estimate(selectors.call_list(client=acme, filters=CallFilters()))


@pytest.mark.postgres
def test_on_postgresql_an_estimate_a_hundred_times_the_limit_is_shown_without_counting(
    acme, acme_number, settings
):
    settings.CALL_LIST_EXACT_COUNT_LIMIT = 1
    CallFactory.create_batch(150, client=acme, tracking_number=acme_number)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE calls_call, calls_contact")
    count, counts = _count_of(acme)
    assert count.estimated and count.value > 100, count
    assert counts == []


@pytest.mark.parametrize(
    "count, text",
    [
        (CallCount(value=1, exact=True, estimated=False), "1 call"),
        (CallCount(value=9_999, exact=True, estimated=False), "9,999 calls"),
        (CallCount(value=10_000, exact=False, estimated=False), "more than 10,000 calls"),
        (CallCount(value=48_213, exact=False, estimated=True), "about 48,000 calls"),
        (CallCount(value=1_234_567, exact=False, estimated=True), "about 1.2 million calls"),
    ],
)
def test_the_count_reads_as_a_sentence(count, text):
    assert str(count) == text


def test_a_cursor_round_trips_its_position_and_binds_its_sort():
    position = (600, T0.replace(microsecond=123), uuid.uuid4())
    cursor = Cursor(sort="longest", position=position, backwards=True, number=7)
    assert Cursor.decode(cursor.encode(), sort="longest") == cursor
    with pytest.raises(CursorInvalid):
        Cursor.decode(cursor.encode(), sort="shortest")
