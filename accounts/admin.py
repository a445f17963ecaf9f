from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Client, User


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "contract_start", "contract_end", "is_active"]
    ordering = ["name"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "time_zone", "is_active"]}),
        ("Contract", {"fields": ["contract_start", "contract_end"]}),
        (
            "Shorter retention (empty: the platform's periods)",
            {
                "fields": [
                    "call_retention_months",
                    "recording_retention_months",
                    "user_retention_days_after_contract",
                ]
            },
        ),
    ]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "client", "role", "is_active", "is_staff"]
    list_filter = ["is_staff", "is_active", "role", "client"]
    search_fields = ["email", "first_name", "last_name"]
    list_select_related = ["client"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            "Person",
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "initials",
                    "phone_numbers",
                    "organization",
                    "profile_picture",
                ]
            },
        ),
        ("Account", {"fields": ["client", "role", "is_active"]}),
        ("Staff", {"fields": ["is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "email",
                    "first_name",
                    "last_name",
                    "client",
                    "role",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]
    filter_horizontal = ["groups"]
