from __future__ import annotations

import uuid

from django.db import models


class RetentionJob(models.TextChoices):
    CALLS = "calls", "Calls (with their media)"
    RECORDINGS = "recordings", "Recordings and voice messages"
    USERS = "users", "Users of ended contracts"
    LOGINS = "logins", "Login-attempt records"
    VISITS = "visits", "Website visits without a call"


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
