"""Recordings in S3-compatible storage (SPEC §15), against moto's S3 server on loopback.

The requests are observed where botocore sends them (its `before-send` event): what went over
the wire, not a fake of it."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
import uuid
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from calls.media.format import HEADER_SIZE, MediaIntegrityError
from calls.media.objects import TooLarge, object_open, object_write
from calls.media.storage import S3_PART_SIZE, filesystem_storage, media_storage
from calls.models import Recording
from calls.services import media_shred, media_store
from tests.factories import CallFactory
from tests.s3_server import ACCESS_KEY, REGION, SECRET_KEY, s3_client, s3_server_start

MIB = 1024 * 1024
AUDIO = os.urandom(300_000)  # five 64 KiB segments


@pytest.fixture(scope="session")
def s3_server():
    server = s3_server_start()
    yield server
    server.stop()


@pytest.fixture
def s3(settings, s3_server):
    """RECORDING_STORAGE=s3 on a fresh bucket of the local server."""
    bucket = f"dexem-{uuid.uuid4().hex[:16]}"
    client = s3_client(s3_server.endpoint_url)
    client.create_bucket(Bucket=bucket)
    settings.RECORDING_STORAGE = "s3"
    settings.S3_BUCKET = bucket
    settings.S3_ENDPOINT_URL = s3_server.endpoint_url
    settings.S3_ACCESS_KEY_ID = ACCESS_KEY
    settings.S3_SECRET_ACCESS_KEY = SECRET_KEY
    settings.S3_REGION = REGION
    return SimpleNamespace(client=client, bucket=bucket)


@pytest.fixture
def sent(s3):
    """Every request the media storage sends: (operation-ish method, key path, Range header)."""
    storage = media_storage()
    requests: list[SimpleNamespace] = []
    create_session = storage._create_session

    def observed_session():
        session = create_session()

        def record(request, **kwargs):
            range_header = request.headers.get("Range")
            if isinstance(range_header, bytes):
                range_header = range_header.decode()
            requests.append(
                SimpleNamespace(method=request.method, url=request.url, range=range_header)
            )

        session.events.register("before-send.s3", record)
        return session

    storage._create_session = observed_session
    return requests


def stored_bytes(s3, name: str) -> bytes:
    return s3.client.get_object(Bucket=s3.bucket, Key=name)["Body"].read()


def chunks_of(size: int, piece: int = MIB):
    block = os.urandom(piece)
    for at in range(0, size, piece):
        yield block[: min(piece, size - at)]


def write(chunks, *, max_bytes: int = 10**9, name: str | None = None):
    object_id = uuid.uuid4()
    return object_write(
        storage_name=name or f"tests/{object_id}.dxm",
        object_id=object_id,
        chunks=chunks,
        max_bytes=max_bytes,
        digest=True,
    )


def opened(stored):
    return object_open(
        storage_name=stored.storage_name,
        object_id=stored.object_id,
        key_id=stored.key_id,
        wrapped_key=stored.wrapped_key,
        size_bytes=stored.size_bytes,
    )


def test_an_object_is_stored_encrypted_in_the_bucket_and_plays_back_whole(s3):
    stored = write([AUDIO[:100_000], AUDIO[100_000:]])
    in_bucket = stored_bytes(s3, stored.storage_name)
    assert len(in_bucket) == stored.stored_size and AUDIO[:64] not in in_bucket
    assert not filesystem_storage().exists(stored.storage_name)
    assert b"".join(opened(stored).iter_range(0, len(AUDIO) - 1)) == AUDIO


def test_an_upload_past_one_part_goes_up_as_a_multipart_upload(s3, sent):
    size = 2 * S3_PART_SIZE + 123
    digest = hashlib.sha256()
    plain = list(chunks_of(size))
    for chunk in plain:
        digest.update(chunk)
    stored = write(iter(plain))
    parts = [r for r in sent if r.method == "PUT" and "partNumber=" in r.url]
    assert len(parts) == 3
    assert any(r.method == "POST" and r.url.endswith("?uploads") for r in sent)
    assert not [r for r in sent if r.method == "PUT" and "partNumber=" not in r.url]
    played = hashlib.sha256()
    for piece in opened(stored).iter_range(0, size - 1):
        played.update(piece)
    assert played.hexdigest() == digest.hexdigest() == stored.sha256


def _upload_peak(size: int) -> int:
    write([b"warm-up"])  # botocore loads its models once per process: not the upload's memory
    tracemalloc.start()
    try:
        write(chunks_of(size))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_upload_holds_a_few_parts_in_memory_whatever_its_size(s3):
    small, large = _upload_peak(32 * MIB), _upload_peak(96 * MIB)
    # A few 5 MiB parts and the encryptor's read-ahead: a third of the 96 MiB upload, and three
    # times the data does not raise the peak.
    assert large < 32 * MIB, large
    assert large < small + 4 * MIB, (small, large)


def test_a_range_reads_only_its_segments_in_one_ranged_get(s3, sent):
    size = 4 * MIB
    plain = b"".join(chunks_of(size, 64 * 1024 + 7))
    stored = write([plain])
    sent.clear()
    start = size - 64 * 1024 - 10
    handle = opened(stored)
    assert b"".join(handle.iter_range(start, size - 1)) == plain[start:]
    gets = [r for r in sent if r.method == "GET"]
    assert len(sent) == len(gets) == 2  # the header (and the size), then the segments
    first_offset, _ = handle.decryptor.segment_span(start // (64 * 1024))
    last_offset, last_length = handle.decryptor.segment_span(handle.decryptor.segments - 1)
    assert gets[0].range == f"bytes=0-{HEADER_SIZE - 1}"
    assert gets[1].range == f"bytes={first_offset}-{last_offset + last_length - 1}"
    assert handle.decryptor.segments_decrypted == 2


def test_the_next_range_of_a_playback_is_one_get_alone(s3, sent):
    stored = write([AUDIO])
    assert b"".join(opened(stored).iter_range(0, 99)) == AUDIO[:100]
    sent.clear()
    assert b"".join(opened(stored).iter_range(200_000, 200_099)) == AUDIO[200_000:200_100]
    assert [r.method for r in sent] == ["GET"]
    assert not sent[0].range.startswith("bytes=0-")


@pytest.mark.parametrize("change", ["truncated", "appended", "deleted"])
def test_an_object_changed_after_a_first_play_is_refused_before_a_byte(s3, change):
    stored = write([AUDIO])
    assert b"".join(opened(stored).iter_range(0, 99)) == AUDIO[:100]
    data = stored_bytes(s3, stored.storage_name)
    if change == "deleted":
        s3.client.delete_object(Bucket=s3.bucket, Key=stored.storage_name)
    else:
        changed = data[:-10] if change == "truncated" else data + b"\0" * 10
        s3.client.put_object(Bucket=s3.bucket, Key=stored.storage_name, Body=changed)
    with pytest.raises(MediaIntegrityError):
        next(opened(stored).iter_range(0, 99))
    if change != "deleted":  # once seen, the size is checked up front again
        with pytest.raises(MediaIntegrityError, match="size"):
            opened(stored)


def test_a_long_range_is_still_one_ranged_get_read_as_it_plays(s3, sent):
    size = 3 * MIB
    plain = b"".join(chunks_of(size))
    stored = write([plain])
    sent.clear()
    assert b"".join(opened(stored).iter_range(1000, size - 1)) == plain[1000:]
    assert [r.range for r in sent] == [f"bytes=0-{HEADER_SIZE - 1}", sent[1].range]
    assert sent[1].range.startswith(f"bytes={HEADER_SIZE}-")


def test_a_tampered_object_in_the_bucket_is_refused(s3):
    stored = write([AUDIO])
    data = bytearray(stored_bytes(s3, stored.storage_name))
    data[HEADER_SIZE + 70_000] ^= 1  # inside the second segment
    s3.client.put_object(Bucket=s3.bucket, Key=stored.storage_name, Body=bytes(data))
    chunks = opened(stored).iter_range(0, len(AUDIO) - 1)
    assert len(next(chunks)) == 64 * 1024
    with pytest.raises(MediaIntegrityError):
        next(chunks)


def test_a_truncated_or_missing_object_in_the_bucket_is_refused_up_front(s3):
    stored = write([AUDIO])
    data = stored_bytes(s3, stored.storage_name)
    s3.client.put_object(Bucket=s3.bucket, Key=stored.storage_name, Body=data[:-100])
    with pytest.raises(MediaIntegrityError, match="size"):
        opened(stored)
    s3.client.delete_object(Bucket=s3.bucket, Key=stored.storage_name)
    with pytest.raises(MediaIntegrityError, match="missing"):
        opened(stored)


def test_a_missing_bucket_is_a_configuration_fault_not_a_damaged_recording(s3, settings):
    from botocore.exceptions import ClientError

    stored = write([AUDIO])
    settings.S3_BUCKET = "dexem-no-such-bucket"
    with pytest.raises(ClientError) as raised:
        opened(stored)
    assert not isinstance(raised.value, MediaIntegrityError)


def test_an_upload_past_the_limit_leaves_nothing_in_the_bucket(s3):
    with pytest.raises(TooLarge):
        write(chunks_of(20 * MIB), max_bytes=12 * MIB)
    assert s3.client.list_objects_v2(Bucket=s3.bucket).get("KeyCount", 0) == 0
    assert not s3.client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads")


@pytest.fixture
def call(acme, acme_number):
    return CallFactory(client=acme, tracking_number=acme_number)


def test_shredding_destroys_the_key_before_the_object_in_the_bucket(s3, sent, call):
    media = media_store(call=call, kind="recording", content_type="audio/wav", chunks=[AUDIO])
    keys_when_deleted = []
    storage = media_storage()
    original_delete = storage.delete

    def delete(name):
        keys_when_deleted.append(
            bytes(Recording.objects.across_clients().get(pk=media.pk).wrapped_key)
        )
        original_delete(name)

    storage.delete = delete
    media_shred(media=media)
    assert keys_when_deleted == [b""]
    assert [r.method for r in sent if r.method == "DELETE"] == ["DELETE"]
    assert s3.client.list_objects_v2(Bucket=s3.bucket).get("KeyCount", 0) == 0
    assert not Recording.objects.across_clients().filter(pk=media.pk).exists()


def test_the_api_plays_a_range_from_the_bucket(s3, acme_api, call):
    response = acme_api.put(
        f"/api/v1/calls/{call.pk}/recording/", data=AUDIO, content_type="audio/wav"
    )
    assert response.status_code == 201
    response = acme_api.get(f"/api/v1/calls/{call.pk}/recording/", HTTP_RANGE="bytes=-1000")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == AUDIO[-1000:]


def test_healthz_checks_the_bucket(s3, client, db, settings):
    assert client.get("/healthz").json()["storage"] == "ok"
    settings.S3_BUCKET = "dexem-no-such-bucket"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["storage"].startswith("error")


# --- Moving existing recordings --------------------------------------------------------------


@pytest.fixture
def on_disk(settings, s3, acme, acme_number):
    """Five recordings written while the storage was the local folder."""
    settings.RECORDING_STORAGE = "filesystem"
    recorded = []
    for n in range(5):
        call = CallFactory(client=acme, tracking_number=acme_number)
        audio = AUDIO[n * 1000 :]
        media_store(call=call, kind="recording", content_type="audio/wav", chunks=[audio])
        recorded.append((call, audio))
    return recorded


def in_bucket(s3) -> set[str]:
    listed = s3.client.list_objects_v2(Bucket=s3.bucket).get("Contents", [])
    return {item["Key"] for item in listed}


def test_moving_recordings_is_resumable_and_they_play_from_the_bucket_after_the_switch(
    s3, on_disk, settings, acme_api
):
    names = {call.recording.storage_name for call, _ in on_disk}
    disk = filesystem_storage()
    out = io.StringIO()
    call_command("move_recordings_to_s3", "--limit", "2", "--batch-size", "2", stdout=out)
    assert "Stopped at --limit" in out.getvalue()
    assert len(in_bucket(s3)) == 2
    assert sum(disk.exists(name) for name in names) == 3
    # An interruption between the copy and the local delete: the next run only deletes.
    interrupted = sorted(names - in_bucket(s3))[0]
    with disk.open(interrupted, "rb") as local:
        s3.client.put_object(Bucket=s3.bucket, Key=interrupted, Body=local.read())

    out = io.StringIO()
    call_command("move_recordings_to_s3", "--batch-size", "2", stdout=out)
    assert "3 moved, 2 already moved" in out.getvalue() and "Done." in out.getvalue()
    assert in_bucket(s3) == names
    assert not any(disk.exists(name) for name in names)

    out = io.StringIO()
    call_command("move_recordings_to_s3", stdout=out)
    assert "0 moved, 5 already moved" in out.getvalue()

    settings.RECORDING_STORAGE = "s3"
    for call, audio in on_disk:
        response = acme_api.get(f"/api/v1/calls/{call.pk}/recording/")
        assert b"".join(response.streaming_content) == audio


def test_moving_keeps_local_files_on_request_and_never_overwrites_the_bucket(s3, on_disk):
    disk = filesystem_storage()
    names = sorted(call.recording.storage_name for call, _ in on_disk)
    s3.client.put_object(Bucket=s3.bucket, Key=names[0], Body=b"something else")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 object"):
        call_command("move_recordings_to_s3", "--keep-local", stdout=out)
    assert f"{names[0]}: conflict" in out.getvalue()
    assert stored_bytes(s3, names[0]) == b"something else"
    assert all(disk.exists(name) for name in names)
    assert in_bucket(s3) == set(names)


def test_moving_needs_a_bucket(settings, db):
    settings.S3_BUCKET = ""
    with pytest.raises(CommandError, match="S3_BUCKET"):
        call_command("move_recordings_to_s3")


# --- Settings ----------------------------------------------------------------------------------


def test_s3_storage_needs_a_bucket_even_in_development():
    from tests.dexem.test_settings import _manage

    result = _manage("check", env={"RECORDING_STORAGE": "s3", "DJANGO_ENV": "development"})
    assert result.returncode != 0
    assert "S3_BUCKET is required when RECORDING_STORAGE=s3" in result.stderr


@pytest.mark.parametrize("missing", ["S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_REGION"])
def test_production_on_s3_refuses_to_start_without_a_credential_and_names_it(missing):
    from tests.dexem.test_settings import PRODUCTION_ENV, _manage

    s3_env = {
        "RECORDING_STORAGE": "s3",
        "S3_BUCKET": "recordings",
        "S3_ACCESS_KEY_ID": "id",
        "S3_SECRET_ACCESS_KEY": "secret",
        "S3_REGION": "eu-west-3",
    }
    result = _manage("check", env={**PRODUCTION_ENV, **s3_env, missing: ""})
    assert result.returncode != 0
    assert f"{missing} is required when RECORDING_STORAGE=s3 and DJANGO_ENV=production" in (
        result.stderr
    )
    assert _manage("check", env={**PRODUCTION_ENV, **s3_env}).returncode == 0


def test_an_unknown_recording_storage_is_named():
    from tests.dexem.test_settings import _manage

    result = _manage("check", env={"RECORDING_STORAGE": "ftp"})
    assert result.returncode != 0 and "RECORDING_STORAGE must be one of" in result.stderr
