"""Issue #15 on the call list, the call page and the exports: French, durations as people say
them, filter errors under their labels, icons for the media, the way back to the filtered list,
the exports in the list's order and `calls.csv?dialect=excel` (SPEC §6, §14)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import translation

from calls.exports import COLUMNS
from calls.models import ExportJob
from calls.templatetags.durations import duration_text
from tests.factories import CallFactory

CSV_URL = "/api/v1/exports/calls.csv"
XLSX_URL = "/api/v1/exports/calls.xlsx"


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def schema(client):
    import yaml

    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


@pytest.fixture
def french_admin(acme_admin):
    acme_admin.language = "fr"
    acme_admin.save(update_fields=["language"])
    return acme_admin


# --- Durations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0 s"),
        (45, "45 s"),
        (185, "3 min 05 s"),
        (3600, "1 h 00 min"),
        (3725, "1 h 02 min"),
        (130.6, "2 min 11 s"),  # an average: rounded, not cut
    ],
)
def test_it_reads_a_duration_as_people_say_it(seconds, shown):
    assert duration_text(seconds) == shown
    with translation.override("fr"):
        assert duration_text(seconds) == shown  # French reads the same units


def test_it_shows_a_dash_for_no_duration():
    assert duration_text(None) == "\u2013"


def test_the_call_list_and_call_page_show_durations_in_minutes_and_seconds(
    as_user, acme_admin, acme, acme_number
):
    call = CallFactory(client=acme, tracking_number=acme_number, duration_seconds=185)
    browser = as_user(acme_admin)
    assert "3 min 05 s" in browser.get(reverse("call-list")).content.decode()
    page = browser.get(reverse("call-detail", args=[call.pk])).content.decode()
    assert '<td id="call-duration">3 min 05 s</td>' in page


# --- French -------------------------------------------------------------------------------------


def test_a_french_user_reads_the_call_list_and_call_page_in_french(
    as_user, french_admin, acme, acme_number
):
    started = dt.datetime(2026, 11, 3, 9, 5, tzinfo=dt.UTC)
    call = CallFactory(
        client=acme, tracking_number=acme_number, status="missed", started_at=started
    )
    browser = as_user(french_admin)
    page = browser.get(reverse("call-list")).content.decode()
    for french in ("Appels", "Exporter en CSV", "Filtrer", "Manqué", "Durée", "Numéro de suivi"):
        assert french in page, french
    assert "03/11/2026 10:05" in page  # the French short date and time, in Paris
    detail = browser.get(reverse("call-detail", args=[call.pk])).content.decode()
    assert "Appel du 03/11/2026 10:05" in detail and "Statut" in detail


@pytest.mark.parametrize(
    ("status", "french"),
    [
        ("answered", "Répondu"),
        ("missed", "Manqué"),
        ("busy", "Occupé"),
        ("failed", "Échoué"),
        ("voicemail", "Messagerie vocale"),
    ],
)
def test_every_call_status_has_its_french_label(status, french):
    from calls.models import CallStatus

    with translation.override("fr"):
        assert str(CallStatus(status).label) == french


def test_one_date_format_across_the_list_and_the_call_page(as_user, acme_admin, acme, acme_number):
    call = CallFactory(
        client=acme,
        tracking_number=acme_number,
        started_at=dt.datetime(2026, 11, 3, 9, 5, tzinfo=dt.UTC),
    )
    browser = as_user(acme_admin)
    shown = "11/03/2026 10:05 a.m."  # English's short date and time
    assert shown in browser.get(reverse("call-list")).content.decode()
    assert shown in browser.get(reverse("call-detail", args=[call.pk])).content.decode()


# --- Filter errors ------------------------------------------------------------------------------


def test_filter_errors_are_named_by_their_label_and_list_no_calls(
    as_user, acme_admin, acme, acme_number
):
    CallFactory(client=acme, tracking_number=acme_number)
    response = as_user(acme_admin).get(
        reverse("call-list"), {"started_after": "2026-11-05", "started_before": "2026-11-01"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Started before: Must be later than “Started from”." in body
    assert "started_before" not in response.context["form"].errors["started_before"][0]
    assert 'id="calls-table"' not in body


def test_filter_errors_read_in_french_for_a_french_user(as_user, french_admin):
    response = as_user(french_admin).get(reverse("call-list"), {"started_before": "demain"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Appels avant le : Saisissez une date (AAAA-MM-JJ)" in body


# --- Media icons --------------------------------------------------------------------------------


def test_the_media_column_shows_labelled_icons_not_emoji(as_user, acme_admin, acme, acme_number):
    CallFactory(client=acme, tracking_number=acme_number, has_recording=True, has_voicemail=True)
    body = as_user(acme_admin).get(reverse("call-list")).content.decode()
    assert "🎧" not in body and "✉" not in body
    assert '<svg class="icon" role="img" aria-label="Recording"' in body
    assert '<svg class="icon" role="img" aria-label="Voice message"' in body


# --- "← Calls" keeps the list's filters, sort and page -----------------------------------------


def _back_link(body: str) -> str:
    start = body.index('id="back-to-calls"')
    href = body.rindex('href="', 0, start) + len('href="')
    return body[href : body.index('"', href)].replace("&amp;", "&")


def test_the_way_back_from_a_call_keeps_the_lists_filters_and_sort(
    as_user, acme_admin, acme, acme_number
):
    call = CallFactory(client=acme, tracking_number=acme_number, status="missed")
    browser = as_user(acme_admin)
    listed = browser.get(reverse("call-list"), {"status": "missed", "sort": "oldest"})
    link = reverse("call-detail", args=[call.pk])
    assert f'href="{link}?status=missed&amp;sort=oldest"' in listed.content.decode()
    detail = browser.get(link, {"status": "missed", "sort": "oldest"})
    back = _back_link(detail.content.decode())
    assert urlsplit(back).path == reverse("call-list")
    assert parse_qs(urlsplit(back).query) == {"status": ["missed"], "sort": ["oldest"]}


def test_the_way_back_drops_anything_not_the_lists_own_valid_parameters(
    as_user, acme_admin, acme, acme_number
):
    call = CallFactory(client=acme, tracking_number=acme_number)
    browser = as_user(acme_admin)
    link = reverse("call-detail", args=[call.pk])
    foreign = browser.get(link, {"status": "missed", "next": "https://evil.example/"})
    # Only the list's own parameters go back to it.
    assert _back_link(foreign.content.decode()) == reverse("call-list") + "?status=missed"
    invalid = browser.get(link, {"status": "nonsense"})
    assert _back_link(invalid.content.decode()) == reverse("call-list")
    bad_cursor = browser.get(link, {"status": "missed", "cursor": "zzz"})
    assert _back_link(bad_cursor.content.decode()) == reverse("call-list") + "?status=missed"
    assert browser.get(link, {"status": "<script>"}).status_code == 200


# --- Exports: the list's sort, and the excel dialect -----------------------------------------


@pytest.fixture
def three_calls(acme, acme_number):
    base = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
    return [
        CallFactory(
            client=acme,
            tracking_number=acme_number,
            started_at=base + dt.timedelta(hours=index),
            duration_seconds=duration,
        )
        for index, duration in enumerate((30, 300, 100))
    ]


def test_the_export_buttons_keep_the_lists_sort_and_the_csv_is_for_a_spreadsheet(
    as_user, acme_admin, three_calls
):
    body = as_user(acme_admin).get(reverse("call-list"), {"sort": "longest"}).content.decode()
    assert f'href="{CSV_URL}?sort=longest&amp;dialect=excel"' in body
    assert f'action="{XLSX_URL}?sort=longest"' in body


def test_the_csv_export_follows_the_sort_asked(as_user, acme_admin, three_calls):
    response = as_user(acme_admin).get(CSV_URL, {"sort": "longest"})
    rows = list(csv.reader(io.StringIO(body_of(response).decode())))
    assert [row[COLUMNS.index("duration_seconds")] for row in rows[1:]] == ["300", "100", "30"]


def test_an_unknown_sort_or_dialect_is_a_400_naming_it(acme_api, three_calls):
    response = acme_api.get(CSV_URL, {"sort": "colour", "dialect": "lotus"})
    assert response.status_code == 400
    assert set(response.json()) == {"sort", "dialect"}
    assert acme_api.get(XLSX_URL, {"dialect": "excel"}).status_code == 400  # CSV only


def test_a_background_excel_export_keeps_the_sort(as_user, acme_admin, three_calls, settings):
    settings.XLSX_SYNC_MAX_ROWS = 1
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = as_user(acme_admin).post(f"{XLSX_URL}?sort=shortest")
    assert response.status_code == 303
    assert ExportJob.objects.for_client(acme_admin.client).get().query == {"sort": "shortest"}


def test_without_dialect_the_csv_has_no_bom_and_commas_in_every_language(
    as_user, french_admin, three_calls
):
    data = body_of(as_user(french_admin).get(CSV_URL))
    assert not data.startswith(codecs.BOM_UTF8)
    assert data.split(b"\n")[0] == b",".join(column.encode() for column in COLUMNS)


def test_the_excel_dialect_for_a_french_user_has_a_bom_and_semicolons(
    as_user, french_admin, three_calls
):
    response = as_user(french_admin).get(CSV_URL, {"dialect": "excel"})
    plain = body_of(as_user(french_admin).get(CSV_URL))
    data = body_of(response)
    assert data.startswith(codecs.BOM_UTF8)
    text = data[len(codecs.BOM_UTF8) :].decode()
    assert text.split("\n")[0] == ";".join(COLUMNS)
    # The same cells as SPEC §6's CSV, only the separator differs.
    assert list(csv.reader(io.StringIO(text), delimiter=";")) == list(
        csv.reader(io.StringIO(plain.decode()))
    )


def test_the_excel_dialect_for_an_english_user_keeps_commas_after_the_bom(
    as_user, acme_admin, three_calls
):
    data = body_of(as_user(acme_admin).get(CSV_URL, {"dialect": "excel"}))
    assert data.startswith(codecs.BOM_UTF8)
    assert data[len(codecs.BOM_UTF8) :].split(b"\n")[0] == ",".join(COLUMNS).encode()


def test_the_openapi_declares_the_exports_sort_and_dialect(schema):
    def names(path):
        return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}

    csv_params, xlsx_params = names(CSV_URL), names(XLSX_URL)
    assert csv_params["dialect"]["schema"]["enum"] == ["excel"]
    assert "longest" in csv_params["sort"]["schema"]["enum"]
    assert "sort" in xlsx_params and "dialect" not in xlsx_params
