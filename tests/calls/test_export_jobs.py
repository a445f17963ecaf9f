from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from calls.models import ExportJob
from calls.services import export_jobs_purge_expired_across_clients
from tests.factories import CallFactory

XLSX_URL = "/api/v1/exports/calls.xlsx"


@pytest.fixture
def many_calls(acme, acme_number, settings):
    settings.XLSX_SYNC_MAX_ROWS = 2
    return CallFactory.create_batch(3, client=acme, tracking_number=acme_number)


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_large_export_from_the_browser_becomes_a_job_with_a_progress_page(
    as_user, acme_manager, many_calls, django_capture_on_commit_callbacks
):
    browser = as_user(acme_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(XLSX_URL)
    job = ExportJob.objects.across_clients().get()
    assert response.status_code == 303 and response.url == f"/exports/{job.pk}/"
    page = browser.get(response.url)
    assert page.status_code == 200 and 'id="export-progress"' in page.content.decode()
    status = browser.get(f"/api/v1/exports/jobs/{job.pk}/").json()
    assert status["status"] == "done" and status["percent"] == 100 and status["total_rows"] == 3
    download = browser.get(status["download_url"])
    book = openpyxl.load_workbook(io.BytesIO(_content(download)))
    assert book.worksheets[0].max_row == 4
    job.refresh_from_db()
    assert job.expires_at - job.finished_at == dt.timedelta(hours=24)
    from django.conf import settings

    stored = (settings.RECORDING_STORAGE_DIR / job.storage_name).read_bytes()
    assert not stored.startswith(b"PK")  # encrypted at rest, not a bare zip/xlsx


def test_a_key_gets_202_with_the_jobs_location(
    acme_read_api, many_calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = acme_read_api.post(XLSX_URL)
    assert response.status_code == 202
    job = ExportJob.objects.across_clients().get()
    assert response["Location"] == f"/api/v1/exports/jobs/{job.pk}/"
    assert acme_read_api.get(response["Location"]).json()["status"] == "done"


def test_an_outsider_cannot_see_or_download_a_job(
    as_user, acme_manager, globex_admin, many_calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(acme_manager).post(XLSX_URL)
    job = ExportJob.objects.across_clients().get()
    outsider = as_user(globex_admin)
    assert outsider.get(f"/exports/{job.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/exports/jobs/{job.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/exports/jobs/{job.pk}/download").status_code == 404


def test_an_analyst_cannot_follow_a_job(
    as_user, acme_manager, acme_analyst, many_calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(acme_manager).post(XLSX_URL)
    job = ExportJob.objects.across_clients().get()
    assert as_user(acme_analyst).get(f"/api/v1/exports/jobs/{job.pk}/").status_code == 403
    assert as_user(acme_analyst).get(f"/exports/{job.pk}/").status_code == 403


def test_finished_exports_are_shredded_after_24_hours(
    as_user, acme_manager, many_calls, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(acme_manager).post(XLSX_URL)
    job = ExportJob.objects.across_clients().get()
    path = settings.RECORDING_STORAGE_DIR / job.storage_name
    assert (
        export_jobs_purge_expired_across_clients(now=timezone.now() + dt.timedelta(hours=23)) == 0
    )
    assert (
        export_jobs_purge_expired_across_clients(now=timezone.now() + dt.timedelta(hours=25)) == 1
    )
    assert not path.exists() and not ExportJob.objects.across_clients().exists()


# --- a job is made only by a POST, reused, and capped per Client (issue 12, finding 8) ---------


def test_a_get_of_a_large_export_makes_no_job_and_says_to_post(
    acme_read_api, as_user, acme_manager, many_calls
):
    for browser in (acme_read_api, as_user(acme_manager)):
        response = browser.get(XLSX_URL)
        assert response.status_code == 409 and "POST" in response.json()["detail"]
    assert not ExportJob.objects.across_clients().exists()


def test_a_small_export_is_still_a_direct_download_by_get_or_post(
    acme_read_api, many_calls, settings
):
    settings.XLSX_SYNC_MAX_ROWS = 10
    for response in (acme_read_api.get(XLSX_URL), acme_read_api.post(XLSX_URL)):
        assert response.status_code == 200
        assert openpyxl.load_workbook(io.BytesIO(_content(response))).worksheets[0].max_row == 4
    assert not ExportJob.objects.across_clients().exists()


def test_a_session_post_needs_its_csrf_token(acme_manager, many_calls):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(acme_manager)
    assert browser.post(XLSX_URL).status_code == 403
    assert not ExportJob.objects.across_clients().exists()
    page = browser.get("/calls/")
    token = page.cookies["csrftoken"].value
    response = browser.post(XLSX_URL, {"csrfmiddlewaretoken": token})
    assert response.status_code == 303, response.content
    assert ExportJob.objects.across_clients().count() == 1


def test_asking_again_for_the_same_filters_answers_the_open_job(
    as_user, acme_manager, acme_admin, acme_read_api, many_calls
):
    manager = as_user(acme_manager)
    first = manager.post(XLSX_URL + "?started_after=2000-01-01")
    again = manager.post(XLSX_URL + "?started_after=2000-01-01")
    assert first.status_code == again.status_code == 303 and first.url == again.url
    assert ExportJob.objects.across_clients().count() == 1
    # Other filters, or another requester, is another job.
    assert manager.post(XLSX_URL).url != first.url
    assert ExportJob.objects.across_clients().count() == 2
    key_first = acme_read_api.post(XLSX_URL).json()["id"]
    assert acme_read_api.post(XLSX_URL).json()["id"] == key_first
    assert ExportJob.objects.across_clients().count() == 3


def test_a_finished_job_is_not_reused(as_user, acme_manager, many_calls):
    manager = as_user(acme_manager)
    first = manager.post(XLSX_URL)
    ExportJob.objects.across_clients().update(status="done")
    assert manager.post(XLSX_URL).url != first.url


def test_past_the_cap_of_open_jobs_a_client_gets_429(
    as_user,
    acme_manager,
    acme_admin,
    acme_read_api,
    globex_admin,
    globex_number,
    many_calls,
    settings,
):
    settings.EXPORT_JOBS_MAX_OPEN_PER_CLIENT = 2
    assert as_user(acme_manager).post(XLSX_URL + "?started_after=2000-01-01").status_code == 303
    assert as_user(acme_admin).post(XLSX_URL + "?started_after=2000-01-02").status_code == 303
    refused = acme_read_api.post(XLSX_URL)
    assert refused.status_code == 429
    assert "already has 2 Excel exports in preparation" in refused.json()["detail"]
    page = as_user(acme_manager).post(XLSX_URL + "?started_after=2000-01-03")
    assert page.status_code == 429 and "in preparation" in page.content.decode()
    assert ExportJob.objects.across_clients().count() == 2
    # Asking again for an open job is still answered; another Client has its own cap.
    assert as_user(acme_manager).post(XLSX_URL + "?started_after=2000-01-01").status_code == 303
    CallFactory.create_batch(3, client=globex_number.client, tracking_number=globex_number)
    assert as_user(globex_admin).post(XLSX_URL).status_code == 303
    # A job finished, failed, or open for longer than a day (its worker lost) frees a place.
    ExportJob.objects.across_clients().filter(query__started_after__startswith="2000-01-01").update(
        status="failed"
    )
    assert acme_read_api.post(XLSX_URL).status_code == 202
    ExportJob.objects.across_clients().filter(query__started_after__startswith="2000-01-02").update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    assert as_user(acme_manager).post(XLSX_URL + "?started_after=2000-01-03").status_code == 303


def test_the_call_list_posts_the_excel_export_with_a_csrf_token(as_user, acme_manager):
    page = as_user(acme_manager).get("/calls/", {"status": "missed"}).content.decode()
    assert '<form method="post" action="/api/v1/exports/calls.xlsx?status=missed"' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_a_finished_export_whose_key_left_the_keyring_says_so_not_tampering(
    as_user, acme_manager, many_calls, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(acme_manager).post(XLSX_URL)
    job = ExportJob.objects.across_clients().get()
    settings.RECORDING_KEYS = {"other": b"o" * 32}
    response = as_user(acme_manager).get(f"/api/v1/exports/jobs/{job.pk}/download")
    assert response.status_code == 503 and "not configured" in response.json()["detail"]


def test_a_finished_export_whose_file_was_tampered_is_refused_with_409_and_logged(
    as_user, acme_manager, many_calls, django_capture_on_commit_callbacks, settings, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(acme_manager).post(XLSX_URL)
    job = ExportJob.objects.across_clients().get()
    path = settings.RECORDING_STORAGE_DIR / job.storage_name
    path.write_bytes(path.read_bytes()[:-1])
    response = as_user(acme_manager).get(f"/api/v1/exports/jobs/{job.pk}/download")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "The export file failed its integrity check; export again."
    }
    record = next(r for r in caplog.records if "failed its integrity check" in r.getMessage())
    assert record.view == "ExportJobDownloadAPI" and record.job_id == str(job.pk)


def test_every_download_of_a_finished_job_is_audited_with_its_downloader(
    as_user,
    acme,
    acme_manager,
    acme_number,
    acme_read_api,
    many_calls,
    django_capture_on_commit_callbacks,
):
    from urllib.parse import quote

    from privacy.audit import AuditAction, AuditEvent, identifier_hash
    from tests.factories import UserFactory

    number = acme_number.number
    with django_capture_on_commit_callbacks(execute=True):
        as_user(acme_manager).post(f"{XLSX_URL}?tracking_number={quote(number)}")
    job = ExportJob.objects.across_clients().get()
    url = f"/api/v1/exports/jobs/{job.pk}/download"
    other_manager = UserFactory(client=acme, role="manager", email="mgr2@acme.example")
    exported = AuditEvent.objects.filter(
        action=AuditAction.CALLS_EXPORTED, metadata__job=str(job.pk)
    )

    browser = Client()
    browser.force_login(other_manager)
    download = browser.get(url)
    # On record as the download starts, before a byte is read.
    assert download.status_code == 200 and exported.count() == 1
    _content(download)
    event = exported.get()
    assert event.client_id == acme.pk and event.actor_kind == "user"
    assert event.actor_hash == identifier_hash(f"user:{other_manager.pk}")
    assert event.metadata["rows"] == 3
    assert event.metadata["filters"] == {"tracking_number": identifier_hash(number)}
    assert number not in str(event.metadata)

    assert acme_read_api.get(url).status_code == 200
    assert exported.count() == 2
    assert exported.filter(actor_kind="api_key").count() == 1
