from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import Client


class ClientRetention(models.Model):
    """A Client's shorter retention periods, set by staff; never longer than the platform's."""

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, primary_key=True, related_name="retention"
    )
    call_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty: the platform default."
    )
    recording_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty: the platform default."
    )
    user_days_after_contract = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty: the platform default."
    )

    class Meta:
        verbose_name = "Client retention override"

    def __str__(self) -> str:
        return f"Retention of {self.client}"

    def clean(self) -> None:
        limits = {
            "call_months": settings.CALL_RETENTION_MONTHS,
            "recording_months": settings.RECORDING_RETENTION_MONTHS,
            "user_days_after_contract": settings.USER_RETENTION_DAYS_AFTER_CONTRACT,
        }
        errors = {}
        for field, limit in limits.items():
            value = getattr(self, field)
            if value is not None and value > limit:
                errors[field] = (
                    f"At most {limit}: a Client may keep data for less time than the platform, never more."
                )
            if value is not None and value == 0 and field != "user_days_after_contract":
                errors[field] = "At least 1."
        if errors:
            raise ValidationError(errors)


class RetentionJob(models.TextChoices):
    CALLS = "calls", "Calls (with their media)"
    RECORDINGS = "recordings", "Recordings and voice messages"
    USERS = "users", "Users of ended contracts"
    LOGINS = "logins", "Login-attempt records"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped (another run held the lock)"
    FAILED = "failed", "Failed"


class RetentionRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job = models.CharField(max_length=16, choices=RetentionJob.choices)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    batches = models.PositiveIntegerField(default=0)
    longest_batch_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["job", "-started_at"], name="retentionrun_job_idx")]

    def __str__(self) -> str:
        return f"{self.get_job_display()} at {self.started_at:%Y-%m-%d %H:%M}"
