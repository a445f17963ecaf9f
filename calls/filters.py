"""The call list's filters, declared once (SPEC §5, STYLE.md §7c).

`CALL_FILTERS` is the one declaration: the HTML list's form (calls.forms), the API's and the
exports' OpenAPI parameters (`openapi_parameters`), the parsing (`call_filters_parse`), the query
(`CallFilters.apply`) and the audit record (`CallFilters.for_audit`) all come from it. A new filter
is one `CallFilter(...)` line in `CALL_FILTERS`; a higher app adds its own with
`call_filter_register` from its `AppConfig.ready()` (attribution: channel, campaign), so calls never
imports it. `?include=` names column sets the exports add at the end (calls.exports)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from accounts.forms import null_character_errors
from accounts.models import Client
from accounts.phones import phone_digits, phone_displays, phone_example, phone_parse
from calls.models import CallStatus
from privacy.audit import identifier_hash

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django_stubs_ext import StrOrPromise

    from calls.models import Call

# Far enough for any real call; keeps date arithmetic (a day's end, a time-zone shift) in range.
EARLIEST_DAY = dt.date(1970, 1, 1)
LATEST_DAY = dt.date(2999, 12, 31)
# The days above, written out: a translatable message names them as they are.
OUT_OF_RANGE = _("Choose a day between 1970-01-01 and 2999-12-31.")
# The longest stats period, on the page and in the API: ten years, their leap days included.
PERIOD_MAX_DAYS = 3660
PERIOD_TOO_LONG = _("A period covers at most ten years.")


def day_in_range(day: dt.date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


class FilterKind(enum.Enum):
    MOMENT = "moment"  # a date (the Client's midnight) or a datetime with its offset
    CHOICE = "choice"  # one of `choices`
    PHONE = "phone"  # a phone number, normalised to E.164; hashed in audit records
    TEXT = "text"  # free text, at most TEXT_MAX_LENGTH characters


TEXT_MAX_LENGTH = 200

# A caller is also found by the last digits of their number: at least this many, so that a search
# stays a search for someone (three digits would match a tenth of a thousand callers).
SUFFIX_MIN_DIGITS = 4


class PhoneSuffix(str):
    """The last digits of a number (a PHONE filter with `suffix_search`): an ends-with match."""

    __slots__ = ()


Choices = Callable[[], Sequence[tuple[str, Any]]]


@dataclass(frozen=True)
class CallFilter:
    name: str
    label: StrOrPromise
    kind: FilterKind
    lookup: str  # the Call queryset lookup the parsed value is given to
    description: str = ""  # for the OpenAPI parameter
    choices: Choices | None = None  # CHOICE: the accepted values and their labels
    # The HTML list offers these values in a select instead of a text input (the Client's own
    # numbers, say); the parsing still accepts any value of the kind.
    form_options: Callable[[Client], Sequence[tuple[str, str]]] | None = None
    # PHONE: digits alone (at least SUFFIX_MIN_DIGITS, and not a whole valid number) find the
    # numbers ending with them.
    suffix_search: bool = False

    def values(self) -> list[str]:
        return [str(value) for value, _label in self.choices()] if self.choices else []


def _tracking_number_options(client: Client) -> list[tuple[str, str]]:
    # Imported here: calls.selectors imports this module for CallFilters (a real cycle).
    from calls.selectors import tracking_number_list

    display = phone_displays(region=client.country)
    return [
        (number, f"{display(number)} · {source}")
        for number, source in tracking_number_list(client=client).values_list("number", "source")
    ]


CALL_FILTERS: list[CallFilter] = [
    CallFilter(
        "started_after",
        _("Started from"),
        FilterKind.MOMENT,
        lookup="started_at__gte",
        description="Date (Client's midnight) or datetime with offset; inclusive.",
    ),
    CallFilter(
        "started_before",
        _("Started before"),
        FilterKind.MOMENT,
        lookup="started_at__lt",
        description="Date or datetime with offset; exclusive.",
    ),
    CallFilter(
        "status",
        _("Status"),
        FilterKind.CHOICE,
        lookup="status",
        choices=lambda: CallStatus.choices,
    ),
    CallFilter(
        "tracking_number",
        _("Tracking number"),
        FilterKind.PHONE,
        lookup="tracking_number__number",
        description="E.164 (the national format of the Client's country is read too).",
        form_options=_tracking_number_options,
    ),
    CallFilter(
        "caller_number",
        _("Caller"),
        FilterKind.PHONE,
        lookup="contact__phone_number",
        description=(
            "E.164 (the national format of the Client's country is read too): that caller; "
            f"or digits alone, at least {SUFFIX_MIN_DIGITS}: the callers whose number ends "
            "with them (separators ignored)."
        ),
        suffix_search=True,
    ),
]
FILTERS_BY_NAME = {declared.name: declared for declared in CALL_FILTERS}


def call_filter_register(declared: CallFilter) -> None:
    """Add a higher app's filter to the one declaration (from its AppConfig.ready(), before
    any request: the forms, the OpenAPI parameters and the parsing then all have it)."""
    if declared.name in FILTERS_BY_NAME:
        if FILTERS_BY_NAME[declared.name] == declared:
            return
        raise ValueError(f"call filter {declared.name!r} is already declared")
    CALL_FILTERS.append(declared)
    FILTERS_BY_NAME[declared.name] = declared


def filter_names() -> tuple[str, ...]:
    return tuple(FILTERS_BY_NAME)


def __getattr__(name: str) -> Any:
    # FILTER_NAMES follows the registrations (read it after the apps are ready).
    if name == "FILTER_NAMES":
        return filter_names()
    raise AttributeError(name)


class CallFilters:
    """Parsed filter values by name (an absent filter reads as None): `filters.status`."""

    __slots__ = ("_values", "include")

    def __init__(self, *, include: tuple[str, ...] = (), **values: object) -> None:
        unknown = set(values) - set(FILTERS_BY_NAME)
        if unknown:
            raise TypeError(f"unknown call filters: {', '.join(sorted(unknown))}")
        self._values = {name: value for name, value in values.items() if value is not None}
        # The exports' extra column sets (`?include=attribution`): not a filter of the calls.
        self.include = include

    def __getattr__(self, name: str) -> object:
        if name in FILTERS_BY_NAME:
            return self._values.get(name)
        raise AttributeError(name)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CallFilters)
            and self._values == other._values
            and self.include == other.include
        )

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.as_query().items())))

    def __repr__(self) -> str:
        return f"CallFilters({', '.join(sorted(self._values))})"

    def apply(self, calls: QuerySet[Call]) -> QuerySet[Call]:
        lookups = {
            FILTERS_BY_NAME[name].lookup
            + ("__endswith" if isinstance(value, PhoneSuffix) else ""): value
            for name, value in self._values.items()
            if value
        }
        return calls.filter(**lookups) if lookups else calls

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters (for links that keep them), in declaration order."""
        query = {
            name: value.isoformat() if isinstance(value, dt.datetime) else str(value)
            for name in FILTERS_BY_NAME
            if (value := self._values.get(name)) is not None
        }
        if self.include:
            query["include"] = ",".join(self.include)
        return query

    def export_columns(self) -> tuple[tuple[str, str], ...]:
        """(column name, ORM path) of the included column sets, in the order asked."""
        from calls.exports import EXPORT_COLUMN_SETS

        return tuple(column for name in self.include for column in EXPORT_COLUMN_SETS[name])

    def for_audit(self) -> dict[str, object]:
        """The filters for an audit record: phone numbers only as keyed hashes."""
        return {
            name: identifier_hash(value)
            if name in FILTERS_BY_NAME and FILTERS_BY_NAME[name].kind is FilterKind.PHONE
            else value
            for name, value in self.as_query().items()
        }


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
                {field: [gettext("A datetime needs its offset, e.g. 2026-01-31T09:00:00+01:00.")]}
            )
        if not day_in_range(moment.date()):
            raise ValidationError({field: [OUT_OF_RANGE]})
        return moment
    if day is not None:
        if not day_in_range(day):
            raise ValidationError({field: [OUT_OF_RANGE]})
        return dt.datetime.combine(day, dt.time.min, tzinfo=client.tzinfo)
    raise ValidationError(
        {field: [gettext("Enter a date (YYYY-MM-DD) or a datetime with its offset.")]}
    )


def _parse_one(declared: CallFilter, raw: str, *, client: Client) -> object:
    if declared.kind is FilterKind.MOMENT:
        return parse_moment(raw, client=client, field=declared.name)
    if declared.kind is FilterKind.PHONE:
        return _parse_phone(declared, raw, client=client)
    value = raw.strip()
    if declared.kind is FilterKind.TEXT:
        if len(value) > TEXT_MAX_LENGTH:
            raise ValidationError(
                {
                    declared.name: [
                        gettext("At most %(count)s characters.") % {"count": TEXT_MAX_LENGTH}
                    ]
                }
            )
        if errors := null_character_errors(value):
            raise ValidationError({declared.name: errors})
        return value
    if value not in declared.values():
        raise ValidationError(
            {
                declared.name: [
                    gettext("Unknown value; use %(values)s.")
                    % {"values": ", ".join(declared.values())}
                ]
            }
        )
    return value


def _parse_phone(declared: CallFilter, raw: str, *, client: Client) -> str:
    """A whole number (national for the Client's country, or international) is that number; with
    `suffix_search`, digits alone that are not one are the end of the numbers sought."""
    try:
        # The error is keyed by the filter: the form shows its label beside it, the API its name.
        return phone_parse(raw, region=client.country)
    except ValidationError as error:
        digits = phone_digits(raw) if declared.suffix_search else None
        if digits is not None and SUFFIX_MIN_DIGITS <= len(digits) <= 15:
            return PhoneSuffix(digits)
        messages = error.messages
        if declared.suffix_search:
            messages = [
                gettext(
                    "Enter a valid phone number, e.g. %(example)s, or at least its last "
                    "%(count)s digits."
                )
                % {"example": phone_example(client.country), "count": SUFFIX_MIN_DIGITS}
            ]
        raise ValidationError({declared.name: messages}) from None


def call_filters_parse(
    params: Mapping[str, str], *, client: Client, allowed_extra: tuple[str, ...] = ()
) -> CallFilters:
    """Read filters from query parameters; every problem names its parameter (ValidationError)."""
    errors: dict[str, list[str]] = {}
    from calls.exports import EXPORT_COLUMN_SETS

    names = filter_names()
    unknown = sorted(set(params) - {*names, "include"} - set(allowed_extra))
    for name in unknown:
        errors[name] = [gettext("Unknown filter; use %(names)s.") % {"names": ", ".join(names)}]
    include = tuple(
        dict.fromkeys(part.strip() for part in params.get("include", "").split(",") if part.strip())
    )
    if any(name not in EXPORT_COLUMN_SETS for name in include):
        errors["include"] = [
            gettext("Unknown column set; use %(names)s.") % {"names": ", ".join(EXPORT_COLUMN_SETS)}
        ]
    values: dict[str, object] = {}
    for declared in CALL_FILTERS:
        raw = params.get(declared.name, "")
        if not raw.strip():
            continue
        try:
            values[declared.name] = _parse_one(declared, raw, client=client)
        except ValidationError as error:
            errors.update(error.message_dict)
    after, before = values.get("started_after"), values.get("started_before")
    if after and before and after >= before:  # type: ignore[operator]
        errors["started_before"] = [
            gettext("Must be later than “%(other)s”.")
            % {"other": FILTERS_BY_NAME["started_after"].label}
        ]
    if errors:
        raise ValidationError(errors)
    return CallFilters(**values, include=include)


def openapi_parameters() -> list[Any]:
    """The filters as drf-spectacular query parameters (the calls list and the exports)."""
    parameters = []
    for declared in CALL_FILTERS:
        extra: dict[str, Any] = (
            {"description": declared.description} if declared.description else {}
        )
        if declared.choices:
            extra["enum"] = declared.values()
        parameters.append(OpenApiParameter(declared.name, OpenApiTypes.STR, **extra))
    return parameters


# --- The exports' own parameters, beside the filters (SPEC §6, §14) --------------------------------
# `sort`: the call list's order (calls.selectors.CALL_SORTS), so that an export from the list
# reads as the list does; `dialect` (CSV only): `excel` writes what a spreadsheet opens well in the
# User's language. Declared here with the filters: the OpenAPI parameters and the parsing read them.
SORT_PARAM = "sort"
DIALECT_PARAM = "dialect"
CSV_DIALECTS = ("excel",)


@dataclass(frozen=True)
class ExportRequest:
    filters: CallFilters
    sort: str = "newest"
    dialect: str = ""  # "" is SPEC §6's CSV, byte for byte

    def job_query(self) -> dict[str, str]:
        """What a background job keeps to write the same file later."""
        query = self.filters.as_query()
        if self.sort != "newest":
            query[SORT_PARAM] = self.sort
        return query


def _sorts() -> list[str]:
    from calls.selectors import CALL_SORTS  # calls.selectors imports this module

    return list(CALL_SORTS)


def export_request_parse(
    params: Mapping[str, str], *, client: Client, csv: bool = False
) -> ExportRequest:
    """The filters, the sort order and (CSV) the dialect of an export; every problem names its
    parameter (ValidationError)."""
    allowed = (SORT_PARAM, DIALECT_PARAM) if csv else (SORT_PARAM,)
    errors: dict[str, list[str]] = {}
    filters = CallFilters()
    try:
        filters = call_filters_parse(params, client=client, allowed_extra=allowed)
    except ValidationError as error:
        errors.update(error.message_dict)
    sort = params.get(SORT_PARAM, "").strip() or "newest"
    if sort not in _sorts():
        errors[SORT_PARAM] = [
            gettext("Unknown value; use %(values)s.") % {"values": ", ".join(_sorts())}
        ]
    dialect = params.get(DIALECT_PARAM, "").strip() if csv else ""
    if dialect and dialect not in CSV_DIALECTS:
        errors[DIALECT_PARAM] = [
            gettext("Unknown value; use %(values)s.") % {"values": ", ".join(CSV_DIALECTS)}
        ]
    if errors:
        raise ValidationError(errors)
    return ExportRequest(filters=filters, sort=sort, dialect=dialect)


def export_openapi_parameters(*, csv: bool = False) -> list[Any]:
    """The filters and the exports' own parameters, as drf-spectacular query parameters."""
    parameters = [
        *openapi_parameters(),
        OpenApiParameter(
            SORT_PARAM,
            OpenApiTypes.STR,
            enum=_sorts(),
            description="The rows' order, as the call list's (default newest).",
        ),
    ]
    if csv:
        parameters.append(
            OpenApiParameter(
                DIALECT_PARAM,
                OpenApiTypes.STR,
                enum=list(CSV_DIALECTS),
                description=(
                    "excel: for a spreadsheet in the User's language (UTF-8 BOM; for French, "
                    "';' between cells and a decimal comma). Absent: the CSV of SPEC §6."
                ),
            )
        )
    return parameters
