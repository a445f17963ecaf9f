"""Input and output shapes of the calls API (SPEC §5)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.phones import normalize_e164
from calls.filters import OUT_OF_RANGE, PERIOD_MAX_DAYS, PERIOD_TOO_LONG, day_in_range
from calls.models import CallStatus, Direction, TrackingNumber
from calls.selectors import DEFAULT_GROUP_BY, api_group_by


class E164Field(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            return normalize_e164(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset: a naive time would be a guess, so it is refused."""

    default_error_messages = {
        "naive": "Give the time with its offset, e.g. 2026-01-31T09:00:00+01:00.",
    }

    def to_internal_value(self, value: Any) -> dt.datetime:
        parsed = super().to_internal_value(value)
        if isinstance(value, str) and not _has_offset(value):
            self.fail("naive")
        if not day_in_range(parsed.date()):
            raise serializers.ValidationError(OUT_OF_RANGE)
        return parsed


def _has_offset(value: str) -> bool:
    value = value.strip()
    return value.endswith(("Z", "z")) or (len(value) > 6 and value[-6] in "+-" and value[-3] == ":")


class HotPathSerializer(serializers.Serializer):
    """A serializer whose instances take shallow copies of the declared fields.

    DRF deep-copies every declared field for every instance, so that an instance may change its
    fields without touching the others; these never do, and on the ingestion path the deep copies
    cost more than the SQL (bench/bench_ingestion.py). Binding sets attributes on the copy only."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}


class CallInSerializer(HotPathSerializer):
    external_id = serializers.CharField(max_length=128)
    tracking_number = E164Field()
    caller_number = E164Field(allow_null=True, required=False, default=None)
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.INBOUND)
    status = serializers.ChoiceField(choices=CallStatus.choices)
    started_at = AwareDateTimeField()
    duration_seconds = serializers.IntegerField(min_value=0, max_value=2_147_483_647, default=0)


class CallOutSerializer(HotPathSerializer):
    id = serializers.UUIDField()
    external_id = serializers.CharField()
    tracking_number = serializers.CharField(source="tracking_number.number")
    # Named like Field.source, which a declared field shadows on purpose (the API's name).
    source = serializers.CharField(source="tracking_number.source")  # type: ignore[assignment]
    caller_number = serializers.CharField(allow_null=True)
    direction = serializers.ChoiceField(choices=Direction.choices)
    status = serializers.ChoiceField(choices=CallStatus.choices)
    started_at = serializers.DateTimeField()
    duration_seconds = serializers.IntegerField()
    has_recording = serializers.BooleanField()
    has_voicemail = serializers.BooleanField()


class TrackingNumberSerializer(serializers.ModelSerializer):
    number = E164Field()
    forward_to = E164Field(required=False, allow_null=True, allow_blank=True)
    announcement = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="Blank for the default in the Client's language.",
    )

    class Meta:
        model = TrackingNumber
        fields = [
            "id",
            "number",
            "source",
            "campaign",
            "active",
            "pool",
            "forward_to",
            "record_calls",
            "announcement",
            "voicemail",
            "ring_seconds",
        ]
        read_only_fields = ["id", "active"]


class TrackingNumberUpdateSerializer(TrackingNumberSerializer):
    """PATCH: every field optional; the number itself cannot change (its calls keep it)."""

    number = serializers.CharField(read_only=True)  # type: ignore[assignment]

    class Meta(TrackingNumberSerializer.Meta):
        read_only_fields = ["id", "number"]


class StatsQuerySerializer(serializers.Serializer):
    # `from` is a Python keyword: the fields are renamed in `to_internal_value`.
    group_by = serializers.ChoiceField(choices=(), default=DEFAULT_GROUP_BY)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Higher apps register their groups (calls.selectors.stats_group_register) from their
        # AppConfig.ready(), which may come after this module loads.
        cast(serializers.ChoiceField, self.fields["group_by"]).choices = api_group_by()

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        values = {}
        for name in ("from", "to"):
            raw = data.get(name)
            if not raw:
                errors[name] = ["This parameter is required (YYYY-MM-DD)."]
                continue
            try:
                values[name] = dt.date.fromisoformat(raw)
            except ValueError:
                errors[name] = ["Enter a date as YYYY-MM-DD."]
                continue
            if not day_in_range(values[name]):
                errors[name] = [str(OUT_OF_RANGE)]
        unknown = sorted(set(data) - {"from", "to", "group_by"})
        for name in unknown:
            errors[name] = ["Unknown parameter; use from, to and group_by."]
        try:
            base = super().to_internal_value(data)
        except serializers.ValidationError as error:
            errors.update(error.detail)  # type: ignore[arg-type]
            base = {}
        if not errors and values["from"] > values["to"]:
            errors["to"] = ["Must be on or after from."]
        if not errors and (values["to"] - values["from"]).days > PERIOD_MAX_DAYS:
            errors["to"] = [str(PERIOD_TOO_LONG)]
        if errors:
            raise serializers.ValidationError(errors)
        return {**base, **values}
