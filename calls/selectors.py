"""Every read of the calls app (STYLE.md §3): tenant first, filters parsed once (filters.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncDate

from accounts.models import Client
from accounts.tenancy import get_for_client_or_404
from calls.extensions import registry
from calls.filters import CallFilters
from calls.media.objects import OpenedObject, object_open
from calls.models import MEDIA_MODELS, Call, CallStatus, Contact, MediaObject, TrackingNumber

CALL_SORTS = {
    "newest": ("-started_at", "-id"),
    "oldest": ("started_at", "id"),
    "longest": ("-duration_seconds", "-started_at"),
    "shortest": ("duration_seconds", "-started_at"),
}


def call_list(*, client: Client, filters: CallFilters, sort: str = "newest") -> QuerySet[Call]:
    calls = Call.objects.for_client(client).select_related("tracking_number", "contact")
    if filters.started_after:
        calls = calls.filter(started_at__gte=filters.started_after)
    if filters.started_before:
        calls = calls.filter(started_at__lt=filters.started_before)
    if filters.status:
        calls = calls.filter(status=filters.status)
    if filters.tracking_number:
        calls = calls.filter(tracking_number__number=filters.tracking_number)
    if filters.caller_number:
        calls = calls.filter(contact__phone_number=filters.caller_number)
    for name, value in filters.dimensions:
        calls = calls.filter(**{registry.dimensions[name].lookup: value})
    return calls.order_by(*CALL_SORTS.get(sort, CALL_SORTS["newest"]))


def call_get(*, client: Client | None, call_id: object) -> Call:
    related = [detail.select_related for detail in registry.details.values()]
    return get_for_client_or_404(
        Call.objects.select_related("tracking_number", "contact", *related),
        client=client,
        pk=call_id,
    )


def call_details(call: Call) -> dict[str, Any]:
    """What higher apps add to a call's detail (calls.extensions), by name."""
    return {name: detail.as_json(call) for name, detail in registry.details.items()}


def tracking_number_list(*, client: Client) -> QuerySet[TrackingNumber]:
    return TrackingNumber.objects.for_client(client).order_by("-active", "number")


class StatsGroup:
    DAY = "day"
    TRACKING_NUMBER = "tracking_number"
    STATUS = "status"
    SOURCE = "source"
    ALL = (DAY, TRACKING_NUMBER, STATUS, SOURCE)
    # The stats API's choices: these and every registered dimension (calls.extensions).
    PUBLIC = (DAY, TRACKING_NUMBER, STATUS)


def stats_group_choices() -> list[str]:
    return [*StatsGroup.PUBLIC, *registry.dimensions]


_GROUP_EXPRESSIONS = {
    StatsGroup.TRACKING_NUMBER: "tracking_number__number",
    StatsGroup.STATUS: "status",
    StatsGroup.SOURCE: "tracking_number__source",
}


@dataclass(frozen=True)
class Period:
    """Whole days, inclusive, in the Client's time zone."""

    first_day: dt.date
    last_day: dt.date

    def bounds(self, client: Client) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(self.first_day, dt.time.min, tzinfo=client.tzinfo)
        end = dt.datetime.combine(
            self.last_day + dt.timedelta(days=1), dt.time.min, tzinfo=client.tzinfo
        )
        return start, end

    def days(self) -> list[dt.date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + dt.timedelta(days=offset) for offset in range(count)]


def _aggregates() -> dict[str, Any]:
    return {
        "calls": Count("id"),
        "answered": Count("id", filter=Q(status=CallStatus.ANSWERED)),
        "avg_duration_seconds": Avg("duration_seconds", filter=Q(status=CallStatus.ANSWERED)),
    }


def _row(key: Any, values: dict[str, Any]) -> dict[str, Any]:
    average = values["avg_duration_seconds"]
    return {
        "key": key,
        "calls": values["calls"],
        "answered": values["answered"],
        "missed": values["calls"] - values["answered"],
        "avg_duration_seconds": round(float(average), 1) if average is not None else None,
    }


def _calls_in(client: Client, period: Period) -> QuerySet[Call]:
    start, end = period.bounds(client)
    return Call.objects.for_client(client).filter(started_at__gte=start, started_at__lt=end)


def _totals(calls: QuerySet[Call]) -> dict[str, Any]:
    totals = _row(None, calls.aggregate(**_aggregates()))
    del totals["key"]
    return totals


def _grouped(
    calls: QuerySet[Call], *, client: Client, period: Period, group_by: str
) -> list[dict[str, Any]]:
    if group_by == StatsGroup.DAY:
        grouped = (
            calls.annotate(group=TruncDate("started_at", tzinfo=client.tzinfo))
            .values("group")
            .annotate(**_aggregates())
            .order_by()
        )
        by_day = {row["group"]: row for row in grouped}
        empty = {"calls": 0, "answered": 0, "avg_duration_seconds": None}
        return [_row(day.isoformat(), by_day.get(day, empty)) for day in period.days()]
    dimension = registry.dimensions.get(group_by)
    # Calls a dimension does not reach (no attribution) are one group whose key is null.
    field = dimension.lookup if dimension is not None else _GROUP_EXPRESSIONS[group_by]
    grouped = calls.values(field).annotate(**_aggregates()).order_by("-calls", field)
    return [_row(row[field], row) for row in grouped]


def call_stats(*, client: Client, period: Period, group_by: str) -> dict[str, Any]:
    """Totals and one row per group: `missed` is every status but answered (SPEC §5)."""
    calls = _calls_in(client, period)
    return {
        "results": _grouped(calls, client=client, period=period, group_by=group_by),
        "totals": _totals(calls),
    }


def dashboard_summary(*, client: Client, period: Period) -> dict[str, Any]:
    """What the dashboard shows: totals, calls per day, and the split by source and by status."""
    calls = _calls_in(client, period)
    return {
        "totals": _totals(calls),
        "per_day": _grouped(calls, client=client, period=period, group_by=StatsGroup.DAY),
        "by_source": _grouped(calls, client=client, period=period, group_by=StatsGroup.SOURCE),
        "by_status": _grouped(calls, client=client, period=period, group_by=StatsGroup.STATUS),
        "by_dimension": [
            {
                "dimension": dimension,
                "rows": [
                    {**row, "label": dimension.label_of(row["key"])}
                    for row in _grouped(calls, client=client, period=period, group_by=name)
                ],
            }
            for name, dimension in registry.dimensions.items()
        ],
    }


def call_media(*, call: Call, kind: str) -> MediaObject:
    """The call's recording or voice message (404 when it has none)."""
    return get_for_client_or_404(MEDIA_MODELS[kind].objects.all(), client=call.client, call=call)


def media_open(*, media: MediaObject) -> OpenedObject:
    """Ready to decrypt; raises IntegrityError for a tampered, truncated or unkeyed object."""
    return object_open(
        storage_name=media.storage_name,
        object_id=media.pk,
        key_id=media.key_id,
        wrapped_key=media.wrapped_key,
        size_bytes=media.size_bytes,
    )


def contact_find(*, client: Client, phone_number: str) -> Contact | None:
    return Contact.objects.for_client(client).filter(phone_number=phone_number).first()


@dataclass
class ContactBundle:
    """What the access export of one Contact holds; `members()` streams it, file by file."""

    client: Client
    contact: Contact
    opened: list[tuple[str, Any]]
    calls: int
    recordings: int
    voicemails: int

    def members(self) -> Iterator[tuple[str, Iterator[bytes]]]:
        from calls.exports import csv_rows_python

        calls = (
            Call.objects.for_client(self.client).filter(contact=self.contact).order_by("started_at")
        )
        yield "calls.csv", csv_rows_python(calls, client=self.client)
        for name, opened in self.opened:
            yield name, opened.iter_range(0, opened.size - 1) if opened.size else iter(())


def contact_bundle(*, client: Client, contact: Contact) -> ContactBundle:
    """Opens (and so checks) every recording and voice message before anything is sent."""
    calls = Call.objects.for_client(client).filter(contact=contact)
    opened: list[tuple[str, Any]] = []
    counts = {}
    for kind, folder in (("recording", "recordings"), ("voicemail", "voicemails")):
        media = (
            MEDIA_MODELS[kind]
            .objects.for_client(client)
            .filter(call__in=calls)
            .order_by("call__started_at")
        )
        counts[kind] = 0
        for item in media:
            opened.append((f"{folder}/{item.call_id}.{item.extension}", media_open(media=item)))
            counts[kind] += 1
    return ContactBundle(
        client=client,
        contact=contact,
        opened=opened,
        calls=calls.count(),
        recordings=counts["recording"],
        voicemails=counts["voicemail"],
    )


def contact_summary(*, client: Client, contact: Contact) -> dict[str, Any]:
    calls = Call.objects.for_client(client).filter(contact=contact)
    return {
        **calls.aggregate(calls=Count("id"), first=Min("started_at"), last=Max("started_at")),
        "recordings": calls.filter(has_recording=True).count(),
        "voicemails": calls.filter(has_voicemail=True).count(),
    }


def contact_ids_locate_across_clients(*, phone: str, client: Client | None = None) -> list[Any]:
    """The ids of the Contacts holding `phone` in every Client (in `client` only, when given).

    One probe of the phone number's index, written out: the ORM's compilation alone would cost
    several times the lookup (bench/bench_erasure.py), whatever the size of the tables."""
    sql, params = "SELECT id FROM calls_contact WHERE phone_number = %s", [phone]
    if client is not None:
        sql += " AND client_id = %s"
        params.append(Contact._meta.get_field("client").get_db_prep_value(client.pk, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
