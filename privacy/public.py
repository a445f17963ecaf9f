"""Requests straight from a Contact (SPEC §8): prove you hold the number with a one-time code,
and the request reaches the DPO marked verified. Nothing in the answers tells whether any Client
holds the number; attempts are limited per number and per address."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from privacy.audit import identifier_hash
from privacy.models import ContactVerification, DataSubjectRequest
from privacy.services import contact_request_file
from privacy.sms import SmsUnavailable, sms_backend

CODE_LIFETIME = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
PER_NUMBER_PER_HOUR = 3
PER_ADDRESS_PER_HOUR = 10


class RateLimited(Exception):
    pass


def _code_hash(verification_id: object, code: str) -> str:
    return identifier_hash(f"code:{verification_id}:{code}")


def verification_start(*, phone: str, kind: str, ip_address: str) -> ContactVerification:
    """Send a code to `phone` (already E.164). Raises RateLimited past the hourly limits, and
    SmsUnavailable, storing nothing, when no code can be sent from here."""
    backend = sms_backend()
    phone_hash, ip_hash = identifier_hash(phone), identifier_hash(f"ip:{ip_address}")
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        # Count and insert as one step per number and per address: without the lock, requests
        # arriving together all count the same rows and all pass (7 codes sent for a limit of 3).
        _serialise_on(f"verification:number:{phone_hash}", f"verification:address:{ip_hash}")
        hour_ago = timezone.now() - dt.timedelta(hours=1)
        recent = ContactVerification.objects.filter(created_at__gte=hour_ago)
        if (
            recent.filter(phone_hash=phone_hash).count() >= PER_NUMBER_PER_HOUR
            or recent.filter(ip_hash=ip_hash).count() >= PER_ADDRESS_PER_HOUR
        ):
            raise RateLimited
        verification = ContactVerification(
            phone_hash=phone_hash,
            ip_hash=ip_hash,
            kind=kind,
            expires_at=timezone.now() + CODE_LIFETIME,
        )
        verification.code_hash = _code_hash(verification.pk, code)
        verification.save()
    # Sent once the row is committed (and counted by the next request), outside the lock.
    try:
        # In the language of the page the request was made on (the active one).
        backend.send(
            phone,
            gettext(
                "Dexem: your code is %(code)s. It confirms your privacy request and expires in "
                "10 minutes."
            )
            % {"code": code},
        )
    except SmsUnavailable:
        # No code went out: a try that cannot be completed does not count against the number.
        verification.delete()
        raise
    return verification


def _serialise_on(*keys: str) -> None:
    """Hold a lock per key until the transaction ends. PostgreSQL: transaction-level advisory
    locks, taken in ascending order of their ids so two requests never wait on each other. SQLite (IMMEDIATE
    transactions, see settings) already lets one writing transaction run at a time.

    The keys hold keyed hashes only: a lock's key shows in pg_locks, a number must not."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT hashtext(key) FROM unnest(%s::text[]) AS key", [list(keys)])
        for (lock_id,) in sorted(set(cursor.fetchall())):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def verification_check(
    *, verification_id: uuid.UUID | str, phone: str, code: str
) -> DataSubjectRequest | None:
    """The filed request when the code is right; None otherwise (the attempt is counted). When a
    request of the same kind is already open for the number, that one is returned instead."""
    live = ContactVerification.objects.filter(
        pk=verification_id,
        phone_hash=identifier_hash(phone),
        verified_at__isnull=True,
        expires_at__gte=timezone.now(),
    )
    # Take a try before looking at the code, in one UPDATE: concurrent guesses each need a row
    # the database counted for them, so no more than MAX_ATTEMPTS codes are ever compared.
    if not live.filter(attempts__lt=MAX_ATTEMPTS).update(attempts=F("attempts") + 1):
        return None
    verification = live.only("code_hash", "kind").first()
    if verification is None or not hmac.compare_digest(
        verification.code_hash, _code_hash(verification.pk, code.strip())
    ):
        return None
    with transaction.atomic():
        # One right code confirms once, however many submit it at the same moment.
        if not live.update(verified_at=timezone.now()):
            return None
        return contact_request_file(
            phone=phone,
            kind=verification.kind,
            notes="Received through the public form; the number was verified by SMS.",
        )
