"""The recording task on a real Celery worker against Redis and PostgreSQL: a recording callback
over real HTTP enqueues it, the worker streams the provider's copy into encrypted storage and
deletes it at the provider."""

from __future__ import annotations

import os
import time

import pytest
from django.db import connection

from calls.media.objects import object_open
from calls.models import Recording
from telephony.models import ProviderRecording, RecordingState
from tests.celery_worker import real_celery_worker
from tests.telephony.conftest import sid
from tests.telephony.fake_twilio import Served, wav_bytes

pytestmark = [pytest.mark.services, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _environment(settings, provider) -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dexem.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "DEXEM_CELERY_EAGER": "0",
        # The worker must write where this process reads, and fetch from the fake provider.
        "RECORDING_STORAGE_DIR": str(settings.RECORDING_STORAGE_DIR),
        "TWILIO_API_BASE": provider.base_url,
    }


def test_a_real_worker_fetches_encrypts_and_deletes_the_recording(
    twilio, provider, acme_account, forwarded_number, settings, tmp_path
):
    env = _environment(settings, provider)
    call_sid, recording_sid, audio = sid("CA"), sid("RE"), wav_bytes(2_500_000, seed=5)
    provider.recordings[recording_sid] = Served(body=audio)
    with real_celery_worker(env, tmp_path / "worker.log"):
        assert twilio.voice(call_sid, to=forwarded_number.number).status_code == 200
        assert twilio.dial_status(call_sid, "completed", 20).status_code == 200
        callback = twilio.recording(call_sid, recording_sid, api_base=provider.base_url)
        assert callback.status_code == 204
        deadline = time.monotonic() + 90
        state = None
        while time.monotonic() < deadline:
            state = ProviderRecording.objects.across_clients().values_list("state", flat=True)[0]
            if state == RecordingState.DONE:
                break
            time.sleep(0.5)
    details = (tmp_path / "worker.log").read_text()[-3000:]
    assert state == RecordingState.DONE, details
    assert provider.gets == [recording_sid] and provider.deletes == [recording_sid]
    recording = Recording.objects.across_clients().get()
    opened = object_open(
        storage_name=recording.storage_name,
        object_id=recording.pk,
        key_id=recording.key_id,
        wrapped_key=recording.wrapped_key,
        size_bytes=recording.size_bytes,
    )
    assert b"".join(opened.iter_range(0, recording.size_bytes - 1)) == audio
