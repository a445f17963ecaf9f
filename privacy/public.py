"""Requests straight from a Contact (SPEC §8): prove you hold the number with a one-time code,
and the request reaches the DPO marked verified. Nothing in the answers tells whether any Client
holds the number; attempts are limited per number and per address."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.utils import timezone

from privacy.audit import identifier_hash
from privacy.models import (
    ContactVerification,
    DataSubjectRequest,
    RequestKind,
    RequestScope,
    RequestSource,
)
from privacy.services import erasure_request_file
from privacy.sms import sms_send

CODE_LIFETIME = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
PER_NUMBER_PER_HOUR = 3
PER_ADDRESS_PER_HOUR = 10


class RateLimited(Exception):
    pass


def _code_hash(verification_id: object, code: str) -> str:
    return identifier_hash(f"code:{verification_id}:{code}")


def verification_start(*, phone: str, kind: str, ip_address: str) -> ContactVerification:
    """Send a code to `phone` (already E.164). Raises RateLimited past the hourly limits."""
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    phone_hash, ip_hash = identifier_hash(phone), identifier_hash(f"ip:{ip_address}")
    recent = ContactVerification.objects.filter(created_at__gte=hour_ago)
    if (
        recent.filter(phone_hash=phone_hash).count() >= PER_NUMBER_PER_HOUR
        or recent.filter(ip_hash=ip_hash).count() >= PER_ADDRESS_PER_HOUR
    ):
        raise RateLimited
    code = f"{secrets.randbelow(10**6):06d}"
    verification = ContactVerification(
        phone_hash=phone_hash, ip_hash=ip_hash, kind=kind, expires_at=timezone.now() + CODE_LIFETIME
    )
    verification.code_hash = _code_hash(verification.pk, code)
    verification.save()
    sms_send(
        phone,
        f"Dexem: your code is {code}. It confirms your privacy request and expires in 10 minutes.",
    )
    return verification


def verification_check(
    *, verification_id: object, phone: str, code: str
) -> DataSubjectRequest | None:
    """The filed request when the code is right; None otherwise (the attempt is counted)."""
    verification = ContactVerification.objects.filter(
        pk=verification_id, verified_at__isnull=True
    ).first()
    if verification is None or verification.phone_hash != identifier_hash(phone):
        return None
    if verification.expires_at < timezone.now() or verification.attempts >= MAX_ATTEMPTS:
        return None
    ContactVerification.objects.filter(pk=verification.pk).update(
        attempts=verification.attempts + 1
    )
    if not hmac.compare_digest(verification.code_hash, _code_hash(verification.pk, code.strip())):
        return None
    ContactVerification.objects.filter(pk=verification.pk).update(verified_at=timezone.now())
    if verification.kind == RequestKind.ERASURE:
        return erasure_request_file(
            client=None,
            phone=phone,
            source=RequestSource.CONTACT,
            scope=RequestScope.ALL_CLIENTS,
            verified=True,
            notes="Received through the public form; the number was verified by SMS.",
        )
    return DataSubjectRequest.objects.create(
        kind=verification.kind,
        subject=phone,
        scope=RequestScope.ALL_CLIENTS,
        source=RequestSource.CONTACT,
        verified=True,
        notes="Received through the public form; the number was verified by SMS.",
    )
