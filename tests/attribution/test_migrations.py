"""attribution.0003 puts each existing attribution's channel and campaign on its call."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from attribution.models import CallAttribution
from calls.models import Call
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("attribution", "0002_french_labels")
COPY = ("attribution", "0003_copy_channel_and_campaign_to_calls")


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def test_the_migration_copies_each_attribution_onto_its_call(acme, acme_number):
    _migrate(BEFORE)
    try:
        # As the previous version left them: attributions, and calls that do not carry them.
        with_campaign, blank_campaign, unattributed = (
            CallFactory(client=acme, tracking_number=acme_number) for _ in range(3)
        )
        CallAttribution.objects.create(
            call=with_campaign, client=acme, channel="paid_search", campaign="spring"
        )
        CallAttribution.objects.create(call=blank_campaign, client=acme, channel="email")
    finally:
        _migrate(COPY)
    copies = {
        pk: (channel, campaign)
        for pk, channel, campaign in Call.objects.for_client(acme).values_list(
            "pk", "attributed_channel", "attributed_campaign"
        )
    }
    assert copies[with_campaign.pk] == ("paid_search", "spring")
    assert copies[blank_campaign.pk] == ("email", "")
    assert copies[unattributed.pk] == ("", None)
