"""What attribution adds to the calls app, through the seams calls offers: its filters into the
one declaration (calls.filters.CALL_FILTERS), its stats groups (calls.selectors.STATS_GROUPS), its
export column set (calls.exports), and receivers of calls.signals. calls never imports
attribution."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

from attribution.channels import Channel
from calls.exports import export_column_set_register
from calls.filters import CallFilter, FilterKind, call_filter_register
from calls.selectors import StatsGroup, stats_group_register
from calls.signals import call_detail_facts, call_detail_fields, call_ingested

EXPORT_COLUMNS = (
    ("channel", "attribution__channel"),
    ("utm_source", "attribution__source"),
    ("utm_medium", "attribution__medium"),
    ("utm_campaign", "attribution__campaign"),
    ("utm_term", "attribution__term"),
    ("landing_page", "attribution__landing_path"),
    ("click_id", "attribution__click_id"),
    ("attribution_ambiguous", "attribution__ambiguous"),
)


def _on_call_ingested(
    sender: Any, *, call_id: Any, client_id: Any, created: bool, pool: bool, **kwargs: Any
) -> None:
    # A new call on a number outside the pool has nothing to match and no attribution to lose:
    # told by the signal, no query. A call updated onto such a number is matched again (its
    # number may have left the pool: it loses its attribution then).
    if created and not pool:
        return
    from attribution.services import call_match

    call_match(call_id=call_id, client_id=client_id)


def _on_tracking_number_saved(sender: Any, *, instance: Any, **kwargs: Any) -> None:
    from attribution.services import pool_number_enlist

    pool_number_enlist(tracking_number=instance)


def _attribution_of(call: Any) -> Any:
    from attribution.models import CallAttribution

    return CallAttribution.objects.filter(client_id=call.client_id, call_id=call.pk).first()


def attribution_json(attribution: Any) -> dict[str, Any] | None:
    if attribution is None:
        return None
    return {
        "channel": attribution.channel,
        "source": attribution.source,
        "medium": attribution.medium,
        "campaign": attribution.campaign,
        "term": attribution.term,
        "content": attribution.content,
        "landing_page": attribution.landing_path,
        "referrer_host": attribution.referrer_host,
        "click_id_kind": attribution.click_id_kind or None,
        "click_id": attribution.click_id,
        "ambiguous": attribution.ambiguous,
    }


def _detail_fields(sender: Any, *, call: Any, **kwargs: Any) -> dict[str, Any]:
    return {"attribution": attribution_json(_attribution_of(call))}


def _detail_facts(sender: Any, *, call: Any, **kwargs: Any) -> list[tuple[Any, Any]]:
    attribution = _attribution_of(call)
    if attribution is None:
        return []
    channel = attribution.get_channel_display()
    if attribution.ambiguous:
        channel = _("%(channel)s (ambiguous: the number was shared by several visits)") % {
            "channel": channel
        }
    facts = [(_("Channel"), channel)]
    facts += [
        (label, value)
        for label, value in (
            (_("Source"), attribution.source),
            (_("Medium"), attribution.medium),
            (_("Campaign"), attribution.campaign),
            (_("Term"), attribution.term),
            (_("Landing page"), attribution.landing_path),
        )
        if value
    ]
    if attribution.click_id:
        facts.append((_("Click id"), f"{attribution.click_id_kind}: {attribution.click_id}"))
    return facts


def connect() -> None:
    call_ingested.connect(_on_call_ingested, dispatch_uid="attribution.call_match")
    call_detail_fields.connect(_detail_fields, dispatch_uid="attribution.call_detail_fields")
    call_detail_facts.connect(_detail_facts, dispatch_uid="attribution.call_detail_facts")
    post_save.connect(
        _on_tracking_number_saved,
        sender="calls.TrackingNumber",
        dispatch_uid="attribution.pool_number_enlist",
    )
    call_filter_register(
        CallFilter(
            "channel",
            _("Channel"),
            FilterKind.CHOICE,
            lookup="attribution__channel",
            description="Attribution channel, e.g. paid_search.",
            choices=lambda: Channel.choices,
        )
    )
    call_filter_register(
        CallFilter(
            "campaign",
            _("Campaign"),
            FilterKind.TEXT,
            lookup="attribution__campaign",
            description="Attributed campaign (utm_campaign).",
        )
    )
    stats_group_register(
        StatsGroup(
            "channel",
            "attribution__channel",
            label=_("Channel"),
            choices=tuple(Channel.choices),
        )
    )
    stats_group_register(StatsGroup("campaign", "attribution__campaign", label=_("Campaign")))
    export_column_set_register("attribution", EXPORT_COLUMNS)
