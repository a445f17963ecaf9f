"""Every read of the calls app (STYLE.md §3): tenant first, filters parsed once (filters.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, cast

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Avg, Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncDate

from accounts.models import Client
from accounts.tenancy import get_for_client_or_404
from calls.exports import csv_rows_python
from calls.filters import CallFilters, call_filters_parse
from calls.media.objects import stored_object_open
from calls.models import (
    MEDIA_MODELS,
    Call,
    CallStatus,
    Contact,
    ExportJob,
    ExportJobStatus,
    MediaObject,
    TrackingNumber,
)
from calls.signals import call_detail_fields

# Each order is total (it ends on the id): the HTML list pages by keyset (calls/pagination.py),
# which needs every row to have one place, equal start times and durations included.
CALL_SORTS = {
    "newest": ("-started_at", "-id"),
    "oldest": ("started_at", "id"),
    "longest": ("-duration_seconds", "-started_at", "-id"),
    "shortest": ("duration_seconds", "-started_at", "-id"),
}


# What the web list's rows show (calls/templatetags/call_rows.py), and its sort orders' fields.
CALL_LIST_PAGE_COLUMNS = (
    "id",
    "started_at",
    "duration_seconds",
    "direction",
    "status",
    "has_recording",
    "has_voicemail",
    "tracking_number__number",
    "tracking_number__source",
    "contact__phone_number",
)


def call_list(
    *,
    client: Client,
    filters: CallFilters,
    sort: str = "newest",
    include_restricted: bool = False,
) -> QuerySet[Call]:
    """The call list, its API and its exports. The calls of a Contact whose processing is
    restricted (GDPR art. 18) are left out unless `include_restricted` (the erasure's own check)."""
    calls = Call.objects.for_client(client).select_related("tracking_number", "contact")
    if not include_restricted:
        calls = calls.filter(contact__restricted_at__isnull=True)
    calls = filters.apply(calls)
    return calls.order_by(*CALL_SORTS.get(sort, CALL_SORTS["newest"]))


def call_list_page_rows(
    *, client: Client, filters: CallFilters, sort: str = "newest"
) -> QuerySet[Call, Any]:
    """The call list as the web page shows it: named rows of CALL_LIST_PAGE_COLUMNS
    (`row.started_at`, `row.tracking_number__source`, `row.contact__phone_number`…) rather than
    Calls. Making each row a Call, its number and its Contact cost more than the query reading
    them, a tenth of the page's time at 5M calls (bench/bench_call_list.py)."""
    return call_list(client=client, filters=filters, sort=sort).values_list(
        *CALL_LIST_PAGE_COLUMNS, named=True
    )


def call_get(*, client: Client | None, call_id: object) -> Call:
    return get_for_client_or_404(
        Call.objects.select_related("client", "tracking_number", "contact"),
        client=client,
        pk=call_id,
    )


def call_details(call: Call) -> dict[str, Any]:
    """What higher apps add to a call's API detail (calls.signals.call_detail_fields)."""
    details: dict[str, Any] = {}
    for _receiver, fields in call_detail_fields.send(sender=Call, call=call):
        details.update(cast(dict[str, Any], fields or {}))
    return details


def tracking_number_list(*, client: Client) -> QuerySet[TrackingNumber]:
    return TrackingNumber.objects.for_client(client).order_by("-active", "number")


def tracking_number_get(*, client: Client, number_id: object) -> TrackingNumber:
    return get_for_client_or_404(TrackingNumber.objects.all(), client=client, pk=number_id)


def export_job_get(*, client: Client | None, job_id: object, done: bool = False) -> ExportJob:
    """An export job of the Client's (404 otherwise); `done`: only one whose file is ready."""
    ready = {"status": ExportJobStatus.DONE} if done else {}
    return get_for_client_or_404(ExportJob.objects.all(), client=client, pk=job_id, **ready)


@dataclass(frozen=True)
class StatsGroup:
    """One way of splitting the stats into rows (STYLE.md §7c): declared once in STATS_GROUPS,
    from which the API's `group_by` choices, its OpenAPI enum and the dashboard's splits come.
    A higher app adds its own with `stats_group_register` from its AppConfig.ready()
    (attribution: channel, campaign); the dashboard shows those after its own splits."""

    name: str
    field: str | None  # the Call value each row stands for; None: one row per day of the period
    in_api: bool = True  # offered as the stats API's `group_by`
    label: Any = ""  # a registered group's heading on the dashboard
    # The labels of a closed set of values (the dashboard shows them instead of the values).
    choices: tuple[tuple[str, Any], ...] = ()

    def label_of(self, value: Any) -> Any:
        return dict(self.choices).get(value, value)


STATS_GROUPS: list[StatsGroup] = [
    StatsGroup("day", None),
    StatsGroup("tracking_number", "tracking_number__number"),
    StatsGroup("status", "status"),
    StatsGroup("source", "tracking_number__source", in_api=False),  # the dashboard's split
]
# The dashboard shows its own splits, then every group a higher app registers.
_BUILT_IN = frozenset(group.name for group in STATS_GROUPS)
STATS_GROUPS_BY_NAME = {group.name: group for group in STATS_GROUPS}


def stats_group_register(group: StatsGroup) -> None:
    """Add a higher app's group (from its AppConfig.ready(), before any request)."""
    if group.name in STATS_GROUPS_BY_NAME:
        if STATS_GROUPS_BY_NAME[group.name] == group:
            return
        raise ValueError(f"stats group {group.name!r} is already declared")
    STATS_GROUPS.append(group)
    STATS_GROUPS_BY_NAME[group.name] = group


def api_group_by() -> tuple[str, ...]:
    return tuple(group.name for group in STATS_GROUPS if group.in_api)


def __getattr__(name: str) -> Any:
    # API_GROUP_BY follows the registrations (read it after the apps are ready).
    if name == "API_GROUP_BY":
        return api_group_by()
    raise AttributeError(name)


DEFAULT_GROUP_BY = "day"


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
        # The dashboard's totals add the calls of first-time callers (Call.is_first_call).
        **(
            {"first_time_callers": values["first_time_callers"]}
            if "first_time_callers" in values
            else {}
        ),
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
    field = STATS_GROUPS_BY_NAME[group_by].field
    if field is None:
        grouped = (
            calls.annotate(group=TruncDate("started_at", tzinfo=client.tzinfo))
            .values("group")
            .annotate(**_aggregates())
            .order_by()
        )
        by_day: dict[dt.date, Any] = {row["group"]: row for row in grouped}
        empty = {"calls": 0, "answered": 0, "avg_duration_seconds": None}
        return [_row(day.isoformat(), by_day.get(day, empty)) for day in period.days()]
    # Calls a registered group's relation does not reach (no attribution) are one null row.
    grouped = calls.values(field).annotate(**_aggregates()).order_by("-calls", field)
    return [_row(row[field], row) for row in grouped]


def stats_row(key: Any, *, calls: int, answered: int, answered_seconds: int) -> dict[str, Any]:
    """A stats row from sums (the daily aggregates' shape), exactly as `_row` makes it."""
    average = answered_seconds / answered if answered else None
    return _row(key, {"calls": calls, "answered": answered, "avg_duration_seconds": average})


class StatsReader(Protocol):
    def call_stats(self, *, client: Client, period: Period, group_by: str) -> dict[str, Any]: ...

    def dashboard_summary(self, *, client: Client, period: Period) -> dict[str, Any]: ...


# The dashboard and the stats API read through a reader registered from above (reports: the daily
# aggregates, ARCHITECTURE.md), so that calls imports nothing of reports; without one, the scans
# below answer. They stay as the reference the aggregates are tested and benchmarked against.
_stats_reader: StatsReader | None = None


def stats_reader_register(reader: StatsReader | None) -> None:
    global _stats_reader
    _stats_reader = reader


def call_stats(*, client: Client, period: Period, group_by: str) -> dict[str, Any]:
    """Totals and one row per group: `missed` is every status but answered (SPEC §5)."""
    if _stats_reader is not None:
        return _stats_reader.call_stats(client=client, period=period, group_by=group_by)
    return call_stats_scan(client=client, period=period, group_by=group_by)


def dashboard_summary(*, client: Client, period: Period) -> dict[str, Any]:
    """What the dashboard shows: totals (with `first_time_callers`), calls per day, and the split
    by source and by status."""
    if _stats_reader is not None:
        return _stats_reader.dashboard_summary(client=client, period=period)
    return dashboard_summary_scan(client=client, period=period)


def call_stats_scan(*, client: Client, period: Period, group_by: str) -> dict[str, Any]:
    """`call_stats` from every call of the period."""
    calls = _calls_in(client, period)
    return {
        "results": _grouped(calls, client=client, period=period, group_by=group_by),
        "totals": _totals(calls),
    }


def dashboard_summary_scan(*, client: Client, period: Period) -> dict[str, Any]:
    """`dashboard_summary` from every call of the period."""
    calls = _calls_in(client, period)
    totals = _row(
        None,
        calls.aggregate(
            **_aggregates(), first_time_callers=Count("id", filter=Q(is_first_call=True))
        ),
    )
    del totals["key"]
    return {
        "totals": totals,
        "per_day": _grouped(calls, client=client, period=period, group_by="day"),
        "by_source": _grouped(calls, client=client, period=period, group_by="source"),
        "by_status": _grouped(calls, client=client, period=period, group_by="status"),
        "by_dimension": [
            {
                "dimension": group,
                "rows": [
                    {**row, "label": group.label_of(row["key"])}
                    for row in _grouped(calls, client=client, period=period, group_by=group.name)
                ],
            }
            for group in STATS_GROUPS
            if group.name not in _BUILT_IN
        ],
    }


def call_media(*, call: Call, kind: str) -> MediaObject:
    """The call's recording or voice message (404 when it has none)."""
    return get_for_client_or_404(MEDIA_MODELS[kind].objects.all(), client=call.client, call=call)


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
            opened.append((f"{folder}/{item.call_id}.{item.extension}", stored_object_open(item)))
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


def export_jobs_holding_contact(*, contact: Contact) -> list[ExportJob]:
    """The export jobs of the Contact's Client whose file may hold one of the Contact's calls.

    The rule: a job is kept (in storage, for its 24 hours) with the query it was made from; it may
    hold the Contact's number when that query, read again now, matches one of the Contact's calls.
    The status filter is left out of that test because a call's status can still change after the
    export ran (a later status callback), and a query that no longer parses is taken to match:
    shredding an export too many costs its owner a new download, keeping one too many keeps a
    number the law says must go. An export of every call matches, as it should."""
    own_calls = Call.objects.for_client(contact.client).filter(contact=contact)
    held = []
    for job in ExportJob.objects.for_client(contact.client).order_by("created_at"):
        query = {name: value for name, value in job.query.items() if name != "status"}
        try:
            filters = call_filters_parse(query, client=contact.client, allowed_extra=tuple(query))
        except ValidationError:
            held.append(job)
            continue
        matched = call_list(client=contact.client, filters=filters, include_restricted=True)
        if own_calls.filter(pk__in=matched.values("pk")).exists():
            held.append(job)
    return held
