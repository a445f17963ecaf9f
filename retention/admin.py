from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from retention.models import RetentionRun

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# What a run counts (RetentionRun.counts' keys), as the admin reads it.
COUNT_LABELS: dict[str, StrOrPromise] = {
    "calls": _("calls"),
    "contacts": _("contacts"),
    "recordings": _("recordings"),
    "voicemails": _("voice messages"),
    "users": _("users"),
    "accessattempt": _("login attempts"),
    "accessfailurelog": _("failed logins"),
    "accesslog": _("logins"),
    "visits": _("website visits"),
    "attributions": _("attributions"),
}


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "job",
        "status",
        "dry_run",
        "counts_shown",
        "batches",
        "longest_batch_ms",
        "finished_at",
    ]
    list_filter = ["job", "status", "dry_run"]
    readonly_fields = [field.name for field in RetentionRun._meta.fields]

    @admin.display(description=_("counts"))
    def counts_shown(self, obj: RetentionRun) -> str:
        counts = obj.counts or {}
        if not counts:
            return "—"
        return ", ".join(
            gettext("%(what)s: %(count)s") % {"what": COUNT_LABELS.get(name, name), "count": count}
            for name, count in sorted(counts.items())
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
