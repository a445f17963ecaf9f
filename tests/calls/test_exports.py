from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from unittest import mock
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.signals import request_finished

from calls.exports import COLUMNS, write_xlsx
from calls.services import media_store
from privacy.audit import AuditAction, AuditEvent, identifier_hash
from tests.factories import CallFactory, ContactFactory, TrackingNumberFactory

PARIS = ZoneInfo("Europe/Paris")
CSV_URL = "/api/v1/exports/calls.csv"
XLSX_URL = "/api/v1/exports/calls.xlsx"


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def drop_after_first_chunk(response) -> None:
    """A client that reads one chunk and hangs up: the server closes the response (its generator
    stops there). request_finished is held back meanwhile, as the test client does, since its
    handler would close the test's database connection (the test runs inside a transaction)."""
    next(iter(response.streaming_content))
    with mock.patch.object(request_finished, "send"):
        response.close()


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content(response).decode("utf-8"))))


def xlsx_rows(response) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content(response)))
    return [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def exported(acme, acme_number):
    caller = ContactFactory(client=acme, phone_number="+33612345678")
    first = CallFactory(
        client=acme,
        tracking_number=acme_number,
        contact=caller,
        external_id="ext-1",
        started_at=dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC),
        status="answered",
        duration_seconds=75,
    )
    second = CallFactory(
        client=acme,
        tracking_number=acme_number,
        contact=None,
        external_id="ext-2",
        started_at=dt.datetime(2026, 1, 15, 23, 30, tzinfo=dt.UTC),
        status="missed",
        duration_seconds=0,
    )
    return first, second


def test_the_csv_has_the_columns_in_order_and_the_clients_time(acme_api, exported):
    response = acme_api.get(CSV_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="calls-')
    rows = csv_rows(response)
    assert tuple(rows[0]) == COLUMNS
    first, second = exported
    assert rows[1] == [
        str(first.pk),
        "ext-1",
        "2026-07-01T10:30:00+02:00",
        "+33184800001",
        "Google Ads",
        "+33612345678",
        "inbound",
        "answered",
        "75",
        "false",
        "false",
    ]
    assert rows[2] == [
        str(second.pk),
        "ext-2",
        "2026-01-16T00:30:00+01:00",
        "+33184800001",
        "Google Ads",
        "",
        "inbound",
        "missed",
        "0",
        "false",
        "false",
    ]


def test_the_csv_keeps_the_list_filters(acme_api, exported):
    rows = csv_rows(acme_api.get(CSV_URL, {"status": "missed"}))
    assert [row[1] for row in rows[1:]] == ["ext-2"]
    rows = csv_rows(acme_api.get(CSV_URL, {"caller_number": "+33612345678"}))
    assert [row[1] for row in rows[1:]] == ["ext-1"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_starts_are_neutralised_in_both_formats(acme_api, acme, start):
    number = TrackingNumberFactory(client=acme, number="+33184800002", source=f"{start}SUM(A1)")
    CallFactory(client=acme, tracking_number=number, external_id=f"{start}cmd|calc")
    csv_row = csv_rows(acme_api.get(CSV_URL))[1]
    assert csv_row[1] == f"'{start}cmd|calc" and csv_row[4] == f"'{start}SUM(A1)"
    xlsx_row = xlsx_rows(acme_api.get(XLSX_URL))[1]
    # (openpyxl reads a carriage return back as "_x000D_": the leading quote is what matters)
    assert xlsx_row[1].startswith("'") and xlsx_row[1].endswith("cmd|calc")
    assert xlsx_row[4].startswith("'") and xlsx_row[4].endswith("SUM(A1)")


def test_valid_e164_numbers_are_exported_as_they_are(acme_api, exported):
    row = csv_rows(acme_api.get(CSV_URL))[1]
    assert row[3] == "+33184800001" and row[5] == "+33612345678"
    row = xlsx_rows(acme_api.get(XLSX_URL))[1]
    assert row[3] == "+33184800001" and row[5] == "+33612345678"


def test_the_xlsx_has_typed_cells_a_bold_frozen_header_and_wall_clock_dates(acme_api, exported):
    response = acme_api.get(XLSX_URL)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(content(response)))
    sheet = book.worksheets[0]
    assert tuple(cell.value for cell in sheet[1]) == COLUMNS
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    row = [cell.value for cell in sheet[2]]
    assert row[2] == dt.datetime(2026, 7, 1, 10, 30)
    assert row[8] == 75 and row[9] is False and row[10] is False


def test_the_xlsx_continues_on_a_new_sheet_past_the_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr("calls.exports.XLSX_MAX_ROWS", 4)
    when = dt.datetime(2026, 1, 1, 9, 0)  # rows carry the Client's wall-clock time
    rows = [
        (f"id{i}", "e", when, "+33184800001", "s", "", "inbound", "answered", i, False, False)
        for i in range(7)
    ]
    path = tmp_path / "out.xlsx"
    assert write_xlsx(iter(rows), str(path)) == 7
    book = openpyxl.load_workbook(path)
    assert [sheet.title for sheet in book.worksheets] == ["Calls", "Calls (2)", "Calls (3)"]
    assert [sheet.max_row for sheet in book.worksheets] == [4, 4, 2]
    assert book.worksheets[1]["A1"].value == "call_id"


def test_an_empty_export_has_just_the_header(acme_api, acme):
    assert csv_rows(acme_api.get(CSV_URL)) == [list(COLUMNS)]
    assert xlsx_rows(acme_api.get(XLSX_URL)) == [COLUMNS]


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_an_outsider_never_sees_a_row_of_another_client(globex_api, exported, url):
    response = globex_api.get(url)
    assert response.status_code == 200
    body = content(response)
    assert b"ext-1" not in body and b"+33612345678" not in body


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
@pytest.mark.parametrize(
    "query, field",
    [
        ("status=ringing", "status"),
        ("caller_number=12", "caller_number"),
        ("started_after=2026-02-01&started_before=2026-01-01", "started_before"),
        ("colour=red", "colour"),
    ],
)
def test_bad_filters_are_a_400_naming_them(acme_api, exported, url, query, field):
    response = acme_api.get(f"{url}?{query}")
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_roles_and_scopes_decide_who_exports(
    as_user, acme_analyst, acme_manager, acme_ingest_api, acme_read_api, exported, url
):
    refused = as_user(acme_analyst).get(url)
    assert refused.status_code == 403
    assert refused.json()["detail"].endswith("or an API key with the “read” scope.")
    assert acme_ingest_api.get(url).status_code == 403
    assert acme_read_api.get(url).status_code == 200
    assert as_user(acme_manager).get(url).status_code == 200


def test_every_export_is_audited_without_phone_numbers(acme_api, exported):
    content(acme_api.get(CSV_URL, {"caller_number": "+33612345678"}))
    content(acme_api.get(XLSX_URL))
    events = list(
        AuditEvent.objects.filter(action=AuditAction.CALLS_EXPORTED).order_by("occurred_at")
    )
    assert [event.metadata["format"] for event in events] == ["csv", "xlsx"]
    assert events[0].metadata["rows"] == 1 and events[1].metadata["rows"] == 2
    assert events[0].metadata["filters"]["caller_number"] == identifier_hash("+33612345678")
    assert "+33612345678" not in str(events[0].metadata)


def test_a_csv_download_is_audited_when_it_starts_even_if_dropped_after_one_chunk(
    acme_api, exported
):
    response = acme_api.get(CSV_URL, {"caller_number": "+33612345678"})
    drop_after_first_chunk(response)
    event = AuditEvent.objects.get(action=AuditAction.CALLS_EXPORTED)
    assert event.metadata["format"] == "csv" and event.metadata["rows"] == 1
    assert event.metadata["filters"]["caller_number"] == identifier_hash("+33612345678")


def test_the_call_list_offers_export_buttons_that_keep_the_filters(
    as_user, acme_manager, acme_analyst
):
    page = as_user(acme_manager).get("/calls/", {"status": "missed"}).content.decode()
    assert (
        "/api/v1/exports/calls.csv?status=missed" in page
        and "/api/v1/exports/calls.xlsx?status=missed" in page
    )
    assert "Export CSV" not in as_user(acme_analyst).get("/calls/").content.decode()


# --- the Contact's access bundle ---------------------------------------------------------------

BUNDLE_URL = "/api/v1/contacts/export/"


@pytest.fixture
def contact_with_media(acme, exported):
    first, _ = exported
    media_store(
        call=first, kind="recording", content_type="audio/wav", chunks=[b"RIFF-recording-bytes"]
    )
    media_store(call=first, kind="voicemail", content_type="audio/ogg", chunks=[b"OggS-voicemail"])
    return first


def test_the_bundle_holds_the_calls_and_the_decrypted_audio(
    as_user, acme_admin, contact_with_media
):
    response = as_user(acme_admin).get(BUNDLE_URL, {"phone": "+33 6 12 34 56 78"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(content(response)))
    call_id = contact_with_media.pk
    assert sorted(archive.namelist()) == sorted(
        ["calls.csv", f"recordings/{call_id}.wav", f"voicemails/{call_id}.ogg"]
    )
    assert archive.read(f"recordings/{call_id}.wav") == b"RIFF-recording-bytes"
    assert archive.read(f"voicemails/{call_id}.ogg") == b"OggS-voicemail"
    rows = list(csv.reader(io.StringIO(archive.read("calls.csv").decode())))
    assert tuple(rows[0]) == COLUMNS and [row[1] for row in rows[1:]] == ["ext-1"]
    event = AuditEvent.objects.get(action=AuditAction.CONTACT_EXPORTED)
    assert (
        event.metadata["phone"] == identifier_hash("+33612345678")
        and event.metadata["recordings"] == 1
    )


def test_a_contact_bundle_is_audited_when_it_starts_even_if_dropped_after_one_chunk(
    as_user, acme_admin, contact_with_media
):
    response = as_user(acme_admin).get(BUNDLE_URL, {"phone": "+33612345678"})
    drop_after_first_chunk(response)
    event = AuditEvent.objects.get(action=AuditAction.CONTACT_EXPORTED)
    assert event.metadata["phone"] == identifier_hash("+33612345678")
    assert (event.metadata["rows"], event.metadata["recordings"]) == (1, 1)


@pytest.mark.parametrize(
    "query, status", [({}, 400), ({"phone": "call me"}, 400), ({"phone": "+33699999999"}, 404)]
)
def test_the_bundle_refuses_bad_or_unknown_numbers(as_user, acme_admin, exported, query, status):
    assert as_user(acme_admin).get(BUNDLE_URL, query).status_code == status


def test_an_outsider_gets_404_for_acmes_contact(as_user, globex_admin, contact_with_media):
    assert as_user(globex_admin).get(BUNDLE_URL, {"phone": "+33612345678"}).status_code == 404


def test_only_admin_sessions_export_a_contact(
    as_user, acme_manager, acme_analyst, acme_api, contact_with_media
):
    for browser in (as_user(acme_manager), as_user(acme_analyst), acme_api):
        assert browser.get(BUNDLE_URL, {"phone": "+33612345678"}).status_code == 403


def test_the_contacts_page_finds_a_contact_for_admins_only(
    as_user, acme_admin, acme_manager, globex_admin, contact_with_media
):
    page = as_user(acme_admin).get("/contacts/", {"phone": "+33612345678"})
    assert (
        page.status_code == 200
        and "1 call" in page.content.decode()
        and "1 recording" in page.content.decode()
    )
    assert as_user(acme_admin).get("/contacts/", {"phone": "+33699999999"}).status_code == 404
    assert as_user(acme_admin).get("/contacts/", {"phone": "nope"}).status_code == 400
    assert as_user(acme_manager).get("/contacts/").status_code == 403
    assert as_user(globex_admin).get("/contacts/", {"phone": "+33612345678"}).status_code == 404


def test_a_bundle_whose_recording_key_left_the_keyring_says_so_not_tampering(
    as_user, acme_admin, contact_with_media, settings
):
    settings.RECORDING_KEYS = {"other": b"o" * 32}
    response = as_user(acme_admin).get(BUNDLE_URL, {"phone": "+33612345678"})
    assert response.status_code == 503 and "not configured" in response.json()["detail"]
    assert not AuditEvent.objects.filter(action=AuditAction.CONTACT_EXPORTED).exists()


# --- one CSV whatever the database (SPEC §6; issue 13) ------------------------------------------


def test_csv_times_are_whole_seconds_on_every_database(acme_api, acme, acme_number):
    CallFactory(
        client=acme,
        tracking_number=acme_number,
        started_at=dt.datetime(2026, 1, 15, 22, 59, 59, 999_999, tzinfo=dt.UTC),
    )
    assert csv_rows(acme_api.get(CSV_URL))[1][2] == "2026-01-15T23:59:59+01:00"


def test_an_xlsx_call_a_microsecond_before_midnight_stays_on_its_day(acme_api, acme, acme_number):
    CallFactory(
        client=acme,
        tracking_number=acme_number,
        started_at=dt.datetime(2026, 1, 15, 22, 59, 59, 999_999, tzinfo=dt.UTC),
    )
    assert xlsx_rows(acme_api.get(XLSX_URL))[1][2] == dt.datetime(2026, 1, 15, 23, 59, 59)


@pytest.mark.postgres
@pytest.mark.parametrize("time_zone", ["Europe/Paris", "America/New_York", "Asia/Kathmandu", "UTC"])
@pytest.mark.parametrize("delimiter", [",", ";"])  # SPEC §6's, and the French excel dialect's
def test_copy_and_the_orm_write_the_same_csv_bytes(acme, acme_number, time_zone, delimiter):
    from calls.exports import _csv_copy, csv_rows_python
    from calls.filters import CallFilters
    from calls.selectors import call_list

    acme.time_zone = time_zone
    acme.save(update_fields=["time_zone"])
    odd_number = TrackingNumberFactory(client=acme, number="+33184800009", source="")
    quoted = TrackingNumberFactory(client=acme, number="+33184800008", source='say "hi"; then,\n')
    cases = [
        (acme_number, ContactFactory(client=acme, phone_number="+33612345678"), "plain"),
        (odd_number, None, "=cmd|calc"),
        (quoted, ContactFactory(client=acme, phone_number="-not-e164"), "\rcarriage"),
        (quoted, ContactFactory(client=acme, phone_number=""), 'comma, and "quote"'),
    ]
    for index, (number, contact, external_id) in enumerate(cases):
        CallFactory(
            client=acme,
            tracking_number=number,
            contact=contact,
            external_id=external_id,
            started_at=dt.datetime(2026, 3, 29, 0, 59, 59, 999_999 - index, tzinfo=dt.UTC)
            + dt.timedelta(hours=index),
            has_recording=index % 2 == 0,
            duration_seconds=index * 61,
        )
    calls = call_list(client=acme, filters=CallFilters())
    copied = b"".join(_csv_copy(calls, client=acme, delimiter=delimiter))
    assert copied.count(b"\n") >= len(cases) + 1
    assert copied == b"".join(csv_rows_python(calls, client=acme, delimiter=delimiter))


def test_a_bundle_whose_recording_was_tampered_is_refused_with_409(
    as_user, acme_admin, contact_with_media, settings
):
    from calls.models import Recording

    media = Recording.objects.for_client(contact_with_media.client).get()
    path = settings.RECORDING_STORAGE_DIR / media.storage_name
    path.write_bytes(path.read_bytes()[:-1])
    response = as_user(acme_admin).get(BUNDLE_URL, {"phone": "+33612345678"})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "A stored recording failed its integrity check; the incident was logged."
    }
    assert not AuditEvent.objects.filter(action=AuditAction.CONTACT_EXPORTED).exists()
