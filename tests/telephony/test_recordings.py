"""Recordings and voice messages: fetched from the provider (on loopback), streamed through the
encryptor into storage, then deleted at the provider; never deleted there before we hold them."""

from __future__ import annotations

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import api_key_create
from calls.media.objects import object_open
from calls.models import Call, CallStatus, Recording, VoiceMessage
from privacy.audit import AuditAction, AuditEvent
from telephony import services
from telephony.models import ProviderCall, ProviderRecording, RecordingState
from telephony.services import recordings
from telephony.tasks import FETCH_RETRIES
from tests.telephony.conftest import sid
from tests.telephony.fake_twilio import Served, wav_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def _plaintext(media) -> bytes:
    opened = object_open(
        storage_name=media.storage_name,
        object_id=media.pk,
        key_id=media.key_id,
        wrapped_key=media.wrapped_key,
        size_bytes=media.size_bytes,
    )
    return b"".join(opened.iter_range(0, media.size_bytes - 1))


@pytest.fixture
def answered_call(twilio, acme_account, forwarded_number):
    call_sid = sid("CA")
    twilio.voice(call_sid, to=forwarded_number.number)
    twilio.dial_status(call_sid, "completed", 30)
    return call_sid


def test_a_recording_is_fetched_encrypted_then_deleted_at_the_provider(
    twilio, provider, answered_call
):
    recording_sid, audio = sid("RE"), wav_bytes(300_000)
    provider.recordings[recording_sid] = Served(body=audio)
    response = twilio.recording(answered_call, recording_sid, api_base=provider.base_url)
    assert response.status_code == 204
    call = Call.objects.across_clients().get(external_id=answered_call)
    assert call.has_recording and not call.has_voicemail
    recording = Recording.objects.across_clients().get(call=call)
    assert recording.content_type == "audio/wav" and recording.size_bytes == len(audio)
    assert _plaintext(recording) == audio
    assert recording.sha256 == ""  # no digest: nobody to hand it to, and AES-GCM guards it
    assert provider.gets == [recording_sid] and provider.deletes == [recording_sid]
    assert provider.refused == 0
    assert ProviderRecording.objects.across_clients().get().state == RecordingState.DONE
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        AuditAction.PROVIDER_RECORDING_FETCHED,
        AuditAction.PROVIDER_RECORDING_DELETED,
    } <= actions
    # The provider retries the callback: nothing is fetched again.
    assert (
        twilio.recording(answered_call, recording_sid, api_base=provider.base_url).status_code
        == 204
    )
    assert provider.gets == [recording_sid]
    assert Recording.objects.across_clients().count() == 1


def _failing_cases(monkeypatch, settings) -> dict[str, Served]:
    settings.RECORDING_MAX_BYTES = 100_000
    monkeypatch.setattr(recordings, "READ_TIMEOUT", 0.5)
    return {
        "provider_error": Served(body=wav_bytes(1000), status=500),
        "not_audio": Served(body=b"<html>login</html>", content_type="text/html"),
        "audio_type_but_not_wav": Served(body=b"\x00" * 2000, content_type="audio/x-wav"),
        "larger_than_the_cap": Served(body=wav_bytes(150_000)),
        "larger_than_the_cap_undeclared": Served(body=wav_bytes(150_000), declare_length=False),
        "stalled": Served(body=wav_bytes(1000), delay=2.0),
    }


@pytest.mark.parametrize(
    "case",
    [
        "provider_error",
        "not_audio",
        "audio_type_but_not_wav",
        "larger_than_the_cap",
        "larger_than_the_cap_undeclared",
        "stalled",
    ],
)
def test_a_failing_download_is_retried_then_the_recording_is_unavailable_and_kept_there(
    case, twilio, provider, answered_call, monkeypatch, settings, as_user, acme_admin
):
    recording_sid = sid("RE")
    provider.recordings[recording_sid] = _failing_cases(monkeypatch, settings)[case]
    response = twilio.recording(answered_call, recording_sid, api_base=provider.base_url)
    assert response.status_code == 204
    pending = ProviderRecording.objects.across_clients().get()
    assert pending.state == RecordingState.UNAVAILABLE
    assert pending.attempts == FETCH_RETRIES + 1
    assert provider.gets == [recording_sid] * (FETCH_RETRIES + 1)
    assert provider.deletes == []  # never deleted before we hold it encrypted
    call = Call.objects.across_clients().get(external_id=answered_call)
    assert not call.has_recording and not Recording.objects.across_clients().exists()
    page = as_user(acme_admin).get(f"/calls/{call.pk}/")
    assert b"recording unavailable" in page.content


def test_a_later_callback_tries_again_after_giving_up(
    twilio, provider, answered_call, monkeypatch, settings
):
    recording_sid = sid("RE")
    provider.recordings[recording_sid] = Served(body=wav_bytes(1000), status=503)
    twilio.recording(answered_call, recording_sid, api_base=provider.base_url)
    assert ProviderRecording.objects.across_clients().get().state == RecordingState.UNAVAILABLE
    provider.recordings[recording_sid] = Served(body=wav_bytes(5000))
    twilio.recording(answered_call, recording_sid, api_base=provider.base_url)
    assert ProviderRecording.objects.across_clients().get().state == RecordingState.DONE
    assert provider.deletes == [recording_sid]


def test_a_failed_deletion_is_retried_without_fetching_again(twilio, provider, answered_call):
    recording_sid = sid("RE")
    provider.recordings[recording_sid] = Served(body=wav_bytes(5000))
    provider.delete_status = 500
    twilio.recording(answered_call, recording_sid, api_base=provider.base_url)
    recording = ProviderRecording.objects.across_clients().get()
    assert recording.state == RecordingState.STORED  # ours is stored; theirs still to delete
    assert provider.gets == [recording_sid]
    assert provider.deletes == [recording_sid] * (FETCH_RETRIES + 1)
    assert Call.objects.across_clients().get(external_id=answered_call).has_recording


def test_a_whole_call_to_voicemail_end_to_end(
    twilio, provider, acme, acme_account, forwarded_number, live_server
):
    """voice → dial-status (no answer) → voicemail recording callback → status; then the call
    is listed as voicemail, its message plays and decrypts to the provider's bytes, and the
    provider saw the DELETE."""
    call_sid, recording_sid, audio = sid("CA"), sid("RE"), wav_bytes(200_000, seed=3)
    assert twilio.voice(call_sid, to=forwarded_number.number).status_code == 200
    assert twilio.dial_status(call_sid, "no-answer").status_code == 200
    provider.recordings[recording_sid] = Served(body=audio)
    callback = twilio.recording(
        call_sid, recording_sid, api_base=provider.base_url, kind="voicemail"
    )
    assert callback.status_code == 204
    assert twilio.status(call_sid, "completed", 41).status_code == 200

    _, key = api_key_create(client=acme, name="reader", scopes=["read"])
    headers = {"Authorization": f"Api-Key {key}"}
    listed = requests.get(
        f"{live_server.url}/api/v1/calls/?status=voicemail", headers=headers, timeout=10
    ).json()["results"]
    assert [(row["external_id"], row["has_voicemail"]) for row in listed] == [(call_sid, True)]
    assert listed[0]["status"] == CallStatus.VOICEMAIL and listed[0]["duration_seconds"] == 41
    played = requests.get(
        f"{live_server.url}/api/v1/calls/{listed[0]['id']}/voicemail/", headers=headers, timeout=10
    )
    assert played.status_code == 200 and played.content == audio
    assert _plaintext(VoiceMessage.objects.across_clients().get()) == audio
    assert provider.deletes == [recording_sid]


def test_the_encrypted_copy_commits_with_its_stored_state_in_one_transaction(
    provider, answered_call, acme
):
    recording_sid, audio = sid("RE"), wav_bytes(3 * 1024 * 1024 + 5)
    provider.recordings[recording_sid] = Served(body=audio)
    leg = ProviderCall.objects.for_client(acme).get(provider_call_id=answered_call)
    recording = ProviderRecording.objects.create(
        client=acme, provider_call=leg, provider_recording_id=recording_sid, kind="recording"
    )
    recording = services.provider_recording_get_across_clients(str(recording.pk))
    with CaptureQueriesContext(connection) as queries:
        services.provider_recording_fetch(recording=recording)
    sql = [query["sql"] for query in queries.captured_queries]
    commits = [index for index, statement in enumerate(sql) if statement == "COMMIT"]
    media = next(i for i, statement in enumerate(sql) if 'INTO "calls_recording"' in statement)
    stored = next(i for i, statement in enumerate(sql) if "'stored'" in statement)
    # The attempt's count, the media with "stored" (one commit), then "done" after the DELETE.
    assert len(commits) == 3
    assert commits[0] < media < stored < commits[1]
    assert provider.deletes == [recording_sid]
    assert _plaintext(Recording.objects.across_clients().get()) == audio
    assert ProviderRecording.objects.across_clients().get().state == RecordingState.DONE
