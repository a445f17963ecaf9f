"""The dashboard (issue #15): whole-number axis ticks, bars per day, week or month by the period's
length, one meaning of "unanswered", the previous period beside each total, in the reader's
language."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.utils import timezone, translation

from calls.dashboard import (
    Bucket,
    bucket_labels,
    buckets,
    change,
    chart_data,
    granularity_for,
    nice_ticks,
    previous_period,
    total_changes,
)
from calls.selectors import Period
from tests.factories import CallFactory, UserFactory


def _days(first: dt.date, last: dt.date, *, answered: int = 1, missed: int = 0) -> list[dict]:
    return [
        {"key": day.isoformat(), "answered": answered, "missed": missed}
        for day in Period(first, last).days()
    ]


# Ticks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "maximum, ticks",
    [
        (0, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 5, 10]),
        (123, [0, 50, 100, 150]),
        (400, [0, 100, 200, 300, 400]),
    ],
)
def test_it_puts_axis_ticks_on_whole_numbers(maximum, ticks):
    assert nice_ticks(maximum) == ticks


def test_ticks_are_whole_evenly_spaced_and_reach_the_highest_bar_for_any_count():
    for maximum in range(0, 5001):
        ticks = nice_ticks(maximum)
        assert all(isinstance(tick, int) for tick in ticks)
        assert ticks[0] == 0 and ticks[-1] >= maximum and 2 <= len(ticks) <= 5
        steps = {b - a for a, b in itertools.pairwise(ticks)}
        assert len(steps) == 1
        step = steps.pop()
        assert str(step).rstrip("0") in {"1", "2", "5"}


# Bars per day, week or month --------------------------------------------------------------------


@pytest.mark.parametrize(
    "days, granularity",
    [
        (1, "day"),
        (30, "day"),
        (62, "day"),
        (63, "week"),
        (90, "week"),
        (180, "week"),
        (181, "month"),
        (365, "month"),
        (731, "month"),
    ],
)
def test_it_picks_days_weeks_or_months_by_the_periods_length(days, granularity):
    last = dt.date(2026, 12, 2)
    assert granularity_for(Period(last - dt.timedelta(days=days - 1), last)) == granularity


def test_twelve_months_draw_thirteen_monthly_bars_that_sum_the_days():
    period = Period(dt.date(2025, 12, 3), dt.date(2026, 12, 2))
    items = buckets(_days(period.first_day, period.last_day, missed=2), granularity="month")
    assert len(items) == 13
    assert items[0] == Bucket(dt.date(2025, 12, 3), dt.date(2025, 12, 31), 29, 58)
    assert items[1].first_day == dt.date(2026, 1, 1) and items[1].answered == 31
    assert items[-1] == Bucket(dt.date(2026, 12, 1), dt.date(2026, 12, 2), 2, 4)
    assert sum(item.answered for item in items) == 365


def test_weeks_start_on_monday_and_the_longest_weekly_period_draws_at_most_27_bars():
    period = Period(dt.date(2026, 6, 6), dt.date(2026, 12, 2))  # 180 days
    items = buckets(_days(period.first_day, period.last_day), granularity="week")
    assert len(items) <= 27
    assert all(item.first_day.weekday() == 0 for item in items[1:])
    assert items[0].first_day == period.first_day  # cut to the period's first day


def test_labels_carry_the_year_on_the_first_bar_and_where_it_changes_in_french():
    items = buckets(_days(dt.date(2025, 12, 29), dt.date(2026, 1, 2)), granularity="day")
    with translation.override("fr"):
        labels = bucket_labels(items, granularity="day")
    assert [label["axis"] for label in labels] == [
        "29 déc. 2025",
        "30 déc.",
        "31 déc.",
        "1 jan. 2026",
        "2 jan.",
    ]
    assert labels[0]["title"] == "lundi 29 décembre 2025"


def test_month_and_week_labels_are_localised():
    months = buckets(_days(dt.date(2026, 6, 1), dt.date(2026, 7, 31)), granularity="month")
    weeks = buckets(_days(dt.date(2026, 6, 1), dt.date(2026, 6, 14)), granularity="week")
    with translation.override("fr"):
        assert [label["axis"] for label in bucket_labels(months, granularity="month")] == [
            "juin 2026",
            "juil. 2026",
        ]
        assert bucket_labels(weeks, granularity="week")[1]["title"] == "Semaine du 8 juin 2026"
    with translation.override("en"):
        assert bucket_labels(months, granularity="month")[0]["title"] == "June 2026"
        assert bucket_labels(weeks, granularity="week")[1]["title"] == "Week of 8 June 2026"


def test_the_chart_data_holds_every_word_and_number_the_script_shows():
    period = Period(dt.date(2025, 12, 3), dt.date(2026, 12, 2))
    with translation.override("fr"):
        chart = chart_data(
            _days(period.first_day, period.last_day, answered=400), period=period, language="fr"
        )
    assert chart["granularity"] == "month" and len(chart["labels"]) == 13
    assert chart["ticks"][-1] >= 31 * 400
    assert chart["tick_labels"][-1] == f"{chart['ticks'][-1]:,}".replace(",", "\xa0")
    assert [series["name"] for series in chart["series"]] == ["Répondus", "Sans réponse"]


# The previous period ---------------------------------------------------------------------------


def test_the_previous_period_has_the_same_number_of_days_and_ends_the_day_before():
    period = Period(dt.date(2026, 11, 3), dt.date(2026, 12, 2))
    assert previous_period(period) == Period(dt.date(2026, 10, 4), dt.date(2026, 11, 2))
    one_day = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    assert previous_period(one_day) == Period(dt.date(2026, 2, 28), dt.date(2026, 2, 28))


@pytest.mark.parametrize(
    "current, previous, direction, percent, arrow",
    [
        (12, 10, "up", 20.0, "▲"),
        (5, 10, "down", 50.0, "▼"),
        (10, 10, "same", 0.0, ""),
        (1, 3, "down", 66.7, "▼"),
        (3, 0, "new", None, ""),
        (0, 0, "none", None, ""),
        (None, None, "none", None, ""),  # an average of no answered call
        (42.5, None, "new", None, ""),
    ],
)
def test_a_change_has_an_arrow_and_a_percentage_only_when_there_was_something_before(
    current, previous, direction, percent, arrow
):
    result = change(current, previous)
    assert (result.direction, result.percent, result.arrow) == (direction, percent, arrow)


# The page --------------------------------------------------------------------------------------


def _call(client, number, *, days_ago: int, status: str = "answered", seconds: int = 60):
    return CallFactory(
        client=client,
        tracking_number=number,
        status=status,
        duration_seconds=seconds,
        started_at=timezone.now() - dt.timedelta(days=days_ago, minutes=5),
    )


@pytest.fixture
def known_calls(acme, acme_number):
    # The last 7 days: 3 answered, 1 missed, 1 busy. The 7 days before: 1 answered, 1 missed.
    for days_ago, status in [(1, "answered"), (2, "answered"), (3, "answered")]:
        _call(acme, acme_number, days_ago=days_ago, status=status, seconds=90)
    _call(acme, acme_number, days_ago=4, status="missed")
    _call(acme, acme_number, days_ago=5, status="busy")
    _call(acme, acme_number, days_ago=8, status="answered", seconds=60)
    _call(acme, acme_number, days_ago=12, status="missed")
    _call(acme, acme_number, days_ago=30, status="answered")  # in neither


def test_each_total_sits_beside_the_previous_periods_with_its_change(
    as_user, acme_admin, known_calls
):
    response = as_user(acme_admin).get("/", {"period": "7"})
    assert response.status_code == 200
    changes = response.context["changes"]
    assert (changes["calls"].current, changes["calls"].previous) == (5, 2)
    assert (changes["calls"].direction, changes["calls"].percent) == ("up", 150.0)
    assert (changes["answered"].current, changes["answered"].previous) == (3, 1)
    assert changes["answered"].percent == 200.0
    assert (changes["missed"].current, changes["missed"].previous) == (2, 1)
    assert (changes["avg_duration_seconds"].current, changes["avg_duration_seconds"].previous) == (
        90.0,
        60.0,
    )
    html = response.content.decode()
    assert "▲" in html and "150&nbsp;%" in html
    # More unanswered calls is bad news: the rise is not coloured as good.
    assert '<div class="change up worse-when-up">' in html
    assert html.count('<div class="change up">') == 3  # calls, answered, average duration
    today = timezone.localdate(timezone=acme_admin.client.tzinfo)
    assert response.context["previous_period"] == Period(
        today - dt.timedelta(days=13), today - dt.timedelta(days=7)
    )


def test_a_total_with_nothing_before_says_new_and_draws_no_arrow(as_user, acme_admin, acme_number):
    _call(acme_admin.client, acme_number, days_ago=1)
    response = as_user(acme_admin).get("/", {"period": "7"})
    html = response.content.decode()
    assert response.context["changes"]["calls"].direction == "new"
    assert "▲" not in html and "▼" not in html and ">new<" in html


def test_unanswered_and_missed_are_named_apart_in_every_table(as_user, acme_admin, known_calls):
    response = as_user(acme_admin).get("/", {"period": "7"})
    html = response.content.decode()
    statuses = {row["key"]: row["label"] for row in response.context["statuses"]}
    assert str(statuses["missed"]) == "Missed" and str(statuses["busy"]) == "Busy"
    assert "Unanswered" in html and "Missed, busy, failed or voicemail" in html
    by_source = html[html.index('id="by-source"') : html.index('id="by-status"')]
    assert "Unanswered" in by_source and ">Missed<" not in by_source
    chart = json.loads(
        html.split('id="calls-chart-data" type="application/json">')[1].split("<")[0]
    )
    assert [series["name"] for series in chart["series"]] == ["Answered", "Unanswered"]
    assert sum(chart["missed"]) == 2  # the missed call and the busy one


def test_a_french_user_reads_the_dashboard_in_french(as_user, acme, known_calls):
    french = UserFactory(client=acme, language="fr")
    response = as_user(french).get("/", {"period": "365"})
    html = response.content.decode()
    for text in ("Tableau de bord", "Sans réponse", "Par source", "Par statut", "Appels par mois"):
        assert text in html, text
    assert "Manqué" in html and "Occupé" in html
    assert "période précédente" in html
    chart = response.context["chart"]
    assert chart["locale"] == "fr" and chart["granularity"] == "month"
    assert len(chart["labels"]) <= 13
    assert chart["series"][1]["name"] == "Sans réponse"
    assert any(label.endswith(str(timezone.now().year)) for label in chart["labels"])


def test_twelve_months_draw_monthly_bars_and_ninety_days_weekly(as_user, acme_admin):
    browser = as_user(acme_admin)
    assert len(browser.get("/", {"period": "365"}).context["chart"]["labels"]) <= 13
    weekly = browser.get("/", {"period": "90"}).context["chart"]
    assert weekly["granularity"] == "week" and len(weekly["labels"]) <= 14
    daily = browser.get("/", {"period": "30"}).context["chart"]
    assert daily["granularity"] == "day" and len(daily["labels"]) == 30


def test_total_changes_compare_each_total_and_the_average_in_whole_seconds():
    totals = {"calls": 5, "answered": 3, "missed": 2, "avg_duration_seconds": 89.6}
    before = {"calls": 0, "answered": 0, "missed": 0, "avg_duration_seconds": None}
    changes = total_changes(totals, before)
    assert {name: result.direction for name, result in changes.items()} == dict.fromkeys(
        ("calls", "answered", "missed", "avg_duration_seconds"), "new"
    )
    assert changes["avg_duration_seconds"].current == 90
    changes = total_changes(totals, {**totals, "calls": 4, "avg_duration_seconds": 120.2})
    assert (changes["calls"].direction, changes["calls"].percent) == ("up", 25.0)
    assert (changes["avg_duration_seconds"].direction, changes["avg_duration_seconds"].percent) == (
        "down",
        25.0,
    )
    assert changes["missed"].direction == "same"


def test_a_custom_period_at_the_earliest_day_still_has_a_previous_period(as_user, acme_admin):
    response = as_user(acme_admin).get(
        "/", {"period": "custom", "first_day": "1970-01-01", "last_day": "1970-01-31"}
    )
    assert response.status_code == 200
    assert response.context["previous_period"].last_day == dt.date(1969, 12, 31)


def test_counts_are_grouped_as_the_readers_language_writes_them():
    from django.template.loader import render_to_string
    from django.utils import formats

    shown = change(1239, 12345)
    with translation.override("fr"):
        html = render_to_string("calls/dashboard_change.html", {"c": shown})
        assert formats.number_format(12345, force_grouping=True) in html
        assert formats.number_format(12345, force_grouping=True) != "12345"
        assert "&nbsp;%" in html
