from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.phones import PhoneField
from calls.models import Call, Contact, TrackingNumber


class AcrossClientsAdmin(admin.ModelAdmin):
    """Staff work across Clients: the admin names that door (accounts.tenancy)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).across_clients()  # type: ignore[attr-defined]


class PhoneNumbersForm(forms.ModelForm):
    """Staff type numbers as people write them (nationally for the Client's country, or
    internationally) and they are stored E.164, as every other way in stores them (SPEC §14): a
    number saved as typed would be shown, searched and erased as another number."""

    phone_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client = self.instance.client if self.instance.client_id else None
        for name in self.phone_fields:
            if name in self.fields:
                declared = self.fields[name]
                self.fields[name] = PhoneField(
                    label=declared.label,
                    required=declared.required,
                    help_text=declared.help_text,
                    region=client.country if client is not None else None,
                )


class TrackingNumberAdminForm(PhoneNumbersForm):
    phone_fields = ("number", "forward_to")


class ContactAdminForm(PhoneNumbersForm):
    phone_fields = ("phone_number",)


@admin.register(TrackingNumber)
class TrackingNumberAdmin(AcrossClientsAdmin):
    form = TrackingNumberAdminForm
    list_display = ["number", "client", "source", "campaign", "active"]
    list_filter = ["active", "client"]
    search_fields = ["number", "source"]
    list_select_related = ["client"]


@admin.register(Contact)
class ContactAdmin(AcrossClientsAdmin):
    """The DPO rectifies a Contact's number here; erasure goes through a request instead."""

    form = ContactAdminForm
    list_display = ["id", "client", "created_at"]
    list_filter = ["client"]
    search_fields = ["=phone_number"]
    list_select_related = ["client"]
    fields = ["client", "phone_number", "created_at"]
    readonly_fields = ["client", "created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(AcrossClientsAdmin):
    list_display = [
        "started_at",
        "client",
        "tracking_number",
        "status",
        "duration_seconds",
        "has_recording",
        "has_voicemail",
    ]
    list_filter = ["status", "direction", "client"]
    search_fields = ["=external_id"]
    list_select_related = ["client", "tracking_number"]
    date_hierarchy = "started_at"
    readonly_fields = [field.name for field in Call._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
