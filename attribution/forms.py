from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.phones import phone_displays
from calls.models import TrackingNumber


class WebsiteForm(forms.Form):
    allowed_origins = forms.CharField(
        required=False,
        label=_("Allowed origins"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://www.example.fr"}),
        help_text=_("One per line: the sites that may show your numbers (scheme and host)."),
    )
    default_number = forms.ChoiceField(
        required=False,
        label=_("Default number"),
        help_text=_(
            "Shown before the snippet answers, and when no pool number or source number applies."
        ),
    )

    def __init__(
        self, *args: Any, numbers: list[TrackingNumber], region: str | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        display = phone_displays(region=region)
        cast(forms.ChoiceField, self.fields["default_number"]).choices = [("", _("None"))] + [
            (number.number, f"{display(number.number)} · {number.source}") for number in numbers
        ]

    def origins(self) -> list[str]:
        return [
            line.strip()
            for line in self.cleaned_data["allowed_origins"].splitlines()
            if line.strip()
        ]
