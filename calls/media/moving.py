"""Moving encrypted objects from the local folder to the S3 bucket (`move_recordings_to_s3`).

Object by object: copy (streamed, multipart), verify the copy's size and header against the row
and the local file, then delete the local file. Every step can be repeated, so a run stopped
anywhere (a crash, `--limit`) is finished by running it again; an object is only ever deleted
locally once its verified copy is in the bucket, and nothing in the bucket is ever overwritten.
The names are the same in both storages, so rows need no change: switching RECORDING_STORAGE is
the switch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files import File
from django.core.files.storage import Storage

from calls.media.format import HEADER_SIZE
from calls.media.storage import filesystem_storage, read_head, s3_storage

MOVED = "moved"
ALREADY_MOVED = "already moved"
MISSING = "missing"
CONFLICT = "conflict"
GONE = "deleted meanwhile"


@dataclass
class MoveReport:
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys((MOVED, ALREADY_MOVED, MISSING, CONFLICT, GONE), 0)
    )
    problems: list[str] = field(default_factory=list)
    stopped_at_limit: bool = False


def _remote_size(target: Storage, name: str) -> int | None:
    try:
        return target.size(name)
    except FileNotFoundError:
        return None


def _local_header(source: Storage, name: str) -> bytes:
    with source.open(name, "rb") as local:
        return local.read(HEADER_SIZE)


def object_move_to_s3(
    *,
    name: str,
    expected_size: int,
    source: Storage,
    target: Storage,
    keep_local: bool,
    still_wanted: Callable[[], bool],
) -> tuple[str, str]:
    """Move one object; returns (outcome, why) — `why` explains a MISSING or CONFLICT."""
    remote_size = _remote_size(target, name)
    if not source.exists(name):
        if remote_size == expected_size:
            return ALREADY_MOVED, ""
        return MISSING, "neither on disk nor in the bucket with its recorded size"
    local_size = source.size(name)
    if local_size != expected_size:
        return CONFLICT, f"on disk it is {local_size} bytes, its row says {expected_size}"
    if remote_size is None:
        with source.open(name, "rb") as local:
            saved = target.save(name, File(local, name=name))
        if saved != name:  # created meanwhile by someone else: ours is not the one to keep
            target.delete(saved)
            return CONFLICT, "another object of that name appeared in the bucket"
        remote_size = _remote_size(target, name)
    elif remote_size != expected_size:
        return (
            CONFLICT,
            f"the bucket holds {remote_size} bytes under that name, not {expected_size}",
        )
    if remote_size != expected_size or read_head(name, HEADER_SIZE, storage=target)[0] != (
        _local_header(source, name)
    ):
        return CONFLICT, "the copy in the bucket does not match the file on disk"
    if not still_wanted():
        # Shredded while we copied: the copy must not outlive the row.
        target.delete(name)
        return GONE, ""
    if not keep_local:
        source.delete(name)
    return MOVED, ""


def objects_move_to_s3_across_clients(
    *,
    batch_size: int = 100,
    limit: int | None = None,
    keep_local: bool = False,
    progress: Callable[[str, str, str], None] | None = None,
) -> MoveReport:
    """Every stored object of every Client (recordings, voice messages, export files), in
    batches by primary key: a batch is a short read, never a long transaction."""
    from calls.models import ExportJob, Recording, VoiceMessage

    source, target = filesystem_storage(), s3_storage()
    report = MoveReport()
    copied = 0
    for model in (Recording, VoiceMessage, ExportJob):
        last_pk: Any = None
        while True:
            rows = model.objects.across_clients().exclude(storage_name="").order_by("pk")
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            batch = list(rows.values_list("pk", "storage_name", "stored_size")[:batch_size])
            if not batch:
                break
            for pk, name, expected_size in batch:
                if limit is not None and copied >= limit:
                    report.stopped_at_limit = True
                    return report
                outcome, why = object_move_to_s3(
                    name=name,
                    expected_size=expected_size,
                    source=source,
                    target=target,
                    keep_local=keep_local,
                    still_wanted=lambda model=model, pk=pk, name=name: (
                        model.objects.across_clients().filter(pk=pk, storage_name=name).exists()
                    ),
                )
                report.counts[outcome] += 1
                if outcome == MOVED:
                    copied += 1
                if why:
                    report.problems.append(f"{name}: {why}")
                if progress is not None:
                    progress(name, outcome, why)
            last_pk = batch[-1][0]
    return report
