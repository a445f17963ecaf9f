"""Hooks through which a higher app adds to what the calls pages, API and exports show,
without calls importing it (ARCHITECTURE.md: lower apps never import higher ones).

A registered *dimension* is a property of a call reached by an ORM path from Call (e.g.
attribution's channel): the call list filters on it, the stats API and the dashboard group by
it. A registered *export column set* adds columns at the end of the exports when asked for with
`?include=<name>`. A registered *detail* adds one key to a call's API detail and a block, from
its own template, to the call page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CallDimension:
    name: str
    lookup: str  # ORM path from Call
    label: Any
    # A closed set of values (validated, shown as a select), or None for free text.
    choices: tuple[tuple[str, Any], ...] | None = None

    def label_of(self, value: Any) -> Any:
        return dict(self.choices or ()).get(value, value)


@dataclass(frozen=True)
class ExportColumnSet:
    name: str
    # (column name, ORM path from Call); an absent relation exports an empty cell.
    columns: tuple[tuple[str, str], ...]
    select_related: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallDetail:
    name: str
    select_related: str
    # The value of `name` in the call's API detail (None when it has none).
    as_json: Callable[[Any], Any]
    template: str = ""


@dataclass
class _Registry:
    dimensions: dict[str, CallDimension] = field(default_factory=dict)
    export_columns: dict[str, ExportColumnSet] = field(default_factory=dict)
    details: dict[str, CallDetail] = field(default_factory=dict)


registry = _Registry()


def dimension_register(dimension: CallDimension) -> None:
    registry.dimensions[dimension.name] = dimension


def export_columns_register(column_set: ExportColumnSet) -> None:
    registry.export_columns[column_set.name] = column_set


def call_detail_register(detail: CallDetail) -> None:
    registry.details[detail.name] = detail
