from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from telephony import services
from telephony.models import TelephonyAccount
from telephony.providers.twilio import is_sid


class TelephonyAccountAdminForm(forms.ModelForm):
    # Write-only, as on /settings/telephony/: the sealed token is never a field of the form.
    auth_token = forms.CharField(
        label=_("Auth token"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Never shown again once saved; leave blank to keep the current one"),
    )

    class Meta:
        model = TelephonyAccount
        fields = ["client", "provider", "account_sid"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.instance.pk is None and not data.get("auth_token"):
            self.add_error("auth_token", _("Enter the account's auth token."))
        return data

    def clean_account_sid(self) -> str:
        value = services.account_sid_normalise(self.cleaned_data["account_sid"])
        if not is_sid(value, "AccountSid"):
            raise ValidationError(_("Enter the account SID: AC and 32 hex digits."))
        return value

    def _post_clean(self) -> None:
        # Only the SID's uniqueness here: the service validates the rest and seals the token
        # (the model's full validation would find no sealed token yet).
        for name in ("client", "provider", "account_sid"):
            if name in self.cleaned_data:
                setattr(self.instance, name, self.cleaned_data[name])
        # The model's own unique check reads through the default manager, which refuses a query
        # naming no Client; a SID's uniqueness is across Clients by nature, so it is asked so.
        others = TelephonyAccount.objects.across_clients().exclude(pk=self.instance.pk)
        sid = self.cleaned_data.get("account_sid")
        if sid and others.filter(account_sid=sid).exists():
            self.add_error("account_sid", _("Another telephony account already has this SID."))
        client = self.cleaned_data.get("client")
        if client is not None and others.filter(client=client).exists():
            self.add_error("client", _("This Client already has a telephony account."))


@admin.register(TelephonyAccount)
class TelephonyAccountAdmin(admin.ModelAdmin):
    form = TelephonyAccountAdminForm
    list_display = ["client", "provider", "account_sid", "updated_at"]
    search_fields = ["client__name", "client__slug", "account_sid"]
    readonly_fields = ["updated_at"]

    def get_queryset(self, request: Any) -> Any:
        return TelephonyAccount.objects.across_clients().select_related("client")

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return ["client", "updated_at"] if obj is not None else ["updated_at"]

    def save_model(self, request: Any, obj: TelephonyAccount, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = services.telephony_account_set(
            client=obj.client,
            provider=data["provider"],
            account_sid=data["account_sid"],
            auth_token=data.get("auth_token") or None,
            actor=request.user,
        )
        obj.pk, obj.token_key_id, obj.token_sealed = saved.pk, "", b""
        obj._state.adding = False
