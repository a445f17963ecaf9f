"""Number pools on the Client's website, visits, leases and the calls they explain (SPEC §13).

A Visit is one browser tab's session on the Client's site, with consent. It holds a pool number
through Leases: a lease runs from `starts_at` to `ends_at`, renewed (ends_at pushed back) while
the page is open; a visit whose lease lapsed gets a new lease, so the rows are the exact history
of who held which number when, which is what matching a call reads.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Client
from accounts.tenancy import TenantManager
from attribution.channels import Channel
from calls.models import Call, TrackingNumber

NEVER_USED = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def new_public_id() -> str:
    return secrets.token_urlsafe(12)


class Website(models.Model):
    """A Client's website settings: which origins may embed the snippet, the default number."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="website")
    # What the snippet tag names (data-client): not a secret, but not the Client's id either.
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    default_number = models.ForeignKey(
        TrackingNumber, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("website")
        verbose_name_plural = _("websites")

    def __str__(self) -> str:
        return f"Website {self.public_id}"


class AllowedOrigin(models.Model):
    """An origin (scheme://host[:port]) allowed to call the visits endpoint for a Client."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    website = models.ForeignKey(Website, on_delete=models.CASCADE, related_name="origins")
    origin = models.CharField(max_length=255)

    objects = TenantManager()

    class Meta:
        ordering = ["origin"]
        constraints = [
            models.UniqueConstraint(fields=["client", "origin"], name="allowed_origin_unique")
        ]
        # A preflight names no Client: it is answered from the origin alone.
        indexes = [models.Index(fields=["origin"], name="allowed_origin_idx")]
        verbose_name = _("allowed origin")
        verbose_name_plural = _("allowed origins")

    def __str__(self) -> str:
        return self.origin


class PoolNumber(models.Model):
    """The lease state of one pool number: the row locked while a number is handed out."""

    tracking_number = models.OneToOneField(
        TrackingNumber, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    # The end of the latest lease on it: free once this has passed.
    held_until = models.DateTimeField(null=True, blank=True)
    # Least recently used goes first, whether free or (pool exhausted) shared; never used is the
    # epoch (not null: a plain ascending index serves the order on every database).
    last_used_at = models.DateTimeField(default=NEVER_USED)
    last_lease_id = models.BigIntegerField(null=True, blank=True)

    objects = TenantManager()

    class Meta:
        indexes = [
            # Least recently used first: a free number was last used more than a lease ago, a
            # held one since, so walking this index in order meets the free ones first.
            models.Index(
                fields=["client", "last_used_at", "tracking_number"], name="poolnumber_lru_idx"
            ),
        ]
        verbose_name = _("pool number")
        verbose_name_plural = _("pool numbers")

    def __str__(self) -> str:
        return f"Pool number {self.pk}"


class Visit(models.Model):
    """A visit to the Client's site, with consent: where it came from, which channel."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    # SHA-256 of the token kept in the browser's sessionStorage: the token itself is not stored.
    token_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    click_id_kind = models.CharField(max_length=8, blank=True)
    click_id = models.CharField(max_length=255, blank=True)
    # Path and campaign parameters only (other parameters can hold personal data).
    landing_path = models.CharField(max_length=1000, blank=True)
    referrer_host = models.CharField(max_length=255, blank=True)
    # Shared its number with another visit at some moment (pool exhausted).
    ambiguous = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    objects = TenantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "token_hash"], name="visit_token_unique")
        ]
        indexes = [models.Index(fields=["client", "created_at"], name="visit_client_created_idx")]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self) -> str:
        return f"Visit {self.pk}"


class Lease(models.Model):
    id = models.BigAutoField(primary_key=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="leases")
    tracking_number = models.ForeignKey(
        TrackingNumber, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    ambiguous = models.BooleanField(default=False)

    objects = TenantManager()

    class Meta:
        indexes = [
            # Matching: the leases of a number around a moment.
            models.Index(fields=["tracking_number", "-starts_at"], name="lease_number_start_idx"),
        ]
        verbose_name = _("number lease")
        verbose_name_plural = _("number leases")

    def __str__(self) -> str:
        return f"Lease {self.pk}"


class CallAttribution(models.Model):
    """What a call owes to a visit: a copy of the visit's facts, so the call keeps them when the
    visit is purged, and lists, stats and exports read one row per call."""

    # No database constraint: the calls app deletes calls in raw batches (calls/purge.py) and
    # knows nothing of this table; the visits retention job sweeps rows left without a call.
    call = models.OneToOneField(
        Call,
        on_delete=models.CASCADE,
        primary_key=True,
        db_constraint=False,
        related_name="attribution",
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="attributions"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    source = models.CharField(max_length=200, blank=True)
    medium = models.CharField(max_length=200, blank=True)
    campaign = models.CharField(max_length=200, blank=True)
    term = models.CharField(max_length=200, blank=True)
    content = models.CharField(max_length=200, blank=True)
    landing_path = models.CharField(max_length=1000, blank=True)
    referrer_host = models.CharField(max_length=255, blank=True)
    click_id_kind = models.CharField(max_length=8, blank=True)
    click_id = models.CharField(max_length=255, blank=True)
    ambiguous = models.BooleanField(default=False)
    matched_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        indexes = [
            models.Index(fields=["client", "channel"], name="callattr_client_channel_idx"),
            models.Index(fields=["client", "campaign"], name="callattr_client_campaign_idx"),
        ]
        verbose_name = _("call attribution")
        verbose_name_plural = _("call attributions")

    def __str__(self) -> str:
        return f"Attribution of {self.call_id}"
