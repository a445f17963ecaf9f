from __future__ import annotations

import base64
import hashlib
import os

import pytest
from django.test import override_settings

from calls.media.objects import object_open
from calls.models import Recording, VoiceMessage
from calls.services import media_keys_rotate_across_clients, media_shred, media_store
from privacy.audit import AuditAction, AuditEvent
from tests.factories import CallFactory

AUDIO = os.urandom(300_000)


@pytest.fixture
def call(acme, acme_number):
    return CallFactory(client=acme, tracking_number=acme_number)


@pytest.fixture
def recorded(call):
    media_store(call=call, kind="recording", content_type="audio/wav", chunks=[AUDIO])
    return call


def url(call, kind="recording") -> str:
    return f"/api/v1/calls/{call.pk}/{kind}/"


def stored_path(media):
    from django.conf import settings

    return settings.RECORDING_STORAGE_DIR / media.storage_name


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize(
    "kind, model, flag",
    [("recording", Recording, "has_recording"), ("voicemail", VoiceMessage, "has_voicemail")],
)
def test_a_provider_uploads_audio_that_is_stored_encrypted(acme_api, call, kind, model, flag):
    response = acme_api.put(url(call, kind), data=AUDIO, content_type="audio/wav")
    assert response.status_code == 201
    assert response.json() == {
        "size_bytes": len(AUDIO),
        "content_type": "audio/wav",
        "sha256": hashlib.sha256(AUDIO).hexdigest(),
    }
    media = model.objects.across_clients().get(call=call)
    stored = stored_path(media).read_bytes()
    assert AUDIO[:64] not in stored and len(stored) > len(AUDIO)
    call.refresh_from_db()
    assert getattr(call, flag) is True
    assert acme_api.get(f"/api/v1/calls/{call.pk}/").json()[flag] is True


def test_playback_returns_the_audio_with_its_type(acme_api, recorded):
    response = acme_api.get(url(recorded))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav" and response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(AUDIO))
    assert body(response) == AUDIO


@pytest.mark.parametrize(
    "header, start, end",
    [
        ("bytes=0-99", 0, 99),
        ("bytes=65530-65545", 65530, 65545),
        ("bytes=299000-", 299000, 299999),
        ("bytes=-1000", 299000, 299999),
        ("bytes=10-999999999", 10, 299999),
    ],
)
def test_a_range_request_gets_206_with_exactly_those_bytes(acme_api, recorded, header, start, end):
    response = acme_api.get(url(recorded), HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(AUDIO)}"
    assert body(response) == AUDIO[start : end + 1]


@pytest.mark.parametrize(
    "header",
    ["bytes=300000-", "bytes=400000-500000", "bytes=-0", "bytes=" + "9" * 5000 + "-"],
)
def test_an_unsatisfiable_range_is_a_416(acme_api, recorded, header):
    response = acme_api.get(url(recorded), HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(AUDIO)}"


@pytest.mark.parametrize(
    "header, start, end",
    [
        ("bytes=10-" + "9" * 5000, 10, 299999),  # a last position past the end: the remainder
        ("bytes=-" + "9" * 5000, 0, 299999),  # a suffix longer than the audio: all of it
        ("bytes=" + "0" * 5000 + "5-9", 5, 9),  # leading zeros are still the same number
    ],
)
def test_numbers_of_thousands_of_digits_are_read_without_a_500(
    acme_api, recorded, header, start, end
):
    response = acme_api.get(url(recorded), HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(AUDIO)}"
    assert body(response) == AUDIO[start : end + 1]


@pytest.mark.parametrize(
    "header",
    [
        "pages=1-2",  # another unit
        "bytes=100-50",  # invalid: the last position before the first
        "bytes=" + "9" * 5000 + "-5",  # invalid too, however long the first position
        "bytes=0-1,5-6",  # several ranges: not served, RFC 9110 lets us send the whole
        "bytes=\u0661-\u0662",  # digits of another script are not digits in HTTP
    ],
)
def test_a_malformed_invalid_or_multiple_range_gets_the_whole_audio(acme_api, recorded, header):
    response = acme_api.get(url(recorded), HTTP_RANGE=header)
    assert response.status_code == 200 and "Content-Range" not in response
    assert body(response) == AUDIO


def test_answers_carry_a_strong_etag_and_last_modified_that_change_with_the_audio(
    acme_api, recorded
):
    first = acme_api.get(url(recorded), HTTP_RANGE="bytes=0-9")
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/") and first["Last-Modified"]
    assert acme_api.get(url(recorded))["ETag"] == etag
    media_store(call=recorded, kind="recording", content_type="audio/wav", chunks=[b"new audio"])
    assert acme_api.get(url(recorded))["ETag"] != etag


def test_if_range_with_the_current_validator_gets_the_range(acme_api, recorded):
    validators = acme_api.get(url(recorded), HTTP_RANGE="bytes=0-0")
    for if_range in (validators["ETag"], validators["Last-Modified"]):
        response = acme_api.get(url(recorded), HTTP_RANGE="bytes=100-199", HTTP_IF_RANGE=if_range)
        assert response.status_code == 206 and body(response) == AUDIO[100:200]
    # A weak tag never validates a range (RFC 9110 §13.1.5): the whole audio instead.
    weak = acme_api.get(
        url(recorded), HTTP_RANGE="bytes=100-199", HTTP_IF_RANGE="W/" + validators["ETag"]
    )
    assert weak.status_code == 200 and body(weak) == AUDIO


def test_audio_kept_without_a_digest_still_has_a_strong_etag_that_validates_a_range(acme_api, call):
    # A copy fetched from a provider keeps no digest (nobody to hand it to).
    media_store(call=call, kind="recording", content_type="audio/wav", chunks=[AUDIO], digest=False)
    media = Recording.objects.across_clients().get(call=call)
    assert media.sha256 == ""
    first = acme_api.get(url(call), HTTP_RANGE="bytes=0-0")
    assert first["ETag"] == f'"{media.pk.hex}"'
    response = acme_api.get(url(call), HTTP_RANGE="bytes=100-199", HTTP_IF_RANGE=first["ETag"])
    assert response.status_code == 206 and body(response) == AUDIO[100:200]
    media_store(
        call=call, kind="recording", content_type="audio/wav", chunks=[b"new"], digest=False
    )
    assert acme_api.get(url(call))["ETag"] != first["ETag"]


def test_if_range_with_another_validator_gets_the_whole_new_audio(acme_api, recorded):
    validators = acme_api.get(url(recorded), HTTP_RANGE="bytes=0-0")
    media_store(call=recorded, kind="recording", content_type="audio/wav", chunks=[b"new audio"])
    for if_range in (
        validators["ETag"],
        "W/" + validators["ETag"],
        "Thu, 01 Jan 2015 00:00:00 GMT",
        "not a validator",
    ):
        response = acme_api.get(url(recorded), HTTP_RANGE="bytes=2-4", HTTP_IF_RANGE=if_range)
        assert response.status_code == 200 and body(response) == b"new audio"


def test_the_last_64_kib_decrypts_at_most_two_segments(recorded):
    media = Recording.objects.across_clients().get(call=recorded)
    opened = object_open(
        storage_name=media.storage_name,
        object_id=media.pk,
        key_id=media.key_id,
        wrapped_key=media.wrapped_key,
        size_bytes=media.size_bytes,
    )
    data = b"".join(opened.iter_range(len(AUDIO) - 65536, len(AUDIO) - 1))
    assert data == AUDIO[-65536:]
    assert opened.decryptor.segments_decrypted <= 2


def test_uploading_again_replaces_and_shreds_the_old_object(
    acme_api, recorded, django_capture_on_commit_callbacks
):
    old = Recording.objects.across_clients().get(call=recorded)
    old_path = stored_path(old)
    with django_capture_on_commit_callbacks(execute=True):
        response = acme_api.put(url(recorded), data=b"new audio", content_type="audio/ogg")
    assert response.status_code == 201
    assert not old_path.exists()
    assert not Recording.objects.across_clients().filter(pk=old.pk).exists()
    assert body(acme_api.get(url(recorded))) == b"new audio"


def test_an_unsupported_content_type_is_a_415_and_keeps_nothing(acme_api, call):
    response = acme_api.put(url(call), data=b"<html>", content_type="text/html")
    assert response.status_code == 415
    assert not Recording.objects.across_clients().exists()


def test_a_declared_size_over_the_limit_is_a_413(acme_api, call, settings):
    settings.RECORDING_MAX_BYTES = 1000
    response = acme_api.put(url(call), data=b"x" * 1001, content_type="audio/wav")
    assert response.status_code == 413
    assert not Recording.objects.across_clients().exists()


def test_a_stream_that_grows_past_the_limit_is_a_413_and_leaves_no_file(call, settings):
    from calls.media.objects import TooLarge

    settings.RECORDING_MAX_BYTES = 1000
    with pytest.raises(TooLarge):
        media_store(
            call=call,
            kind="recording",
            content_type="audio/wav",
            chunks=iter([b"x" * 600, b"x" * 600]),
        )
    assert not any(settings.RECORDING_STORAGE_DIR.rglob(f"{call.client_id}/recording/*"))
    assert not Recording.objects.across_clients().exists()


def test_a_call_without_audio_is_a_404(acme_api, call):
    assert acme_api.get(url(call)).status_code == 404
    assert acme_api.get(url(call, "voicemail")).status_code == 404


def test_an_outsider_gets_404_on_every_media_endpoint(globex_api, as_user, globex_admin, recorded):
    for browser in (globex_api, as_user(globex_admin)):
        assert browser.get(url(recorded)).status_code == 404
        assert browser.put(url(recorded), data=b"x", content_type="audio/wav").status_code == 404
    assert Recording.objects.across_clients().filter(call=recorded).count() == 1


def test_an_analyst_cannot_play_but_a_manager_can(as_user, acme_analyst, acme_manager, recorded):
    assert as_user(acme_analyst).get(url(recorded)).status_code == 403
    assert as_user(acme_manager).get(url(recorded)).status_code == 200


@pytest.mark.parametrize("role_fixture", ["acme_manager", "acme_analyst"])
def test_only_admins_upload_from_a_session(request, as_user, call, role_fixture):
    response = as_user(request.getfixturevalue(role_fixture)).put(
        url(call), data=b"x", content_type="audio/wav"
    )
    assert response.status_code == 403


def test_scopes_decide_what_a_key_may_do(acme_ingest_api, acme_read_api, recorded):
    assert acme_ingest_api.get(url(recorded)).status_code == 403
    assert acme_read_api.put(url(recorded), data=b"x", content_type="audio/wav").status_code == 403
    assert acme_read_api.get(url(recorded)).status_code == 200


def test_a_tampered_object_is_refused_and_logged(acme_api, recorded, caplog):
    media = Recording.objects.across_clients().get(call=recorded)
    path = stored_path(media)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    response = acme_api.get(url(recorded))
    assert response.status_code == 409
    assert "integrity" in response.json()["detail"]
    assert "failed its integrity check" in caplog.text


def test_a_tampered_later_segment_stops_the_stream_before_its_bytes(acme_api, recorded, caplog):
    from calls.media.format import MediaIntegrityError

    media = Recording.objects.across_clients().get(call=recorded)
    path = stored_path(media)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF  # in the last segment
    path.write_bytes(bytes(data))
    response = acme_api.get(url(recorded))
    assert response.status_code == 200
    received = b""
    with pytest.raises(MediaIntegrityError):
        for chunk in response.streaming_content:
            received += chunk
    assert AUDIO.startswith(received) and len(received) < len(AUDIO) - 100 + 1
    assert "failed its integrity check mid-stream" in caplog.text


def test_a_tampered_second_segment_gives_a_full_get_a_200_cut_after_the_first(acme_api, recorded):
    """What the README promises: the first segment is checked before the answer starts (409 if
    it fails); a later one stops the stream before any of its bytes, a truncated body."""
    from calls.media.format import MediaIntegrityError

    media = Recording.objects.for_client(recorded.client).get(call=recorded)
    path = stored_path(media)
    data = bytearray(path.read_bytes())
    data[32 + 65536 + 16 + 10] ^= 0xFF  # inside segment 1, the second one
    path.write_bytes(bytes(data))
    response = acme_api.get(url(recorded))
    assert response.status_code == 200 and response["Content-Length"] == str(len(AUDIO))
    received = b""
    with pytest.raises(MediaIntegrityError):
        for chunk in response.streaming_content:
            received += chunk
    assert received == AUDIO[:65536]


def test_a_truncated_file_is_refused(acme_api, recorded):
    media = Recording.objects.across_clients().get(call=recorded)
    path = stored_path(media)
    path.write_bytes(path.read_bytes()[:-10])
    assert acme_api.get(url(recorded)).status_code == 409


def test_successive_plays_within_a_minute_are_one_audit_event(acme_api, recorded):
    for header in ("bytes=0-", "bytes=1000-2000", "bytes=5000-"):
        acme_api.get(url(recorded), HTTP_RANGE=header)
    events = AuditEvent.objects.filter(action=AuditAction.RECORDING_PLAYED)
    assert events.count() == 1
    event = events.get()
    assert event.client_id == recorded.client_id and event.actor_kind == "api_key"


def test_rotation_then_removal_of_the_old_key_still_plays(acme_api, recorded, settings):
    old = dict(settings.RECORDING_KEYS)
    new_key = ("next", os.urandom(32))
    settings.RECORDING_KEYS = {new_key[0]: new_key[1], **old}
    counts = media_keys_rotate_across_clients()
    assert counts == {"recording": 1, "voicemail": 0, "telephony_token": 0}
    assert Recording.objects.across_clients().get(call=recorded).key_id == "next"
    with override_settings(RECORDING_KEYS={new_key[0]: new_key[1]}):
        assert body(acme_api.get(url(recorded))) == AUDIO
    assert AuditEvent.objects.filter(action=AuditAction.KEYS_ROTATED).exists()


def test_an_object_whose_key_left_the_keyring_is_a_configuration_error_not_tampering(
    acme_api, recorded, settings, caplog
):
    settings.RECORDING_KEYS = {"other": base64.b64decode(base64.b64encode(os.urandom(32)))}
    response = acme_api.get(url(recorded))
    assert response.status_code == 503 and not response.streaming
    detail = response.json()["detail"]
    assert "not configured" in detail and "integrity" not in detail
    record = next(r for r in caplog.records if r.getMessage() == "recording key not configured")
    assert record.key_id == "test" and record.levelname == "ERROR"


def test_shredding_destroys_the_key_then_the_file_and_the_row(recorded):
    media = Recording.objects.across_clients().get(call=recorded)
    path = stored_path(media)
    media_shred(media=media, reason="test")
    assert not path.exists()
    assert not Recording.objects.across_clients().filter(pk=media.pk).exists()
    recorded.refresh_from_db()
    assert recorded.has_recording is False
    assert AuditEvent.objects.filter(action=AuditAction.MEDIA_SHREDDED, object_id=media.pk).exists()


def test_a_shred_interrupted_after_the_key_is_gone_finishes_on_rerun(recorded):
    media = Recording.objects.across_clients().get(call=recorded)
    Recording.objects.across_clients().filter(pk=media.pk).update(
        wrapped_key=b"", key_id=""
    )  # step one happened
    media_shred(media=media)
    assert not Recording.objects.across_clients().filter(pk=media.pk).exists()
    assert not stored_path(media).exists()


def test_the_call_page_shows_a_player_to_managers_and_not_to_analysts(
    as_user, acme_manager, acme_analyst, recorded
):
    assert (
        'id="recording-player"'
        in as_user(acme_manager).get(f"/calls/{recorded.pk}/").content.decode()
    )
    page = as_user(acme_analyst).get(f"/calls/{recorded.pk}/").content.decode()
    assert 'id="recording-player"' not in page and "does not allow" in page


def test_rotate_recording_keys_command_reports_counts(recorded, settings, capsys):
    from django.core.management import call_command

    settings.RECORDING_KEYS = {"k2": os.urandom(32), **settings.RECORDING_KEYS}
    call_command("rotate_recording_keys")
    assert (
        "Re-wrapped 1 recording key(s) and 0 voice message key(s) under 'k2'"
        in capsys.readouterr().out
    )
