"""The call filters are declared once (calls.filters.CALL_FILTERS): the HTML list's form, the
API's OpenAPI parameters and the parsing all follow that one declaration."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from calls.filters import (
    CALL_FILTERS,
    FILTER_NAMES,
    TEXT_MAX_LENGTH,
    FilterKind,
    call_filters_parse,
)
from calls.forms import CallFilterForm
from tests.factories import CallFactory

FILTERED_OPERATIONS = (
    ("/api/v1/calls/", "get"),
    ("/api/v1/exports/calls.csv", "get"),
    ("/api/v1/exports/calls.xlsx", "get"),
    ("/api/v1/exports/calls.xlsx", "post"),
)


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    import yaml

    return yaml.safe_load(response.content)


def test_the_openapi_parameters_are_the_declared_filters(schema):
    for path, method in FILTERED_OPERATIONS:
        parameters = {
            parameter["name"]: parameter
            for parameter in schema["paths"][path][method]["parameters"]
            if parameter["in"] == "query" and parameter["name"] not in ("cursor", "page_size")
        }
        # The exports add their own sort (and the CSV its dialect), declared beside the filters.
        exports = {"sort", "dialect"} if path.startswith("/api/v1/exports/") else set()
        assert set(parameters) - exports == set(FILTER_NAMES), (path, method)
        for declared in CALL_FILTERS:
            if declared.choices:
                assert sorted(parameters[declared.name]["schema"]["enum"]) == sorted(
                    declared.values()
                )
            if declared.description:
                assert parameters[declared.name]["description"] == declared.description


def test_the_html_form_has_one_input_per_declared_filter_and_the_sort(acme):
    form = CallFilterForm({}, client=acme)
    assert list(form.fields) == [*FILTER_NAMES, "sort"]
    for declared in CALL_FILTERS:
        assert form.fields[declared.name].label == declared.label


def test_the_form_offers_this_clients_tracking_numbers_only(acme, acme_number, globex):
    from tests.factories import TrackingNumberFactory

    theirs = TrackingNumberFactory(client=globex, number="+33184809999")
    options = dict(CallFilterForm({}, client=acme).fields["tracking_number"].widget.choices)
    assert acme_number.number in options and theirs.number not in options


def test_every_declared_filter_is_parsed_by_its_kind(acme):
    samples = {
        FilterKind.MOMENT: "2026-11-01",
        FilterKind.PHONE: "+33 6 12 34 56 78",
        FilterKind.TEXT: "spring",
    }
    for declared in CALL_FILTERS:
        raw = declared.values()[0] if declared.kind is FilterKind.CHOICE else samples[declared.kind]
        if declared.name == "started_before":
            raw = "2026-11-02"
        parsed = call_filters_parse({declared.name: raw}, client=acme)
        assert getattr(parsed, declared.name) is not None, declared.name
        assert list(parsed.as_query()) == [declared.name]


def test_a_text_filter_longer_than_its_limit_is_named_in_the_errors(acme):
    text = next(declared for declared in CALL_FILTERS if declared.kind is FilterKind.TEXT)
    with pytest.raises(ValidationError) as raised:
        call_filters_parse({text.name: "x" * (TEXT_MAX_LENGTH + 1)}, client=acme)
    assert list(raised.value.message_dict) == [text.name]


@pytest.mark.parametrize(
    "declared", [d for d in CALL_FILTERS if d.kind is FilterKind.TEXT], ids=lambda d: d.name
)
def test_a_text_filter_holding_a_null_character_is_an_error_not_a_failed_query(
    declared, acme, acme_api
):
    with pytest.raises(ValidationError) as raised:
        call_filters_parse({declared.name: "spr\x00ing"}, client=acme)
    assert list(raised.value.message_dict) == [declared.name]
    response = acme_api.get("/api/v1/calls/", {declared.name: "\x00"})
    assert response.status_code == 400
    assert declared.name in response.json()


def test_a_filter_error_on_the_list_shows_no_calls_under_it(as_user, acme_admin, acme, acme_number):
    CallFactory.create_batch(3, client=acme, tracking_number=acme_number)
    response = as_user(acme_admin).get(reverse("call-list"), {"caller_number": "abc"})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="calls-table"' not in body and 'id="export-buttons"' not in body
    assert response.context["page"] is None


def test_a_filter_error_sits_next_to_its_field_under_its_label(as_user, acme_admin):
    response = as_user(acme_admin).get(
        reverse("call-list"), {"started_after": "2026-11-05", "started_before": "2026-11-01"}
    )
    form = response.context["form"]
    assert response.status_code == 400
    assert form.errors == {"started_before": ["Must be later than “Started from”."]}
    body = response.content.decode()
    assert "started_before:" not in body
    assert 'has-error">\n    <label for="id_started_before">Started before:</label>' in body


def test_an_unknown_parameter_on_the_list_is_named_in_the_errors(as_user, acme_admin):
    response = as_user(acme_admin).get(reverse("call-list"), {"colour": "red"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()[0].startswith("colour: Unknown filter")


def test_a_bad_sort_falls_back_to_newest(as_user, acme_admin, acme, acme_number):
    CallFactory(client=acme, tracking_number=acme_number)
    response = as_user(acme_admin).get(reverse("call-list"), {"sort": "colour"})
    assert response.status_code == 200 and len(response.context["page"]) == 1


def test_the_stats_group_by_parameter_is_the_declared_api_groups(schema, acme_api):
    from calls.selectors import API_GROUP_BY, STATS_GROUPS

    (group_by,) = [
        p for p in schema["paths"]["/api/v1/stats/"]["get"]["parameters"] if p["name"] == "group_by"
    ]
    assert sorted(group_by["schema"]["enum"]) == sorted(API_GROUP_BY)
    for group in STATS_GROUPS:
        response = acme_api.get(
            f"/api/v1/stats/?from=2026-11-01&to=2026-11-02&group_by={group.name}"
        )
        assert response.status_code == (200 if group.in_api else 400), group.name
