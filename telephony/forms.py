from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from telephony.models import Provider


class TelephonyAccountForm(forms.Form):
    provider = forms.ChoiceField(label=_("Provider"), choices=Provider.choices)
    account_sid = forms.CharField(
        label=_("Account SID"), max_length=64, help_text=_("AC followed by 32 hex digits")
    )
    # Write-only: never rendered back, blank keeps the token already sealed.
    auth_token = forms.CharField(
        label=_("Auth token"),
        max_length=128,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Never shown again once saved; leave blank to keep the current one"),
    )
