"""What reports does when calls or Clients change (connected in ReportsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save

from accounts.models import Client
from calls.models import Call
from calls.signals import ChangedDaysSql, calls_changed, changed_days_sql_register
from reports import services


def on_calls_changed(sender: Any, *, client: Client, first: Any, last: Any, **kwargs: Any) -> None:
    services.calls_changed_mark(client=client, first=first, last=last)


def remember_call_start(sender: Any, instance: Call, raw: bool = False, **kwargs: Any) -> None:
    # A call saved as a model instance (the admin, fixtures) may move to another day.
    if raw or instance._state.adding:
        return
    instance._reports_started_before = (  # type: ignore[attr-defined]
        Call.objects.filter(client_id=instance.client_id, pk=instance.pk)
        .values_list("started_at", flat=True)
        .first()
    )


def on_call_saved(sender: Any, instance: Call, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    for moment in {instance.started_at, getattr(instance, "_reports_started_before", None)}:
        if moment is not None:
            services.calls_changed_mark(client=instance.client, first=moment, last=moment)


def on_call_deleted(sender: Any, instance: Call, origin: Any = None, **kwargs: Any) -> None:
    # A call deleted with its Client goes with the Client's aggregates (a cascade): marking its
    # day would point at a Client about to be deleted.
    deleted_as_call = isinstance(origin, Call) or getattr(origin, "model", None) is Call
    if deleted_as_call:
        services.calls_changed_mark(
            client=instance.client, first=instance.started_at, last=instance.started_at
        )


def remember_time_zone(sender: Any, instance: Client, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance._state.adding:
        return
    instance._reports_time_zone_before = (  # type: ignore[attr-defined]
        Client.objects.filter(pk=instance.pk).values_list("time_zone", flat=True).first()
    )


def on_client_saved(sender: Any, instance: Client, raw: bool = False, **kwargs: Any) -> None:
    before = getattr(instance, "_reports_time_zone_before", None)
    if raw or before is None or before == instance.time_zone:
        return
    instance._reports_time_zone_before = instance.time_zone  # type: ignore[attr-defined]
    services.client_time_zone_changed(client=instance)


def connect() -> None:
    # The services of calls send calls_changed for their writes (the prepared statement, bulk
    # updates, the purge); a call saved or deleted as a model instance is caught here.
    pre_save.connect(remember_call_start, sender=Call, dispatch_uid="reports.call_before")
    post_save.connect(on_call_saved, sender=Call, dispatch_uid="reports.call_saved")
    post_delete.connect(on_call_deleted, sender=Call, dispatch_uid="reports.call_deleted")
    calls_changed.connect(on_calls_changed, dispatch_uid="reports.calls_changed")
    # The ingestion on PostgreSQL, the hot path, writes the same mark inside its own statement
    # (one round trip, no transaction of its own around it) instead of sending calls_changed.
    changed_days_sql_register(
        ChangedDaysSql(
            statement=services.changed_days_statement, marked=services.changed_days_marked
        )
    )
    pre_save.connect(remember_time_zone, sender=Client, dispatch_uid="reports.tz_before")
    post_save.connect(on_client_saved, sender=Client, dispatch_uid="reports.tz_after")
