"""`?include=attribution` adds the attribution columns at the end of the exports (SPEC §13)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from calls.exports import COLUMNS
from tests.factories import CallFactory

ATTRIBUTION_COLUMNS = [
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "landing_page",
    "click_id",
    "attribution_ambiguous",
]


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_csv_adds_the_attribution_columns_at_the_end(
    acme_api, acme, acme_number, acme_attributed_call
):
    CallFactory(client=acme, tracking_number=acme_number, external_id="plain")
    rows = _csv(acme_api.get("/api/v1/exports/calls.csv?include=attribution"))
    assert rows[0] == [*COLUMNS, *ATTRIBUTION_COLUMNS]
    by_id = {row[0]: row for row in rows[1:]}
    attributed = by_id[acme_attributed_call]
    assert attributed[len(COLUMNS) :] == [
        "paid_search",
        "google",
        "cpc",
        "spring",
        "",
        "/offer/?utm_campaign=spring",
        "",
        "false",
    ]
    plain = next(row for row in rows[1:] if row[1] == "plain")
    assert plain[len(COLUMNS) :] == [""] * len(ATTRIBUTION_COLUMNS)


def test_without_include_the_csv_keeps_its_columns(acme_api, acme_attributed_call):
    rows = _csv(acme_api.get("/api/v1/exports/calls.csv"))
    assert rows[0] == list(COLUMNS)


def test_an_unknown_column_set_is_a_400(acme_api, acme):
    response = acme_api.get("/api/v1/exports/calls.csv?include=secrets")
    assert response.status_code == 400
    assert "include" in response.json()


def test_the_excel_export_adds_them_too(acme_api, acme_attributed_call):
    response = acme_api.get("/api/v1/exports/calls.xlsx?include=attribution&channel=paid_search")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [*COLUMNS, *ATTRIBUTION_COLUMNS]
    assert rows[1][len(COLUMNS)] == "paid_search"
    assert rows[1][-1] is False
    assert len(rows) == 2


@pytest.mark.parametrize("campaign", ["=HYPERLINK(1)", "+1"])
def test_attribution_text_is_neutralised_against_formulas(
    acme_api, acme, acme_attributed_call, campaign
):
    from attribution.models import CallAttribution

    CallAttribution.objects.for_client(acme).update(campaign=campaign)
    rows = _csv(acme_api.get("/api/v1/exports/calls.csv?include=attribution"))
    assert rows[1][len(COLUMNS) + 3] == "'" + campaign
