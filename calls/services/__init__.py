"""Every write of the calls app (STYLE.md §2), a module per subject: `numbers` (tracking numbers),
`ingest` (calls), `media` (encrypted recordings and voice messages), `exports` (audit records and
background Excel jobs), `contacts` (erasure and restriction). Callers import from here.
"""

from __future__ import annotations

from calls.services.contacts import (
    DETACH_BATCH,
    ContactErasure,
    contact_erase,
    contact_lift_restriction,
    contact_restrict,
)
from calls.services.exports import (
    EXPORT_JOB_OPEN,
    EXPORT_LIFETIME,
    EXPORT_PURGE_PER_RUN,
    ExportJobLimitReached,
    export_job_download_record,
    export_job_fail,
    export_job_request,
    export_job_run,
    export_job_shred,
    export_jobs_purge_expired_across_clients,
    export_record,
)
from calls.services.ingest import (
    UNKNOWN_TRACKING_NUMBER,
    call_ingest,
    call_outcome_set,
    calls_attribution_copy,
)
from calls.services.media import (
    PLAY_WINDOW,
    ROTATE_BATCH,
    UnsupportedAudio,
    key_then_file_destroy,
    media_keys_rotate_across_clients,
    media_play_record,
    media_shred,
    media_store,
)
from calls.services.numbers import (
    ANNOUNCEMENTS,
    TRACKING_NUMBER_EDITABLE,
    announcement_default,
    client_language,
    tracking_number_create,
    tracking_number_set_active,
    tracking_number_update,
)

__all__ = [
    "ANNOUNCEMENTS",
    "DETACH_BATCH",
    "EXPORT_JOB_OPEN",
    "EXPORT_LIFETIME",
    "EXPORT_PURGE_PER_RUN",
    "PLAY_WINDOW",
    "ROTATE_BATCH",
    "TRACKING_NUMBER_EDITABLE",
    "UNKNOWN_TRACKING_NUMBER",
    "ContactErasure",
    "ExportJobLimitReached",
    "UnsupportedAudio",
    "announcement_default",
    "call_ingest",
    "call_outcome_set",
    "calls_attribution_copy",
    "client_language",
    "contact_erase",
    "contact_lift_restriction",
    "contact_restrict",
    "export_job_download_record",
    "export_job_fail",
    "export_job_request",
    "export_job_run",
    "export_job_shred",
    "export_jobs_purge_expired_across_clients",
    "export_record",
    "key_then_file_destroy",
    "media_keys_rotate_across_clients",
    "media_play_record",
    "media_shred",
    "media_store",
    "tracking_number_create",
    "tracking_number_set_active",
    "tracking_number_update",
]
