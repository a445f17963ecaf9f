from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

DIMENSION_CHOICES = [
    ("source", _("Source")),
    ("campaign", _("Campaign")),
    ("channel", _("Channel")),
    ("tracking_number", _("Tracking number")),
]
PER_CHOICES = [("month", _("Month")), ("week", _("Week"))]
MAX_PERIODS = 24


class ReportForm(forms.Form):
    by = forms.ChoiceField(label=_("By"), choices=DIMENSION_CHOICES, required=False)
    per = forms.ChoiceField(label=_("Per"), choices=PER_CHOICES, required=False)
    periods = forms.IntegerField(
        label=_("Periods"), min_value=1, max_value=MAX_PERIODS, required=False
    )

    def choice(self) -> tuple[str, str, int]:
        """(dimension, period kind, number of periods), defaults for what was left out."""
        data = self.cleaned_data
        return data.get("by") or "source", data.get("per") or "month", data.get("periods") or 6
