from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiKeyScope
from calls.filters import OUT_OF_RANGE, day_in_range
from calls.models import CallStatus, TrackingNumber
from calls.selectors import CALL_SORTS


class CallFilterForm(forms.Form):
    """Shows the filters on /calls/; the values themselves are parsed by calls.filters."""

    started_after = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    started_before = forms.DateField(
        required=False, label="Before", widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *CallStatus.choices])
    tracking_number = forms.ChoiceField(required=False, label="Tracking number")
    caller_number = forms.CharField(
        required=False,
        label="Caller",
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+33612345678"}),
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[
            (key, label)
            for key, label in zip(
                CALL_SORTS,
                ("Newest first", "Oldest first", "Longest first", "Shortest first"),
                strict=True,
            )
        ],
    )

    def __init__(self, *args: Any, tracking_numbers: list[TrackingNumber], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tracking_number"].choices = [("", "Any number")] + [
            (number.number, f"{number.number} · {number.source}") for number in tracking_numbers
        ]
        from calls.extensions import registry

        # Dimensions registered by higher apps (e.g. attribution's channel and campaign).
        sort = self.fields.pop("sort")
        for name, dimension in registry.dimensions.items():
            if dimension.choices:
                self.fields[name] = forms.ChoiceField(
                    required=False,
                    label=dimension.label,
                    choices=[("", _("Any")), *dimension.choices],
                )
            else:
                self.fields[name] = forms.CharField(
                    required=False, max_length=200, label=dimension.label
                )
        self.fields["sort"] = sort


class TrackingNumberForm(forms.Form):
    number = forms.CharField(
        max_length=32, widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+33184800000"})
    )
    source = forms.CharField(max_length=100, help_text="Where it is published, e.g. Google Ads")
    campaign = forms.CharField(max_length=100, required=False)
    pool = forms.BooleanField(
        required=False,
        label=_("Website pool"),
        help_text=_("Shown to one website visitor at a time by the dni.js snippet."),
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="e.g. the telephony provider's name")
    scopes = forms.MultipleChoiceField(
        choices=ApiKeyScope.choices, initial=ApiKeyScope.values, widget=forms.CheckboxSelectMultiple
    )


class PeriodForm(forms.Form):
    PRESETS = [
        ("7", "Last 7 days"),
        ("30", "Last 30 days"),
        ("90", "Last 90 days"),
        ("365", "Last 12 months"),
        ("custom", "Custom"),
    ]

    period = forms.ChoiceField(choices=PRESETS, required=False, initial="30")
    first_day = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    last_day = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("period") == "custom":
            first, last = data.get("first_day"), data.get("last_day")
            if not first or not last:
                raise forms.ValidationError("Choose both days of a custom period.")
            if not day_in_range(first) or not day_in_range(last):
                raise forms.ValidationError(OUT_OF_RANGE)
            if first > last:
                raise forms.ValidationError("The period must end on or after its first day.")
            if (last - first).days > 3660:
                raise forms.ValidationError("A period covers at most ten years.")
        return data
