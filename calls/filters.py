"""The call list's filters, parsed once for the HTML list, the API and the exports (SPEC §5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import Client
from accounts.phones import normalize_e164
from calls.models import CallStatus

FILTER_NAMES = ("started_after", "started_before", "status", "tracking_number", "caller_number")
# Far enough for any real call; keeps date arithmetic (a day's end, a time-zone shift) in range.
EARLIEST_DAY = dt.date(1970, 1, 1)
LATEST_DAY = dt.date(2999, 12, 31)
OUT_OF_RANGE = f"Choose a day between {EARLIEST_DAY} and {LATEST_DAY}."


def day_in_range(day: dt.date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


@dataclass(frozen=True)
class CallFilters:
    started_after: dt.datetime | None = None
    started_before: dt.datetime | None = None
    status: str | None = None
    tracking_number: str | None = None
    caller_number: str | None = None
    # Filters on the dimensions higher apps register (calls.extensions), e.g. channel, campaign.
    dimensions: tuple[tuple[str, str], ...] = ()
    # Column sets the exports add at the end (`?include=attribution`), registered likewise.
    include: tuple[str, ...] = ()

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters (for links that keep them)."""
        query = {
            name: value.isoformat() if isinstance(value, dt.datetime) else value
            for name, value in asdict(self).items()
            if value is not None and name not in {"dimensions", "include"}
        }
        query.update(self.dimensions)
        if self.include:
            query["include"] = ",".join(self.include)
        return query

    def export_columns(self) -> tuple[tuple[str, str], ...]:
        """(column name, ORM path) of the included column sets, in the order asked."""
        from calls.extensions import registry

        return tuple(
            column for name in self.include for column in registry.export_columns[name].columns
        )

    def for_audit(self) -> dict[str, object]:
        """The filters for an audit record: phone numbers only as keyed hashes."""
        from privacy.audit import identifier_hash

        query = self.as_query()
        for name in ("tracking_number", "caller_number"):
            if name in query:
                query[name] = identifier_hash(query[name])
        return query


def parse_moment(raw: str, *, client: Client, field: str) -> dt.datetime:
    """A date (midnight in the Client's time zone) or a datetime carrying its offset."""
    raw = raw.strip()
    if "T" in raw and " " in raw.partition("T")[2]:
        # An unencoded "+01:00" in a query string arrives as " 01:00".
        raw = raw.replace(" ", "+")
    try:
        moment = parse_datetime(raw) if "T" in raw or " " in raw else None
        day = None if moment else parse_date(raw)
    except ValueError:
        moment = day = None
    if moment is not None:
        if moment.tzinfo is None:
            raise ValidationError(
                {field: ["A datetime needs its offset, e.g. 2026-01-31T09:00:00+01:00."]}
            )
        if not day_in_range(moment.date()):
            raise ValidationError({field: [OUT_OF_RANGE]})
        return moment
    if day is not None:
        if not day_in_range(day):
            raise ValidationError({field: [OUT_OF_RANGE]})
        return dt.datetime.combine(day, dt.time.min, tzinfo=client.tzinfo)
    raise ValidationError({field: ["Enter a date (YYYY-MM-DD) or a datetime with its offset."]})


def call_filters_parse(
    params: Mapping[str, str], *, client: Client, allowed_extra: tuple[str, ...] = ()
) -> CallFilters:
    """Read filters from query parameters; every problem names its parameter (ValidationError)."""
    from calls.extensions import registry

    names = (*FILTER_NAMES, *registry.dimensions, "include")
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(params) - set(names) - set(allowed_extra))
    for name in unknown:
        errors[name] = [f"Unknown filter; use {', '.join(names)}."]
    dimensions = []
    for name, dimension in registry.dimensions.items():
        value = params.get(name, "").strip()
        if not value:
            continue
        allowed = [key for key, _ in dimension.choices or ()]
        if allowed and value not in allowed:
            errors[name] = [f"Unknown {name}; use {', '.join(allowed)}."]
        elif len(value) > 200:
            errors[name] = ["At most 200 characters."]
        else:
            dimensions.append((name, value))
    values: dict[str, object] = {}
    for name in ("started_after", "started_before"):
        if params.get(name, "").strip():
            try:
                values[name] = parse_moment(params[name], client=client, field=name)
            except ValidationError as error:
                errors.update(error.message_dict)
    include = tuple(
        dict.fromkeys(part.strip() for part in params.get("include", "").split(",") if part.strip())
    )
    for name in include:
        if name not in registry.export_columns:
            errors["include"] = [f"Unknown column set; use {', '.join(registry.export_columns)}."]
    status = params.get("status", "").strip()
    if status:
        if status in CallStatus.values:
            values["status"] = status
        else:
            errors["status"] = [f"Unknown status; use {', '.join(CallStatus.values)}."]
    for name in ("tracking_number", "caller_number"):
        if params.get(name, "").strip():
            try:
                values[name] = normalize_e164(params[name])
            except ValidationError as error:
                errors[name] = error.messages
    after, before = values.get("started_after"), values.get("started_before")
    if after and before and after >= before:  # type: ignore[operator]
        errors["started_before"] = ["Must be later than started_after."]
    if errors:
        raise ValidationError(errors)
    return CallFilters(**values, dimensions=tuple(dimensions), include=include)  # type: ignore[arg-type]
