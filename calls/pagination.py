"""The HTML call list's pages, by keyset (SPEC §15): no page costs a count of every row.

A page is the rows after (or before) the position of a row in the list's total order
(`CALL_SORTS`, which always ends on the id), read through the list's index like the API's cursor
page; the link to the next page carries that position in a signed, opaque cursor. How many calls
match is counted exactly up to `CALL_LIST_EXACT_COUNT_LIMIT` rows (10,000) and only estimated
above, from the planner's row estimate on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma, intword
from django.core import signing
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, ngettext

from calls.models import Call
from calls.selectors import CALL_SORTS

CURSOR_SALT = "calls.call_list.cursor"
MAX_DURATION = 2**31 - 1
# Above this many times the limit, the planner's estimate is shown without the bounded count:
# the estimates of a Client's calls are not a hundred times off, and the bound would cost more
# than the page at millions of calls (10,001 index entries read).
ESTIMATE_TRUSTED_ABOVE = 100
EXACT_COUNT_LIMIT = 10_000


class CursorInvalid(ValueError):
    """A cursor that was not made here for this sort order (tampered, truncated, stale)."""


@dataclass(frozen=True)
class Cursor:
    sort: str
    position: tuple[Any, ...]  # the values of the sort's fields on the row the page starts at
    backwards: bool  # the rows before the position (the previous page) rather than after it
    number: int  # the page's number as the User walked to it (shown, never used to query)

    def encode(self) -> str:
        values = [
            value.isoformat() if isinstance(value, dt.datetime) else str(value)
            for value in self.position
        ]
        return signing.dumps(
            [self.sort, values, int(self.backwards), self.number], salt=CURSOR_SALT, compress=True
        )

    @classmethod
    def decode(cls, raw: str, *, sort: str) -> Cursor:
        try:
            payload = signing.loads(raw, salt=CURSOR_SALT)
            cursor_sort, values, backwards, number = payload
            if cursor_sort != sort:
                raise CursorInvalid("the cursor belongs to another sort order")
            fields = _fields(sort)
            if len(values) != len(fields) or not isinstance(number, int) or number < 1:
                raise CursorInvalid("malformed cursor")
            position = tuple(
                _parse(name, value)
                for (name, _descending), value in zip(fields, values, strict=True)
            )
        except CursorInvalid:
            raise
        except (signing.BadSignature, ValueError, TypeError, OverflowError) as error:
            raise CursorInvalid("malformed cursor") from error
        return cls(sort=sort, position=position, backwards=bool(backwards), number=number)


def _fields(sort: str) -> list[tuple[str, bool]]:
    """The sort's fields as (name, descending), e.g. [("started_at", True), ("id", True)]."""
    return [(field.lstrip("-"), field.startswith("-")) for field in CALL_SORTS[sort]]


def _parse(name: str, raw: object) -> Any:
    if not isinstance(raw, str):
        raise CursorInvalid("malformed cursor")
    if name == "started_at":
        moment = parse_datetime(raw)
        if moment is None or moment.tzinfo is None:
            raise CursorInvalid("malformed cursor")
        return moment
    if name == "duration_seconds":
        seconds = int(raw)
        if not 0 <= seconds <= MAX_DURATION:  # the column's range: beyond, the query would fail
            raise CursorInvalid("malformed cursor")
        return seconds
    if name == "id":
        return uuid.UUID(raw)
    raise CursorInvalid("malformed cursor")


def _beyond(fields: list[tuple[str, bool]], position: tuple[Any, ...]) -> Q:
    """The rows strictly after `position` in the order `fields` describe.

    The lexicographic comparison spelt out, since the sorts mix directions; the bound on the
    first field alone is repeated so that the index on it can start the scan at the position."""
    condition = Q()
    for depth in range(len(fields) - 1, -1, -1):
        name, descending = fields[depth]
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": position[depth]})
        if depth < len(fields) - 1:
            step |= Q(**{name: position[depth]}) & condition
        condition = step
    first, descending = fields[0]
    return Q(**{f"{first}__{'lte' if descending else 'gte'}": position[0]}) & condition


@dataclass(frozen=True)
class CallPage:
    calls: list[Any]  # the rows of the queryset paged: Calls, or named rows of their values
    number: int
    next_cursor: str | None
    previous_cursor: str | None

    def __iter__(self) -> Iterator[Any]:  # the template iterates the page like a Paginator's
        return iter(self.calls)

    def __len__(self) -> int:
        return len(self.calls)


def call_page(
    calls: QuerySet[Call, Any], *, sort: str, cursor: Cursor | None, size: int
) -> CallPage:
    """One page of `calls` (already ordered by CALL_SORTS[sort]) from `cursor`, or the first;
    its rows may be Calls or named rows holding the sort's fields."""
    fields = _fields(sort)
    if cursor is None:
        rows = list(calls[: size + 1])
        more_before, more_after, number = False, len(rows) > size, 1
        rows = rows[:size]
    elif cursor.backwards:
        # Read backwards from the position (the reversed order), then put the page right way round.
        flipped = [(name, not descending) for name, descending in fields]
        rows = list(calls.filter(_beyond(flipped, cursor.position)).reverse()[: size + 1])
        more_before, more_after = len(rows) > size, True
        rows = rows[:size][::-1]
        number = cursor.number if more_before else 1
    else:
        rows = list(calls.filter(_beyond(fields, cursor.position))[: size + 1])
        more_before, more_after, number = True, len(rows) > size, cursor.number
        rows = rows[:size]

    def link(row: Any, *, backwards: bool, number: int) -> str:
        position = tuple(getattr(row, name) for name, _descending in fields)
        return Cursor(sort=sort, position=position, backwards=backwards, number=number).encode()

    return CallPage(
        calls=rows,
        number=number,
        next_cursor=link(rows[-1], backwards=False, number=number + 1)
        if rows and more_after
        else None,
        previous_cursor=link(rows[0], backwards=True, number=number - 1)
        if rows and more_before
        else None,
    )


@dataclass(frozen=True)
class CallCount:
    value: int
    exact: bool  # the number of calls listed
    estimated: bool  # the planner's estimate; neither: a lower bound ("more than value")

    def __str__(self) -> str:
        if self.exact:
            return ngettext("%(count)s call", "%(count)s calls", self.value) % {
                "count": intcomma(self.value)
            }
        if self.estimated:
            return gettext("about %(count)s calls") % {"count": _about(self.value)}
        return gettext("more than %(count)s calls") % {"count": intcomma(self.value)}


def _about(value: int) -> str:
    """Two significant figures: 48,213 → 48,000; 1,234,567 → 1.2 million."""
    rounded = int(float(f"{value:.2g}"))
    return str(intword(rounded) if rounded >= 1_000_000 else intcomma(rounded))


def exact_count_limit() -> int:
    return getattr(settings, "CALL_LIST_EXACT_COUNT_LIMIT", EXACT_COUNT_LIMIT)


def planner_estimate(calls: QuerySet[Call]) -> int | None:
    """The rows PostgreSQL's planner expects `calls` to answer (None on another database)."""
    if connection.vendor != "postgresql":
        return None
    # The rows alone: planning the page's joins (its number, its Contact) cost more than the
    # estimate they do not change.
    plan = json.loads(calls.order_by().values("pk").explain(format="json"))
    if isinstance(plan, list):
        plan = plan[0]
    return int(plan["Plan"]["Plan Rows"])


def call_count(calls: QuerySet[Call], *, unrestricted: QuerySet[Call]) -> CallCount:
    """Exact up to the limit; above it the planner's estimate (PostgreSQL) or "more than".
    An estimate of more than a hundred times the limit is shown without counting.

    `unrestricted` is `calls` with the calls of restricted Contacts left in (the selector's
    `include_restricted`): bounding that one reads at most limit + 1 entries of an index, where
    `calls` would join every row to its Contact, which cost as much as the page itself. Under the
    bound, `calls` is counted exactly (at most limit rows); above it, the calls of restricted
    Contacts are few enough not to matter to "about 1.2 million" or "more than 10,000", so the
    planner is asked about `unrestricted` too (one table to plan instead of three)."""
    limit = exact_count_limit()
    estimate = planner_estimate(unrestricted)
    if estimate is not None and estimate > limit * ESTIMATE_TRUSTED_ABOVE:
        # Only a planner wrong a hundredfold would make the bound below say "exact" here.
        return CallCount(value=estimate, exact=False, estimated=True)
    if unrestricted.order_by()[: limit + 1].count() <= limit:
        return CallCount(value=calls.count(), exact=True, estimated=False)
    if estimate is not None and estimate > limit:
        return CallCount(value=estimate, exact=False, estimated=True)
    return CallCount(value=limit, exact=False, estimated=False)
