from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django_otp import user_has_device

from accounts.languages import language_for_user

API_PREFIX = "/api/"
# Pages a User waiting for their second factor still reaches: the way in, the way out, the forms.
TWO_FACTOR_EXEMPT = (
    "/admin/login/",
    "/admin/logout/",
    "/accounts/logout/",
    "/two-factor/",
    "/static/",
)
# Set at login (accounts.signals) for a User with a confirmed device: this session needs a code.
TWO_FACTOR_SESSION_FLAG = "two_factor_required"


class RequestClientMiddleware:
    """Sets `request.client` (the logged-in User's Client, or None) and its time zone.

    A User whose Client was deactivated is logged out here, on whatever request comes next
    (SPEC §10): the session is flushed, a page answers with the login page, and an API call goes
    on anonymous, so DRF refuses it like any request without credentials."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        client = getattr(user, "client", None) if user and user.is_authenticated else None
        if client is not None and not client.is_active:
            logout(request)
            client = None
            if not request.path.startswith(API_PREFIX):
                return redirect("login")
        request.client = client  # type: ignore[attr-defined]
        if client is None:
            return self.get_response(request)
        # Pages show times in the Client's time zone (SPEC §6 default Europe/Paris).
        with timezone.override(client.tzinfo):
            return self.get_response(request)


class UserLanguageMiddleware:
    """Pages speak a logged-in User's language (accounts.languages); anonymous requests keep what
    LocaleMiddleware read from Accept-Language. The API's JSON errors follow the same choice."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = language_for_user(user) if user is not None and user.is_authenticated else None
        if language is None:
            return self.get_response(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return self.get_response(request)


class StaffTwoFactorMiddleware:
    """TOTP two-factor (SPEC §4): staff reach /admin/ only once verified by a second factor in
    this session (enrolment on their first visit); a User who enrolled (opt-in, from their
    profile) reaches nothing before it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(TWO_FACTOR_EXEMPT)
            and not user.is_verified()
            and (
                (user.is_staff and request.path.startswith("/admin/"))
                or request.session.get(TWO_FACTOR_SESSION_FLAG, False)
            )
        ):
            target = "two-factor-verify" if user_has_device(user) else "two-factor-setup"
            return redirect(f"{reverse(target)}?next={request.path}")
        return self.get_response(request)
