from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.languages import language_for_user
from accounts.models import User, normalize_email
from accounts.phones import PhoneNumbersField, phone_field_region_set
from accounts.roles import Role


def null_character_errors(value: str) -> list[str]:
    """The error of a text PostgreSQL cannot hold (a query with a null character fails, where
    it should find nothing or be refused), else none; what Django's form fields check, for
    input read without a form."""
    try:
        ProhibitNullCharactersValidator()(value)
    except ValidationError as error:
        return error.messages
    return []


def form_add_service_error(
    form: forms.BaseForm, error: ValidationError, *, fallback: str | None = None
) -> None:
    """Put a service's ValidationError on the form (STYLE.md §7b): each message on the field it
    names, a message naming no field of this form on `fallback` (None: the form's own errors)."""
    if not hasattr(error, "error_dict"):
        form.add_error(fallback, error)
        return
    placed: dict[str, list[ValidationError]] = {}
    for name, errors in error.error_dict.items():
        target = name if name in form.fields else (fallback or NON_FIELD_ERRORS)
        placed.setdefault(target, []).extend(errors)
    form.add_error(None, ValidationError(placed))


class LoginForm(AuthenticationForm):
    """Django's login form, refusing the Users of a deactivated Client (SPEC §10).

    The inactive answer comes only with the right password, and says no more than "this account
    is inactive". The email's length is enforced, not only shown: a longer login is no account's,
    and letting it through would have the lockout store what its column cannot hold (a 500 on
    PostgreSQL)."""

    # Django's own says both fields may be case-sensitive; an email here is not (it is compared
    # without case), only the password is.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Enter a correct email and password. The password is case-sensitive."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = cast(forms.CharField, self.fields["username"])
        username.label = _("Email")
        username.error_messages["required"] = _("Enter your email.")
        username.validators.append(MaxLengthValidator(username.max_length))
        self.fields["password"].error_messages["required"] = _("Enter your password.")

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if user.client_id is not None and not user.client.is_active:
            raise ValidationError(self.error_messages["inactive"], code="inactive")


class UserDetailsForm(forms.Form):
    # An email is a login, unique across the platform. Whoever holds it (a User of this Client,
    # of another, or staff), a client admin gets this same answer, which names no holder.
    taken_email_message = _(
        "This email cannot be used for this User. If the person already has a Dexem login, "
        "ask them which address to use, or contact Dexem support."
    )

    email = forms.EmailField(label=_("Email (login)"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    # The least access by default: an admin chooses more on purpose.
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.ANALYST)
    phone_numbers = PhoneNumbersField(
        label=_("Phone numbers"),
        required=False,
        help_text=_("One number a line, national or international format."),
    )
    organization = forms.CharField(label=_("Organization"), max_length=200, required=False)

    def __init__(
        self, *args: Any, instance: User | None = None, region: str | None = None, **kwargs: Any
    ) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "email": instance.email,
                "first_name": instance.first_name,
                "last_name": instance.last_name,
                "role": instance.role,
                "phone_numbers": instance.phone_numbers,
                "organization": instance.organization,
                "is_active": instance.is_active,
            }
        super().__init__(*args, **kwargs)
        # The Client's country: how its people type and read their numbers.
        phone_field_region_set(self, "phone_numbers", region)

    def clean_email(self) -> str:
        email = normalize_email(self.cleaned_data["email"])
        taken = User.objects.filter(email=email)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(self.taken_email_message, code="unavailable")
        return email


class UserCreateForm(UserDetailsForm):
    taken_email_message = _(
        "This email cannot be used for a new User. If the person already has a Dexem login, "
        "ask them which address to use, or contact Dexem support."
    )


class UserEditForm(UserDetailsForm):
    is_active = forms.BooleanField(required=False, label=_("Active (may log in)"))


class ProfileForm(forms.Form):
    """A User's own details; a plain form so validation never touches the logged-in User."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    initials = forms.CharField(
        label=_("Initials"),
        max_length=8,
        required=False,
        help_text=_("Derived from your name if left empty."),
    )
    phone_numbers = PhoneNumbersField(
        label=_("Phone numbers"),
        required=False,
        help_text=_("One number a line, national or international format."),
    )
    organization = forms.CharField(label=_("Organization"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("As my company's country")), *settings.LANGUAGES],
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(user, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)
        region = user.client.country if user.client is not None else None  # staff: the default
        phone_field_region_set(self, "phone_numbers", region)


class ProfilePictureForm(forms.Form):
    profile_picture = forms.ImageField(
        label=_("New picture"),
        error_messages={
            "required": _("Choose a picture to upload."),
        },
    )

    def clean_profile_picture(self) -> Any:
        picture = self.cleaned_data["profile_picture"]
        if picture.size > settings.PROFILE_PICTURE_MAX_BYTES:
            raise ValidationError(_("The picture is too large (2 MB at most)."))
        if (picture.image.format or "").upper() not in {"PNG", "JPEG", "GIF", "WEBP"}:
            raise ValidationError(_("Use a PNG, JPEG, GIF or WebP picture."))
        return picture


class PasswordChange(PasswordChangeForm):
    """Django's form, with the policy's minimum shown to the User."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = _(
            "At least 12 characters; not a common or all-digit password."
        )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form; the email goes out in its recipient's language, not the asker's."""

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        context = kwargs.get("context", args[2] if len(args) > 2 else {})
        user = context.get("user")
        language = language_for_user(user) if isinstance(user, User) else None
        with translation.override(language or settings.LANGUAGE_CODE):
            super().send_mail(*args, **kwargs)


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        max_length=16,
        label=_("Code"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
