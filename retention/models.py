from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class RetentionJob(models.TextChoices):
    CALLS = "calls", _("Calls (with their media)")
    RECORDINGS = "recordings", _("Recordings and voice messages")
    USERS = "users", _("Users of ended contracts")
    LOGINS = "logins", _("Login-attempt records")
    VISITS = "visits", _("Website visits without a call")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped (another run held the lock)")
    FAILED = "failed", _("Failed")


class RetentionRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job = models.CharField(_("job"), max_length=16, choices=RetentionJob.choices)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    batches = models.PositiveIntegerField(_("batches"), default=0)
    longest_batch_ms = models.PositiveIntegerField(_("longest batch (ms)"), default=0)
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["job", "-started_at"], name="retentionrun_job_idx")]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self) -> str:
        return str(
            _("%(job)s at %(time)s")
            % {"job": self.get_job_display(), "time": f"{self.started_at:%Y-%m-%d %H:%M}"}
        )
