"""The reports page and its workbook in the reader's language (issue #15, SPEC §14)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone, translation

from calls.services import call_ingest
from reports.periods import axis_labels, period_label, report_chart
from tests.factories import UserFactory


def test_a_period_reads_as_a_week_or_a_month_in_the_active_language():
    with translation.override("fr"):
        assert period_label("2026-11-30", "week") == "Semaine du 30 nov. 2026"
        assert period_label("2026-07", "month") == "juillet 2026"
    with translation.override("en"):
        assert period_label("2026-11-30", "week") == "Week of 30 Nov. 2026"
        assert period_label("2026-07", "month") == "July 2026"


def test_axis_labels_carry_the_year_on_the_first_bar_and_where_it_changes():
    with translation.override("fr"):
        assert axis_labels(["2025-12-22", "2025-12-29", "2026-01-05"], "week") == [
            "22 déc. 2025",
            "29 déc.",
            "5 jan. 2026",
        ]
        assert axis_labels(["2025-12", "2026-01"], "month") == ["déc. 2025", "jan. 2026"]


def test_the_report_chart_names_its_series_and_ticks_for_the_script():
    chart = {"labels": ["2026-10", "2026-11"], "answered": [3, 4], "missed": [2, 3]}
    with translation.override("fr"):
        shown = report_chart(chart, per="month", language="fr")
    assert shown["ticks"] == [0, 2, 4, 6, 8] and shown["locale"] == "fr"
    assert [series["name"] for series in shown["series"]] == ["Répondus", "Sans réponse"]
    assert shown["titles"] == ["octobre 2026", "novembre 2026"]


@pytest.fixture
def french_reader(acme, acme_number):
    today = timezone.localdate(timezone=acme.tzinfo)
    for index, status in enumerate(["answered", "missed", "answered"]):
        call_ingest(
            client=acme,
            external_id=f"fr{index}",
            tracking_number=acme_number.number,
            caller_number=None,
            status=status,
            started_at=dt.datetime.combine(today, dt.time(0, 30), tzinfo=acme.tzinfo),
            duration_seconds=60 if status == "answered" else 0,
        )
    return UserFactory(client=acme, language="fr")


def test_a_french_reader_gets_the_report_page_in_french(as_user, french_reader):
    response = as_user(french_reader).get("/reports/?by=source&per=month&periods=2")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Rapports", "Appels par mois", "Taux de réponse", "Télécharger (xlsx)"):
        assert text in html, text
    month = timezone.localdate(timezone=french_reader.client.tzinfo).month
    with translation.override("fr"):
        from django.utils.dates import MONTHS

        assert str(MONTHS[month]) in response.context["rows"][0]["period"]
    assert response.context["chart"]["series"][1]["name"] == "Sans réponse"


def test_a_french_reader_downloads_the_workbook_with_french_headers(as_user, french_reader):
    response = as_user(french_reader).get("/reports/report.xlsx?by=channel&per=month&periods=1")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet.title == "Rapport"
    header = next(sheet.iter_rows(values_only=True))
    assert header[:5] == (
        "Période",
        "Canal",
        "Appels",
        "Appels, période précédente",
        "Appels, évolution %",
    )
    assert "Taux de réponse, évolution en points" in header
    assert next(sheet.iter_rows(min_row=2, values_only=True))[1] == "Non attribué"


def test_channels_read_by_their_names_in_the_readers_language():
    from reports.pivots import key_label

    with translation.override("fr"):
        names = [key_label("channel", key) for key in ("paid_search", "organic_search", "social")]
        assert names == ["Recherche payante", "Recherche naturelle", "Réseaux sociaux"]
        assert [key_label("channel", key) for key in ("referral", "email", "direct", "other")] == [
            "Sites référents",
            "E-mail",
            "Accès direct",
            "Autre",
        ]
        assert key_label("source", "Google Ads") == "Google Ads"
    with translation.override("en"):
        assert key_label("channel", "paid_search") == "Paid search"
