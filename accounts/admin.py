from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.forms import PhoneNumbersField
from accounts.invitations import user_invitation_send
from accounts.models import Client, User, normalize_email

# The admin speaks Dexem's name, in the reader's language.
admin.site.site_header = _("Dexem administration")
admin.site.site_title = _("Dexem administration")
admin.site.index_title = _("Dexem administration")


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "country",
        "time_zone",
        "contract_start",
        "contract_end",
        "is_active",
    ]
    ordering = ["name"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "country", "time_zone", "is_active"]}),
        (_("Contract"), {"fields": ["contract_start", "contract_end"]}),
        (
            _("Shorter retention (empty: the platform's periods)"),
            {
                "fields": [
                    "call_retention_months",
                    "recording_retention_months",
                    "user_retention_days_after_contract",
                ]
            },
        ),
    ]

    def save_model(self, request: HttpRequest, obj: Client, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.client_deactivate(client=obj)


# Who may change what on a User in /admin/ (SPEC §10, least privilege). Superusers: everything.
# Other staff never see the password, staff and permission fields as inputs: a field absent from
# the form is ignored when posted, so a forged `is_superuser=on` changes nothing.
PERSONAL_FIELDS = [
    "email",
    "first_name",
    "last_name",
    "initials",
    "phone_numbers",
    "organization",
    "profile_picture",
]
ACCOUNT_FIELDS = ["client", "role", "is_active"]
STAFF_FIELDS = ["is_staff", "is_superuser", "groups"]
DATE_FIELDS = ["last_login", "date_joined"]
# Held by Support (migration 0005), not by the DPO, who rectifies personal data only.
ACCOUNT_PERMISSION = "accounts.change_user_account"


class StaffUserChangeForm(forms.ModelForm):
    """The change form of non-superusers: no password widget (it links to the password form),
    and a client User stays in a Client (a User of none is staff's, or nobody's)."""

    class Meta:
        model = User
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("client", "role"):
            if name in self.fields:
                self.fields[name].required = True


class StaffUserAddForm(forms.ModelForm):
    """Non-superusers add a User of a Client only, who chooses their password from an invitation."""

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "client", "role"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].required = True
        self.fields["role"].required = True

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "client", "role", "is_active", "is_staff"]
    list_filter = ["is_staff", "is_active", "role", "client"]
    search_fields = ["email", "first_name", "last_name"]
    list_select_related = ["client"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": PERSONAL_FIELDS[1:]}),  # type: ignore[typeddict-item]
        (_("Account"), {"fields": ACCOUNT_FIELDS}),  # type: ignore[typeddict-item]
        (_("Staff"), {"fields": [*STAFF_FIELDS, "user_permissions"]}),
        (_("Dates"), {"fields": DATE_FIELDS}),  # type: ignore[typeddict-item]
    ]
    staff_fieldsets = [
        (None, {"fields": ["email"]}),
        (_("Person"), {"fields": PERSONAL_FIELDS[1:]}),
        (_("Account"), {"fields": ACCOUNT_FIELDS}),
        (_("Staff"), {"fields": STAFF_FIELDS}),
        (_("Dates"), {"fields": DATE_FIELDS}),
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
    staff_add_fieldsets = [
        (None, {"classes": ["wide"], "fields": StaffUserAddForm.Meta.fields}),
    ]
    filter_horizontal = ["groups", "user_permissions"]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # The Users tab's field, one number a line: the bare JSON box stored an emptied box as
        # null, which the column refuses.
        if db_field.name == "phone_numbers":
            return PhoneNumbersField(
                required=False, label=_("Phone numbers"), help_text=_("One number a line.")
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.staff_fieldsets if obj is not None else self.staff_add_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        if request.user.is_superuser or obj is None:
            return super().get_readonly_fields(request, obj)
        # The login email is not staff's to change: the password-reset page sends its link to
        # whatever address is there, so changing it hands the account over (and Support could
        # reach any Client's admin). The Client's admin or a superuser rectifies it.
        editable = [name for name in PERSONAL_FIELDS if name != "email"]
        if not _is_staff_account(obj) and request.user.has_perm(ACCOUNT_PERMISSION):
            editable += ACCOUNT_FIELDS
        return [
            name
            for _, options in self.staff_fieldsets
            for name in options["fields"]
            if name not in editable
        ]

    def get_form(self, request: HttpRequest, obj: User | None = None, **kwargs: Any) -> Any:  # type: ignore[override]
        if not request.user.is_superuser:
            kwargs["form"] = StaffUserChangeForm if obj is not None else StaffUserAddForm
        return super().get_form(request, obj, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        # Another staff account is the superusers' alone: changing its email, say, would let a
        # password reset hand it to whoever asked. Staff may correct their own personal data.
        return (
            obj is None
            or request.user.is_superuser
            or not _is_staff_account(obj)
            or obj.pk == request.user.pk
        )

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        # Setting another User's password is for superusers only; staff change their own at
        # /admin/password_change/.
        if not request.user.is_superuser:
            raise PermissionDenied(_("Only a superuser sets a User's password here."))
        return super().user_change_password(request, id, form_url)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.user_sessions_end(user=obj)
        elif change and "email" in form.changed_data:
            own = obj.pk == request.user.pk
            services.user_email_changed(
                user=obj,
                old_email=form.initial["email"],
                keep_session_key=request.session.session_key if own else None,
            )

    def response_add(
        self, request: HttpRequest, obj: User, post_url_continue: str | None = None
    ) -> HttpResponse:
        if not obj.has_usable_password() and obj.client_id is not None:
            user_invitation_send(user=obj, request=request)
        return super().response_add(request, obj, post_url_continue)


def _is_staff_account(user: User) -> bool:
    return user.is_staff or user.is_superuser
