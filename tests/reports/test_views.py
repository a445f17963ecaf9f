from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone

from calls.services import call_ingest
from reports.services import aggregates_fold
from tests.factories import TrackingNumberFactory

ROLES = ("acme_admin", "acme_manager", "acme_analyst")


def local_noon(client, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=client.tzinfo)


def call_at_noon(client, number, external_id: str, day: dt.date, status: str, seconds: int):
    call_ingest(
        client=client,
        external_id=external_id,
        tracking_number=number.number,
        caller_number=None,
        status=status,
        started_at=local_noon(client, day),
        duration_seconds=seconds,
    )


def month_start(today: dt.date, back: int) -> dt.date:
    month = today.year * 12 + today.month - 1 - back
    return dt.date(month // 12, month % 12 + 1, 1)


@pytest.fixture
def month_calls(acme, acme_number, globex, globex_number):
    """Acme: 3 calls this month (2 answered, 60 s and 120 s), 2 last month (1 answered, 30 s);
    Globex: calls on a number of its own that must never show in Acme's report."""
    today = timezone.localdate(timezone=acme.tzinfo)
    this_month, last_month = month_start(today, 0), month_start(today, 1)
    calls = [
        (this_month, "answered", 60),
        (this_month, "answered", 120),
        (today, "missed", 0),
        (last_month, "answered", 30),
        (last_month, "busy", 0),
    ]
    for index, (day, status, seconds) in enumerate(calls):
        call_at_noon(acme, acme_number, f"a{index}", day, status, seconds)
    for index in range(4):
        call_at_noon(globex, globex_number, f"g{index}", today, "answered", 999)
    aggregates_fold(client=acme)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_report_of_its_own_client_only(request, as_user, month_calls, role):
    response = as_user(request.getfixturevalue(role)).get("/reports/?by=source&per=month&periods=2")
    assert response.status_code == 200
    rows = response.context["rows"]
    current = rows[0]
    assert current["key"] == "Google Ads"
    assert (current["calls"], current["calls_previous"], current["calls_change"]) == (3, 2, 50.0)
    assert (current["answered"], current["answered_previous"]) == (2, 1)
    assert (current["answer_rate"], current["answer_rate_previous"]) == (66.7, 50.0)
    assert current["answer_rate_change"] == 16.7
    assert (current["avg_duration_seconds"], current["avg_duration_seconds_previous"]) == (
        90.0,
        30.0,
    )
    assert current["avg_duration_seconds_change"] == 200.0
    content = response.content.decode()
    assert "Print" not in content and "999" not in content
    assert "<script>" not in content  # the chart comes from static/js (the CSP)


def test_the_weekly_report_by_tracking_number_and_its_chart(as_user, acme_admin, month_calls):
    response = as_user(acme_admin).get("/reports/?by=tracking_number&per=week&periods=8")
    assert response.status_code == 200
    report = response.context["report"]
    assert len(report.chart["labels"]) == 8
    assert sum(report.chart["answered"]) + sum(report.chart["missed"]) <= 5
    assert {row["key"] for row in report.rows} <= {"+33184800001"}


def test_an_unattributed_channel_is_named_so(as_user, acme_admin, month_calls):
    response = as_user(acme_admin).get("/reports/?by=channel&per=month&periods=1")
    assert response.status_code == 200
    assert response.context["rows"][0]["label"] == "Not attributed"
    assert response.context["rows"][0]["calls"] == 3


def test_bad_report_parameters_are_a_400_that_says_why(as_user, acme_admin):
    response = as_user(acme_admin).get("/reports/?by=nonsense&periods=99")
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert as_user(acme_admin).get("/reports/report.xlsx?periods=0").status_code == 400


def test_the_report_downloads_as_xlsx_with_the_previous_period(as_user, acme_manager, month_calls):
    response = as_user(acme_manager).get("/reports/report.xlsx?by=source&per=month&periods=2")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Period", "Source", "Calls", "Calls, previous period", "Calls, change %")
    assert rows[1][1:5] == ("Google Ads", 3, 2, 50)


def test_a_formula_in_a_source_stays_text_in_the_workbook(as_user, acme, acme_admin):
    number = TrackingNumberFactory(client=acme, number="+33184800077", source='=HYPERLINK("x")')
    call_ingest(
        client=acme,
        external_id="f",
        tracking_number=number.number,
        caller_number=None,
        status="answered",
        started_at=timezone.now(),
        duration_seconds=5,
    )
    response = as_user(acme_admin).get("/reports/report.xlsx?by=source&per=month&periods=1")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=2, column=2).data_type == "s"


def test_an_anonymous_visitor_is_sent_to_log_in(client, db):
    assert client.get("/reports/").status_code == 302
    assert client.get("/reports/report.xlsx").status_code == 302


def test_the_month_still_running_is_compared_with_as_many_days_of_the_previous_one(
    as_user, acme, acme_admin, acme_number
):
    today = timezone.localdate(timezone=acme.tzinfo)
    this_month, last_month = month_start(today, 0), month_start(today, 1)
    same_day = last_month + min(today - this_month, this_month - last_month - dt.timedelta(days=1))
    days = [today, same_day]
    if same_day + dt.timedelta(days=1) < this_month:  # a later day of last month, not counted
        days.append(same_day + dt.timedelta(days=1))
    for index, day in enumerate(days):
        call_at_noon(acme, acme_number, f"p{index}", day, "answered", 10)
    aggregates_fold(client=acme)

    response = as_user(acme_admin).get("/reports/?by=source&per=month&periods=2")

    current, finished = response.context["rows"][0], response.context["rows"][1]
    assert (current["calls"], current["calls_previous"]) == (1, 1)
    assert ", to " in current["period"]
    assert (finished["calls"], ", to " in finished["period"]) == (len(days) - 1, False)
    assert "as many days of the previous one" in response.content.decode()


def test_a_tracking_number_reads_as_people_write_it_in_the_report_and_its_workbook(
    as_user, acme_admin, month_calls
):
    response = as_user(acme_admin).get("/reports/?by=tracking_number&per=month&periods=1")
    assert response.context["rows"][0]["label"] == "01 84 80 00 01"
    workbook = as_user(acme_admin).get(
        "/reports/report.xlsx?by=tracking_number&per=month&periods=1"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    assert sheet.cell(row=2, column=2).value == "01 84 80 00 01"


def test_a_client_without_any_call_sees_an_empty_report_not_an_error(as_user, acme_admin):
    for per in ("month", "week"):
        response = as_user(acme_admin).get(f"/reports/?by=source&per={per}&periods=2")
        assert response.status_code == 200
        assert "No calls in these periods." in response.content.decode()
    workbook = as_user(acme_admin).get("/reports/report.xlsx?by=source&per=month&periods=2")
    assert workbook.status_code == 200
    assert len(list(openpyxl.load_workbook(io.BytesIO(workbook.content)).active.rows)) == 1


def test_the_workbook_names_its_running_period_as_the_page_does(as_user, acme_admin, month_calls):
    page = as_user(acme_admin).get("/reports/?by=source&per=month&periods=1")
    running = page.context["rows"][0]
    assert ", to " in running["period"]
    workbook = as_user(acme_admin).get("/reports/report.xlsx?by=source&per=month&periods=1")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    row = next(sheet.iter_rows(min_row=2, values_only=True))
    assert (row[0], row[3]) == (running["period"], running["calls_previous"])
