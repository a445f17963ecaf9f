"""Erasing a Contact shreds the background exports that may hold its number (issue 13)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from calls.models import ExportJob, ExportJobStatus
from calls.services import export_job_run
from privacy.erasure import contact_erase_across_clients, contact_preview_across_clients
from tests.factories import CallFactory, ContactFactory, ExportJobFactory

PHONE = "+33612345678"


def _stored_files() -> set[str]:
    root = settings.RECORDING_STORAGE_DIR
    return {str(path.relative_to(root)) for path in root.rglob("*.dxm") if path.is_file()}


def _finished(job: ExportJob) -> ExportJob:
    job = export_job_run(job=job)
    assert job.status == ExportJobStatus.DONE and job.storage_name in _stored_files()
    return job


def test_erasing_a_contact_shreds_the_file_of_an_export_that_holds_its_calls(
    acme, globex, acme_number
):
    contact = ContactFactory(client=acme, phone_number=PHONE)
    CallFactory(client=acme, tracking_number=acme_number, contact=contact)
    every_call = _finished(ExportJobFactory(client=acme, query={}))
    by_number = _finished(
        ExportJobFactory(client=acme, query={"caller_number": "+33 6 12 34 56 78"})
    )
    yesterday = (timezone.now() - dt.timedelta(days=2)).date().isoformat()
    before_the_call = _finished(ExportJobFactory(client=acme, query={"started_before": yesterday}))
    CallFactory(client=globex)
    other_client = _finished(ExportJobFactory(client=globex, query={}))

    assert contact_preview_across_clients(phone=PHONE).total["export_jobs"] == 2
    done = contact_erase_across_clients(phone=PHONE)

    assert done.total["export_jobs"] == 2
    files = _stored_files()
    assert every_call.storage_name not in files and by_number.storage_name not in files
    assert (
        not ExportJob.objects.across_clients().filter(pk__in=[every_call.pk, by_number.pk]).exists()
    )
    # An export of a period without the Contact's calls, and another Client's, stay.
    assert before_the_call.storage_name in files and other_client.storage_name in files


def test_an_export_whose_query_no_longer_parses_is_shredded_to_be_safe(acme, acme_number):
    contact = ContactFactory(client=acme, phone_number=PHONE)
    CallFactory(client=acme, tracking_number=acme_number, contact=contact)
    job = ExportJobFactory(client=acme, query={"started_after": "not a date"})
    contact_erase_across_clients(phone=PHONE, client=acme)
    assert not ExportJob.objects.across_clients().filter(pk=job.pk).exists()


def test_a_status_filter_does_not_save_an_export_from_shredding(acme, acme_number):
    # The call was missed when exported, answered since: the file may hold it all the same.
    contact = ContactFactory(client=acme, phone_number=PHONE)
    CallFactory(client=acme, tracking_number=acme_number, contact=contact, status="answered")
    job = ExportJobFactory(client=acme, query={"status": "missed"})
    contact_erase_across_clients(phone=PHONE, client=acme)
    assert not ExportJob.objects.across_clients().filter(pk=job.pk).exists()


def test_an_export_shredded_while_it_runs_leaves_no_file_behind(acme, acme_number, monkeypatch):
    from calls.services import exports as services

    contact = ContactFactory(client=acme, phone_number=PHONE)
    CallFactory(client=acme, tracking_number=acme_number, contact=contact)
    job = ExportJobFactory(client=acme, query={})
    real_write = services.object_write

    def erased_meanwhile(**kwargs):
        # The erasure runs while the export writes its file (it already read the rows).
        contact_erase_across_clients(phone=PHONE, client=acme)
        return real_write(**kwargs)

    monkeypatch.setattr(services, "object_write", erased_meanwhile)
    before = _stored_files()
    export_job_run(job=job)
    assert not ExportJob.objects.across_clients().filter(pk=job.pk).exists()
    assert _stored_files() == before  # the file written after the shredding went too
