from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from retention.models import RetentionRun


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "job",
        "status",
        "dry_run",
        "counts",
        "batches",
        "longest_batch_ms",
        "finished_at",
    ]
    list_filter = ["job", "status", "dry_run"]
    readonly_fields = [field.name for field in RetentionRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
