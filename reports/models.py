"""Daily aggregates of the calls (SPEC §15): what dashboards, stats and reports read for the
days that are over, so that their cost follows the days shown rather than the calls made."""

from __future__ import annotations

from django.db import models

from accounts.models import Client
from accounts.tenancy import TenantManager
from calls.models import CallStatus, TrackingNumber


class DailyAggregate(models.Model):
    """The calls of one local day (the Client's time zone) on one tracking number with one status,
    channel and campaign.

    Source is read through the tracking number, so renaming it needs no rebuild. Rows of a day are only ever
    replaced together (reports.services), hence no unique constraint."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    tracking_number = models.ForeignKey(
        TrackingNumber, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    status = models.CharField(max_length=10, choices=CallStatus.choices)
    # The call's attribution (Call.attributed_channel and _campaign), copied by the fold: blank channel and
    # null campaign when not attributed; an attributed call without a campaign has a blank one,
    # as the stats of the calls tell them apart.
    channel = models.CharField(max_length=100, blank=True, default="")
    campaign = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    calls = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()
    # Calls of first-time callers (calls.Call.is_first_call).
    first_callers = models.PositiveIntegerField(default=0)
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
