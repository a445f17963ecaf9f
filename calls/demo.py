"""Demo calls with realistic shapes: office-hour peaks, quiet weekends, a plausible status mix."""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import struct
import uuid
import wave

from django.utils import timezone

from accounts.models import Client
from calls.models import Call, CallStatus, Contact, Direction, TrackingNumber
from calls.services import media_store
from calls.signals import calls_changed

DEMO_NUMBERS = [
    ("+33184800001", "Google Ads", "Brand"),
    ("+33184800002", "Website", "Contact page"),
    ("+33184800003", "Print", "Yellow pages"),
    ("+33184800004", "Facebook", "Spring promo"),
]
HOUR_WEIGHTS = [0, 0, 0, 0, 0, 0, 1, 2, 6, 10, 11, 10, 6, 7, 10, 11, 9, 7, 4, 2, 1, 1, 0, 0]
WEEKDAY_WEIGHTS = [10, 11, 10, 10, 9, 3, 1]
SOURCE_WEIGHTS = [5, 3, 1, 2]
STATUS_WEIGHTS = {
    CallStatus.ANSWERED: 68,
    CallStatus.MISSED: 14,
    CallStatus.VOICEMAIL: 10,
    CallStatus.BUSY: 5,
    CallStatus.FAILED: 3,
}
BATCH = 2000  # demo calls inserted per bulk_create; cost not measured


def _demo_number(block: int, index: int) -> str:
    # Block 0 is +33184800001…4, block 1 +33184800011…14, and so on: valid French numbers.
    return f"+331848{block:04d}{index + 1}"


def _demo_numbers_taken_across_clients(client: Client) -> set[str]:
    """The demo numbers other Clients hold, so that no two Clients share one."""
    return set(
        TrackingNumber.objects.across_clients()
        .exclude(client=client)
        .filter(number__startswith="+331848")
        .values_list("number", flat=True)
    )


def demo_tracking_numbers(client: Client) -> list[TrackingNumber]:
    """The Client's demo tracking numbers: its own, never another Client's (calls from the
    telephone network are routed by the number called)."""
    existing = {
        number.number: number
        for number in TrackingNumber.objects.for_client(client).filter(number__startswith="+331848")
    }
    taken = _demo_numbers_taken_across_clients(client)
    block = 0
    while not any(_demo_number(block, index) in existing for index in range(len(DEMO_NUMBERS))):
        if not any(_demo_number(block, index) in taken for index in range(len(DEMO_NUMBERS))):
            break
        block += 1
    numbers = []
    for index, (_number, source, campaign) in enumerate(DEMO_NUMBERS):
        tracking_number, _ = TrackingNumber.objects.get_or_create(
            client=client,
            number=_demo_number(block, index),
            defaults={"source": source, "campaign": campaign},
        )
        numbers.append(tracking_number)
    return numbers


def demo_calls_create(*, client: Client, count: int, seed: int = 7, months: int = 24) -> int:
    """Add `count` calls spread over the last `months` months; returns how many were created."""
    rng = random.Random(seed)
    numbers = demo_tracking_numbers(client)
    callers = [
        Contact.objects.get_or_create(
            client=client, phone_number=f"+336{rng.randrange(10**7, 10**8)}"
        )[0]
        for _ in range(max(10, count // 6))
    ]
    now = timezone.now()
    earliest = now - dt.timedelta(days=30 * months)
    span_days = (now - earliest).days
    statuses, status_weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    created = 0
    batch: list[Call] = []
    while created + len(batch) < count:
        day = earliest + dt.timedelta(days=rng.randrange(span_days))
        if rng.random() * 11 > WEEKDAY_WEIGHTS[day.weekday()]:
            continue
        # Newer days carry more calls: the business grows.
        if rng.random() > 0.35 + 0.65 * (day - earliest).days / span_days:
            continue
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        started_at = day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
        if started_at > now:
            continue
        status = rng.choices(statuses, weights=status_weights)[0]
        duration = int(rng.lognormvariate(4.7, 0.8)) if status == CallStatus.ANSWERED else 0
        if status == CallStatus.VOICEMAIL:
            duration = rng.randrange(8, 60)
        batch.append(
            Call(
                client=client,
                external_id=f"demo-{uuid.UUID(int=rng.getrandbits(128))}",
                tracking_number=rng.choices(numbers, weights=SOURCE_WEIGHTS)[0],
                contact=rng.choice(callers) if rng.random() > 0.05 else None,
                direction=Direction.INBOUND if rng.random() > 0.08 else Direction.OUTBOUND,
                status=status,
                started_at=started_at,
                duration_seconds=duration,
            )
        )
        if len(batch) >= BATCH:
            created += len(Call.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        created += len(Call.objects.bulk_create(batch, ignore_conflicts=True))
    if created:  # the daily aggregates of these days move (reports)
        calls_changed.send(sender=Call, client=client, first=earliest, last=now)
    return created


def demo_wav(*, seconds: float, seed: int, rate: int = 8000) -> bytes:
    """A short mono WAV that sounds vaguely like speech: voiced tones in syllable-long bursts."""
    rng = random.Random(seed)
    frames = bytearray()
    pitch = rng.uniform(110, 220)
    for n in range(int(seconds * rate)):
        t = n / rate
        syllable = 0.5 + 0.5 * math.sin(2 * math.pi * 3.2 * t + seed)
        voiced = sum(math.sin(2 * math.pi * pitch * k * t) / k for k in (1, 2, 3))
        sample = 0.35 * syllable * voiced + 0.03 * rng.uniform(-1, 1)
        frames += struct.pack("<h", int(max(-1.0, min(1.0, sample)) * 32767))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


def demo_media_attach(*, client: Client, recordings: int = 12, voicemails: int = 6) -> int:
    """Give the newest answered calls a recording and the newest voicemail calls a voice message."""
    attached = 0
    plans = [
        (CallStatus.ANSWERED, "recording", "has_recording", recordings),
        (CallStatus.VOICEMAIL, "voicemail", "has_voicemail", voicemails),
    ]
    for status, kind, flag, wanted in plans:
        missing = wanted - Call.objects.for_client(client).filter(**{flag: True}).count()
        calls = (
            Call.objects.for_client(client)
            .filter(status=status, **{flag: False})
            .order_by("-started_at")
        )
        for index, call in enumerate(calls[: max(0, missing)]):
            audio = demo_wav(seconds=6 + index % 5, seed=index)
            media_store(call=call, kind=kind, content_type="audio/wav", chunks=[audio])
            attached += 1
    return attached
