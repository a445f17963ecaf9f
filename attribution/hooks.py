"""What attribution adds to the calls app, through the seams calls offers (calls.signals,
calls.extensions): calls never imports attribution."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

from attribution.channels import Channel
from calls import extensions
from calls.signals import call_ingested

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


def _on_call_ingested(sender: Any, *, call_id: Any, client_id: Any, **kwargs: Any) -> None:
    from attribution.services import call_match

    call_match(call_id=call_id, client_id=client_id)


def _on_tracking_number_saved(sender: Any, *, instance: Any, **kwargs: Any) -> None:
    from attribution.services import pool_number_enlist

    pool_number_enlist(tracking_number=instance)


def attribution_json(call: Any) -> dict[str, Any] | None:
    try:
        attribution = call.attribution
    except Exception:  # RelatedObjectDoesNotExist: the call has none
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


def connect() -> None:
    call_ingested.connect(_on_call_ingested, dispatch_uid="attribution.call_match")
    post_save.connect(
        _on_tracking_number_saved,
        sender="calls.TrackingNumber",
        dispatch_uid="attribution.pool_number_enlist",
    )
    extensions.dimension_register(
        extensions.CallDimension(
            name="channel",
            lookup="attribution__channel",
            label=_("Channel"),
            choices=tuple(Channel.choices),
        )
    )
    extensions.dimension_register(
        extensions.CallDimension(
            name="campaign", lookup="attribution__campaign", label=_("Campaign")
        )
    )
    extensions.export_columns_register(
        extensions.ExportColumnSet(name="attribution", columns=EXPORT_COLUMNS)
    )
    extensions.call_detail_register(
        extensions.CallDetail(
            name="attribution",
            select_related="attribution",
            as_json=attribution_json,
            template="attribution/call_attribution.html",
        )
    )
