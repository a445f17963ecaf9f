from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from telephony import services
from telephony.models import TelephonyAccount


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
        data = super().clean()
        if self.instance.pk is None and not data.get("auth_token"):
            self.add_error("auth_token", _("Enter the account's auth token."))
        return data

    def _post_clean(self) -> None:
        # The service validates and seals; the model's own validation would find no token.
        pass


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
        client = obj.client
        try:
            saved = services.telephony_account_set(
                client=client,
                provider=data["provider"],
                account_sid=data["account_sid"],
                auth_token=data.get("auth_token") or None,
                actor=request.user,
            )
        except ValidationError as error:
            # The form was valid; the service's refusal (an SID taken) is reported as a message.
            self.message_user(request, "; ".join(error.messages), level="error")
            return
        obj.pk = saved.pk
