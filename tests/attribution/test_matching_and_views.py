"""A call to a pool number is attributed to the visit holding it; what users see of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from attribution.channels import channel_for
from attribution.models import CallAttribution
from calls.models import Call


def test_an_ingested_call_on_a_leased_number_is_attributed_to_the_visit(acme, acme_attributed_call):
    attribution = CallAttribution.objects.for_client(acme).get(call_id=acme_attributed_call)
    assert (attribution.channel, attribution.campaign) == ("paid_search", "spring")
    assert attribution.landing_path == "/offer/?utm_campaign=spring"
    assert not attribution.ambiguous
    # The call carries the channel and campaign the aggregates count.
    call = Call.objects.for_client(acme).get(pk=acme_attributed_call)
    assert (call.attributed_channel, call.attributed_campaign) == ("paid_search", "spring")


def test_the_call_detail_api_has_the_attribution_object(acme_api, acme_attributed_call):
    body = acme_api.get(f"/api/v1/calls/{acme_attributed_call}/").json()
    assert body["attribution"]["channel"] == "paid_search"
    assert body["attribution"]["campaign"] == "spring"
    assert body["attribution"]["ambiguous"] is False


def test_a_call_without_attribution_has_a_null_attribution(acme_api, acme, acme_number):
    from tests.factories import CallFactory

    call = CallFactory(client=acme, tracking_number=acme_number)
    assert acme_api.get(f"/api/v1/calls/{call.pk}/").json()["attribution"] is None


def test_a_call_to_a_number_no_visit_held_is_not_attributed(
    acme, acme_pool, acme_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call = acme_api.post(
            "/api/v1/calls/",
            {
                "external_id": "free",
                "tracking_number": acme_pool[0].number,
                "status": "missed",
                "started_at": timezone.now().isoformat(),
            },
            format="json",
        ).json()
    assert not CallAttribution.objects.for_client(acme).filter(call_id=call["id"]).exists()
    stored = Call.objects.for_client(acme).get(pk=call["id"])
    assert (stored.attributed_channel, stored.attributed_campaign) == ("", None)


def test_the_stats_api_groups_by_channel_and_by_campaign(acme_api, acme_attributed_call):
    today = timezone.localdate()
    period = f"from={today - dt.timedelta(days=1)}&to={today + dt.timedelta(days=1)}"
    by_channel = acme_api.get(f"/api/v1/stats/?{period}&group_by=channel").json()
    assert by_channel["results"][0]["key"] == "paid_search"
    assert by_channel["results"][0]["calls"] == 1
    by_campaign = acme_api.get(f"/api/v1/stats/?{period}&group_by=campaign").json()
    assert by_campaign["results"][0]["key"] == "spring"
    assert acme_api.get(f"/api/v1/stats/?{period}&group_by=nope").status_code == 400


def test_the_call_list_and_api_filter_by_channel_and_campaign(
    as_user, acme_analyst, acme_api, acme_attributed_call
):
    assert [
        c["id"] for c in acme_api.get("/api/v1/calls/?channel=paid_search").json()["results"]
    ] == [acme_attributed_call]
    assert acme_api.get("/api/v1/calls/?channel=social").json()["results"] == []
    assert acme_api.get("/api/v1/calls/?campaign=autumn").json()["results"] == []
    assert acme_api.get("/api/v1/calls/?channel=tv").status_code == 400
    page = as_user(acme_analyst).get("/calls/?channel=paid_search&campaign=spring")
    assert page.status_code == 200
    assert acme_attributed_call in page.content.decode()
    assert (
        as_user(acme_analyst)
        .get("/calls/?channel=email")
        .content.decode()
        .count(acme_attributed_call)
        == 0
    )


def test_the_call_page_shows_the_attribution_facts(as_user, acme_analyst, acme_attributed_call):
    page = as_user(acme_analyst).get(f"/calls/{acme_attributed_call}/").content.decode()
    assert "<tr><th>Channel</th><td>Paid search</td></tr>" in page
    assert "<tr><th>Campaign</th><td>spring</td></tr>" in page


def test_the_dashboard_shows_calls_by_channel_and_campaign(
    as_user, acme_analyst, acme_attributed_call
):
    page = as_user(acme_analyst).get("/").content.decode()
    assert 'id="by-channel"' in page and 'id="by-campaign"' in page
    assert "Paid search" in page and "spring" in page


def test_an_outsider_sees_no_attribution_of_acme(globex_api, acme_attributed_call):
    assert globex_api.get(f"/api/v1/calls/{acme_attributed_call}/").status_code == 404
    assert globex_api.get("/api/v1/calls/?channel=paid_search").json()["results"] == []


@pytest.mark.parametrize(
    ("fields", "channel"),
    [
        ({"click_id_kind": "gclid"}, "paid_search"),
        ({"click_id_kind": "fbclid"}, "social"),
        ({"utm_medium": "CPC"}, "paid_search"),
        ({"utm_medium": "newsletter"}, "email"),
        ({"utm_medium": "social"}, "social"),
        ({"utm_medium": "print"}, "other"),
        ({"utm_source": "facebook"}, "social"),
        ({"referrer_host": "www.google.co.uk"}, "organic_search"),
        ({"referrer_host": "t.co"}, "social"),
        ({"referrer_host": "mail.google.com"}, "email"),
        ({"referrer_host": "blog.example.org"}, "referral"),
        ({}, "direct"),
    ],
)
def test_channels_come_from_click_ids_then_utm_then_the_referrer(fields, channel):
    assert channel_for(**fields) == channel
