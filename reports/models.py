"""Daily aggregates of the calls (SPEC §15): what dashboards, stats and reports read for the
days that are over, so that their cost follows the days shown rather than the calls made."""

from __future__ import annotations

from django.db import models

from accounts.models import Client
from accounts.tenancy import TenantManager
from calls.models import CallStatus, TrackingNumber


class DailyAggregate(models.Model):
    """The calls of one local day (the Client's time zone) on one tracking number with one status.

    Source and campaign are read through the tracking number, so renaming them needs no rebuild.
    `channel` stays blank until the attribution app fills it. Rows of a day are only ever
    replaced together (reports.services), hence no unique constraint."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    tracking_number = models.ForeignKey(
        TrackingNumber, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    status = models.CharField(max_length=10, choices=CallStatus.choices)
    # Blank: not attributed (the attribution app fills it in).
    channel = models.CharField(max_length=100, blank=True, default="")
    calls = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()
    # Sum over the answered calls: their average is answered_seconds / answered.
    answered_seconds = models.BigIntegerField()

    objects = TenantManager()

    class Meta:
        indexes = [models.Index(fields=["client", "day"], name="aggregate_client_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.status}: {self.calls}"


class DirtyDay(models.Model):
    """A local day of a Client whose calls changed since its aggregate rows were last computed.

    Marked in the transaction of the change (calls.signals.calls_changed); folded (recomputed from
    the calls, then removed) by reports.tasks. Until then, readers read that day from the calls."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    marked_at = models.DateTimeField()

    objects = TenantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "day"], name="dirty_day_unique_per_client")
        ]

    def __str__(self) -> str:
        return f"{self.day} (dirty)"
