from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
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
        response = browser.get(XLSX_URL)
    job = ExportJob.objects.across_clients().get()
    assert response.status_code == 302 and response.url == f"/exports/{job.pk}/"
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
        response = acme_read_api.get(XLSX_URL)
    assert response.status_code == 202
    job = ExportJob.objects.across_clients().get()
    assert response["Location"] == f"/api/v1/exports/jobs/{job.pk}/"
    assert acme_read_api.get(response["Location"]).json()["status"] == "done"


def test_an_outsider_cannot_see_or_download_a_job(
    as_user, acme_manager, globex_admin, many_calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(acme_manager).get(XLSX_URL)
    job = ExportJob.objects.across_clients().get()
    outsider = as_user(globex_admin)
    assert outsider.get(f"/exports/{job.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/exports/jobs/{job.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/exports/jobs/{job.pk}/download").status_code == 404


def test_an_analyst_cannot_follow_a_job(
    as_user, acme_manager, acme_analyst, many_calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(acme_manager).get(XLSX_URL)
    job = ExportJob.objects.across_clients().get()
    assert as_user(acme_analyst).get(f"/api/v1/exports/jobs/{job.pk}/").status_code == 403
    assert as_user(acme_analyst).get(f"/exports/{job.pk}/").status_code == 403


def test_finished_exports_are_shredded_after_24_hours(
    as_user, acme_manager, many_calls, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(acme_manager).get(XLSX_URL)
    job = ExportJob.objects.across_clients().get()
    path = settings.RECORDING_STORAGE_DIR / job.storage_name
    assert (
        export_jobs_purge_expired_across_clients(now=timezone.now() + dt.timedelta(hours=23)) == 0
    )
    assert (
        export_jobs_purge_expired_across_clients(now=timezone.now() + dt.timedelta(hours=25)) == 1
    )
    assert not path.exists() and not ExportJob.objects.across_clients().exists()
