from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiKeyScope, Client
from accounts.phones import PhoneField, phone_field_region_set, phone_placeholder
from accounts.selectors import api_key_list
from calls.filters import (
    CALL_FILTERS,
    OUT_OF_RANGE,
    PERIOD_MAX_DAYS,
    PERIOD_TOO_LONG,
    TEXT_MAX_LENGTH,
    CallFilter,
    CallFilters,
    FilterKind,
    call_filters_parse,
    day_in_range,
)
from calls.models import RING_SECONDS_MAX, RING_SECONDS_MIN, TrackingNumber
from calls.selectors import CALL_SORTS


def _filter_field(declared: CallFilter, client: Client) -> forms.Field:
    """The input for one declared filter: text only, so that `call_filters_parse` alone judges
    the values and each error is said once, next to its field."""
    if declared.kind is FilterKind.MOMENT:
        widget: forms.Widget = forms.DateInput(attrs={"type": "date"})
    elif declared.choices or declared.form_options:
        if declared.form_options:
            options = declared.form_options(client)
        else:
            options = declared.choices() if declared.choices else []
        any_label = _("Any %(filter)s") % {"filter": str(declared.label).lower()}
        widget = forms.Select(choices=[("", any_label), *options])
    elif declared.kind is FilterKind.TEXT:
        widget = forms.TextInput(attrs={"maxlength": TEXT_MAX_LENGTH})
    else:
        example = phone_placeholder(client.country)
        widget = forms.TextInput(attrs={"type": "tel", "placeholder": example})
    return forms.CharField(required=False, label=declared.label, widget=widget, strip=False)


class CallFilterForm(forms.Form):
    """The filters of /calls/, derived from calls.filters.CALL_FILTERS, and the sort order.

    Valid, `filters` holds the parsed filters; invalid, each error sits on its field."""

    NON_FILTER_PARAMS = ("sort", "cursor", "page")  # page: links made before the cursors

    sort = forms.CharField(
        required=False,
        label=_("Sort"),
        widget=forms.Select(
            choices=[
                (key, label)
                for key, label in zip(
                    CALL_SORTS,
                    (_("Newest first"), _("Oldest first"), _("Longest first"), _("Shortest first")),
                    strict=True,
                )
            ]
        ),
    )

    def __init__(self, data: Mapping[str, str], *, client: Client) -> None:
        super().__init__(data)
        self.client = client
        self.filters = CallFilters()
        filter_fields = {
            declared.name: _filter_field(declared, client) for declared in CALL_FILTERS
        }
        self.fields = {**filter_fields, **self.fields}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        params = {name: value for name, value in self.data.items() if value.strip()}
        try:
            self.filters = call_filters_parse(
                params, client=self.client, allowed_extra=self.NON_FILTER_PARAMS
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                if name in self.fields:
                    self.add_error(name, messages)
                else:  # not one of ours: only its name says which
                    self.add_error(None, [f"{name}: {message}" for message in messages])
        return data

    @property
    def sort_order(self) -> str:
        chosen = self.data.get("sort", "")
        return chosen if chosen in CALL_SORTS else "newest"


class TrackingNumberForm(forms.Form):
    number = PhoneField(label=_("Number"))
    source = forms.CharField(
        label=_("Source"), max_length=100, help_text=_("Where it is published, e.g. Google Ads")
    )
    campaign = forms.CharField(label=_("Campaign"), max_length=100, required=False)
    pool = forms.BooleanField(
        required=False,
        label=_("Website pool"),
        help_text=_("Shown to one website visitor at a time by the dni.js snippet."),
    )

    def __init__(self, *args: Any, region: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        phone_field_region_set(self, "number", region)  # the Client's country


class TrackingNumberCallHandlingForm(forms.ModelForm):
    """How calls from the telephone network to this number are put through (SPEC §12)."""

    forward_to = PhoneField(
        label=_("Forward to"),
        required=False,
        help_text=_("Where calls are put through: national or international format"),
    )
    announcement = forms.CharField(
        label=_("Announcement"),
        max_length=300,
        required=False,
        help_text=_("Heard before a recorded call; blank for the default in your language"),
    )
    ring_seconds = forms.IntegerField(
        label=_("Ring duration (seconds)"),
        min_value=RING_SECONDS_MIN,
        max_value=RING_SECONDS_MAX,
        help_text=format_lazy(
            _("How long the forwarded call rings before voicemail: {low} to {high} seconds"),
            low=RING_SECONDS_MIN,
            high=RING_SECONDS_MAX,
        ),
    )

    class Meta:
        model = TrackingNumber
        fields = ["source", "campaign", "forward_to", "record_calls", "announcement", "voicemail"]
        fields += ["ring_seconds"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        phone_field_region_set(
            self, "forward_to", self.instance.client.country
        )  # the Client's country


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("e.g. the telephony provider's name")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=[
            (
                ApiKeyScope.INGEST,
                _("Ingest (post calls, upload recordings, read tracking numbers)"),
            ),
            (ApiKeyScope.READ, _("Read (calls, stats, recordings, exports)")),
        ],
        initial=ApiKeyScope.values,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def clean_name(self) -> str:
        """A name tells the Client's keys apart: no two keys in use share one (case ignored)."""
        name: str = self.cleaned_data["name"].strip()
        if (
            api_key_list(client=self.client)
            .filter(name__iexact=name, revoked_at__isnull=True)
            .exists()
        ):
            raise ValidationError(
                _("Your account already has a key named “%(name)s”: choose another name."),
                code="duplicate",
                params={"name": name},
            )
        return name


class PeriodForm(forms.Form):
    PRESETS = [
        ("7", _("Last 7 days")),
        ("30", _("Last 30 days")),
        ("90", _("Last 90 days")),
        ("365", _("Last 12 months")),
        ("custom", _("Custom")),
    ]

    period = forms.ChoiceField(label=_("Period"), choices=PRESETS, required=False, initial="30")
    first_day = forms.DateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last_day = forms.DateField(
        required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("period") == "custom":
            first, last = data.get("first_day"), data.get("last_day")
            if not first or not last:
                raise forms.ValidationError(_("Choose both days of a custom period."))
            if not day_in_range(first) or not day_in_range(last):
                raise forms.ValidationError(OUT_OF_RANGE)
            if first > last:
                raise forms.ValidationError(_("The period must end on or after its first day."))
            if (last - first).days > PERIOD_MAX_DAYS:
                raise forms.ValidationError(PERIOD_TOO_LONG)
        return data
