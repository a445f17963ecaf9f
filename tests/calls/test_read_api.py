from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest

from tests.factories import CallFactory, ContactFactory, TrackingNumberFactory

PARIS = ZoneInfo("Europe/Paris")


def at(day: int, hour: int = 12, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=PARIS)


@pytest.fixture
def acme_calls(acme, acme_number):
    other = TrackingNumberFactory(client=acme, number="+33184800002", source="Website")
    caller = ContactFactory(client=acme, phone_number="+33612345678")
    return [
        CallFactory(
            client=acme,
            tracking_number=acme_number,
            contact=caller,
            started_at=at(1, 0),
            status="answered",
            duration_seconds=60,
        ),
        CallFactory(
            client=acme,
            tracking_number=acme_number,
            contact=None,
            started_at=at(2),
            status="missed",
            duration_seconds=0,
        ),
        CallFactory(
            client=acme,
            tracking_number=other,
            started_at=at(3),
            status="answered",
            duration_seconds=120,
        ),
        CallFactory(
            client=acme,
            tracking_number=other,
            started_at=at(4),
            status="voicemail",
            duration_seconds=20,
        ),
    ]


def test_the_list_is_newest_first_and_holds_only_this_clients_calls(acme_api, acme_calls, globex):
    CallFactory(client=globex)
    body = acme_api.get("/api/v1/calls/").json()
    assert [row["id"] for row in body["results"]] == [str(call.pk) for call in reversed(acme_calls)]
    assert body["next"] is None


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=answered", [0, 2]),
        ("tracking_number=%2B33184800002", [2, 3]),
        ("tracking_number=%2B33 1 84 80 00 02", [2, 3]),
        ("caller_number=%2B33612345678", [0]),
        ("started_after=2026-11-02", [1, 2, 3]),
        ("started_before=2026-11-02", [0]),
        ("started_after=2026-11-01T00:00:00%2B01:00&started_before=2026-11-03", [0, 1]),
        ("started_after=2026-11-01T00:00:00 01:00", [0, 1, 2, 3]),
        ("started_after=2026-10-31T23:30:00Z", [1, 2, 3]),
    ],
)
def test_filters_select_the_right_calls(acme_api, acme_calls, query, expected):
    body = acme_api.get(f"/api/v1/calls/?{query}").json()
    assert sorted(row["id"] for row in body["results"]) == sorted(
        str(acme_calls[i].pk) for i in expected
    )


def test_a_date_filter_means_midnight_in_the_clients_time_zone(acme_api, acme, acme_number):
    just_before = CallFactory(
        client=acme,
        tracking_number=acme_number,
        started_at=dt.datetime(2026, 11, 1, 23, 30, tzinfo=dt.UTC),
    )
    body = acme_api.get("/api/v1/calls/?started_after=2026-11-02").json()
    assert [row["id"] for row in body["results"]] == [str(just_before.pk)]  # 00:30 in Paris


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=ringing", "status"),
        ("tracking_number=12", "tracking_number"),
        ("caller_number=abc", "caller_number"),
        ("started_after=31/12/2026", "started_after"),
        ("started_after=2026-11-01T10:00:00", "started_after"),
        ("started_after=2026-11-05&started_before=2026-11-01", "started_before"),
        ("colour=blue", "colour"),
        ("started_before=9999-12-31", "started_before"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(acme_api, acme_calls, query, field):
    response = acme_api.get(f"/api/v1/calls/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_cursor_pagination_walks_every_call_once(acme_api, acme, acme_number):
    calls = CallFactory.create_batch(7, client=acme, tracking_number=acme_number)
    seen: list[str] = []
    url = "/api/v1/calls/?page_size=3"
    while url:
        body = acme_api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(str(call.pk) for call in calls)
    assert len(seen) == 7


def test_the_page_size_is_50_by_default_and_at_most_500(acme_api, acme, acme_number):
    CallFactory.create_batch(51, client=acme, tracking_number=acme_number)
    assert len(acme_api.get("/api/v1/calls/").json()["results"]) == 50
    assert len(acme_api.get("/api/v1/calls/?page_size=5000").json()["results"]) == 51


def test_a_call_reads_by_id(acme_api, acme_calls):
    body = acme_api.get(f"/api/v1/calls/{acme_calls[0].pk}/").json()
    assert body["caller_number"] == "+33612345678" and body["status"] == "answered"
    assert body["started_at"] == "2026-11-01T00:00:00+01:00"


def test_another_clients_call_is_a_404_like_a_missing_one(acme_api, globex):
    theirs = CallFactory(client=globex)
    assert acme_api.get(f"/api/v1/calls/{theirs.pk}/").status_code == 404
    assert acme_api.get(f"/api/v1/calls/{uuid.uuid4()}/").status_code == 404
    assert acme_api.get("/api/v1/calls/not-a-uuid/").status_code == 404


def test_an_ingest_only_key_cannot_read_calls(acme_ingest_api, acme_calls):
    assert acme_ingest_api.get("/api/v1/calls/").status_code == 403
    assert acme_ingest_api.get(f"/api/v1/calls/{acme_calls[0].pk}/").status_code == 403
    assert acme_ingest_api.get("/api/v1/stats/?from=2026-11-01&to=2026-11-30").status_code == 403


@pytest.mark.parametrize("role_fixture", ["acme_admin", "acme_manager", "acme_analyst"])
def test_every_role_reads_calls_from_a_session(request, as_user, acme_calls, role_fixture):
    browser = as_user(request.getfixturevalue(role_fixture))
    assert browser.get("/api/v1/calls/").status_code == 200
    assert browser.get(f"/api/v1/calls/{acme_calls[0].pk}/").status_code == 200


def test_an_outsiders_session_sees_none_of_acmes_calls(as_user, globex_admin, acme_calls):
    browser = as_user(globex_admin)
    assert browser.get("/api/v1/calls/").json()["results"] == []
    assert browser.get(f"/api/v1/calls/{acme_calls[0].pk}/").status_code == 404


def test_staff_without_a_client_cannot_read_calls_through_the_client_api(as_user, acme_calls):
    from tests.factories import StaffFactory

    assert as_user(StaffFactory()).get("/api/v1/calls/").status_code == 403


# --- stats -----------------------------------------------------------------------------------


def test_stats_by_day_count_answered_missed_and_average_over_answered(acme_api, acme_calls):
    body = acme_api.get("/api/v1/stats/?from=2026-11-01&to=2026-11-04&group_by=day").json()
    assert body["totals"] == {"calls": 4, "answered": 2, "missed": 2, "avg_duration_seconds": 90.0}
    assert [row["key"] for row in body["results"]] == [
        "2026-11-01",
        "2026-11-02",
        "2026-11-03",
        "2026-11-04",
    ]
    assert body["results"][0] == {
        "key": "2026-11-01",
        "calls": 1,
        "answered": 1,
        "missed": 0,
        "avg_duration_seconds": 60.0,
    }
    assert body["results"][3]["missed"] == 1 and body["results"][3]["avg_duration_seconds"] is None


def test_stats_days_are_the_clients_days(acme_api, acme_calls):
    # The call at 00:00 Paris on 1 November is 23:00 UTC on 31 October.
    body = acme_api.get("/api/v1/stats/?from=2026-10-31&to=2026-10-31").json()
    assert body["totals"]["calls"] == 0


def test_stats_group_by_tracking_number_and_status(acme_api, acme_calls):
    by_number = acme_api.get(
        "/api/v1/stats/?from=2026-11-01&to=2026-11-30&group_by=tracking_number"
    ).json()
    assert {row["key"]: row["calls"] for row in by_number["results"]} == {
        "+33184800001": 2,
        "+33184800002": 2,
    }
    by_status = acme_api.get("/api/v1/stats/?from=2026-11-01&to=2026-11-30&group_by=status").json()
    assert {row["key"]: row["calls"] for row in by_status["results"]} == {
        "answered": 2,
        "missed": 1,
        "voicemail": 1,
    }


@pytest.mark.parametrize(
    "query, field",
    [
        ("to=2026-11-30", "from"),
        ("from=2026-11-30", "to"),
        ("from=2026-13-01&to=2026-11-30", "from"),
        ("from=2026-11-30&to=2026-11-01", "to"),
        ("from=2026-11-01&to=2026-11-30&group_by=colour", "group_by"),
        ("from=2026-11-01&to=2026-11-30&colour=1", "colour"),
        ("from=2026-11-01&to=9999-12-31", "to"),
    ],
)
def test_bad_stats_parameters_are_a_400_naming_them(acme_api, query, field):
    response = acme_api.get(f"/api/v1/stats/?{query}")
    assert response.status_code == 400 and field in response.json()


def test_stats_of_an_outsider_hold_none_of_acmes_calls(globex_api, acme_calls):
    body = globex_api.get("/api/v1/stats/?from=2026-11-01&to=2026-11-30").json()
    assert body["totals"]["calls"] == 0


# --- tracking numbers --------------------------------------------------------------------------


def test_an_ingest_key_lists_its_clients_tracking_numbers_only(
    acme_ingest_api, acme_number, globex_number
):
    body = acme_ingest_api.get("/api/v1/tracking-numbers/").json()
    assert body == [
        {
            "id": str(acme_number.pk),
            "number": "+33184800001",
            "source": "Google Ads",
            "campaign": "Brand",
            "active": True,
            "pool": False,
            "forward_to": "",
            "record_calls": False,
            "announcement": "",
            "voicemail": True,
            "ring_seconds": 20,
        }
    ]


def test_a_key_cannot_create_tracking_numbers(acme_api):
    response = acme_api.post(
        "/api/v1/tracking-numbers/", {"number": "+33184800005", "source": "Radio"}, format="json"
    )
    assert response.status_code == 403


def test_an_admin_session_creates_a_tracking_number(as_user, acme_admin):
    response = as_user(acme_admin).post(
        "/api/v1/tracking-numbers/",
        {"number": "+33 1 84 80 00 05", "source": "Radio"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["number"] == "+33184800005" and response.json()["active"] is True


def test_a_duplicate_tracking_number_is_a_400(as_user, acme_admin, acme_number):
    response = as_user(acme_admin).post(
        "/api/v1/tracking-numbers/",
        {"number": acme_number.number, "source": "Radio"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "number" in response.json()


@pytest.mark.parametrize("role_fixture", ["acme_manager", "acme_analyst"])
def test_other_roles_cannot_create_tracking_numbers(request, as_user, role_fixture):
    response = as_user(request.getfixturevalue(role_fixture)).post(
        "/api/v1/tracking-numbers/",
        {"number": "+33184800005", "source": "Radio"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_the_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in (
        "/api/v1/calls/",
        "/api/v1/calls/{call_id}/",
        "/api/v1/stats/",
        "/api/v1/tracking-numbers/",
    ):
        assert path in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()


def test_a_bad_caller_filter_says_once_what_to_type(acme_api, acme_calls):
    messages = acme_api.get("/api/v1/calls/?caller_number=abc").json()["caller_number"]
    assert len(messages) == 1
    assert messages[0].startswith("Enter a valid phone number, e.g. ")
    assert messages[0].endswith("or at least its last 4 digits.")
