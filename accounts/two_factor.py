"""TOTP two-factor (SPEC §4), with django-otp: required of staff on /admin/ (enrolment on their
first visit), and opt-in for client Users from their profile. Enrolment shows the otpauth:// URI
and its QR code, is confirmed with a code, then shows ten recovery codes once; afterwards every new
session asks for a code."""

from __future__ import annotations

import base64
import io
import secrets
from collections.abc import Callable

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
EXEMPT = ("/admin/login/", "/admin/logout/", "/accounts/logout/", "/two-factor/", "/static/")
SESSION_FLAG = "two_factor_required"


class StaffTwoFactorMiddleware:
    """Staff reach /admin/ only once verified by a second factor in this session; a User who
    enrolled (opt-in) reaches nothing before it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(EXEMPT)
            and not user.is_verified()
            and (
                (user.is_staff and request.path.startswith("/admin/"))
                or request.session.get(SESSION_FLAG, False)
            )
        ):
            target = "two-factor-verify" if user_has_device(user) else "two-factor-setup"
            return redirect(f"{reverse(target)}?next={request.path}")
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=16,
        label="Code",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _qr_data_uri(text: str) -> str:
    import qrcode

    image = qrcode.make(text, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else "/admin/"


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user_has_device(user):
        return redirect("two-factor-verify")
    device = TOTPDevice.objects.filter(
        user=user, confirmed=False
    ).first() or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            request.session[SESSION_FLAG] = True
            codes = _new_recovery_codes(user)
            return render(
                request,
                "accounts/two_factor_codes.html",
                {"codes": codes, "next": _safe_next(request)},
            )
        form.add_error(
            "code", "This code is not right; check the time on your phone and try the next one."
        )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "uri": device.config_url,
            "qr": _qr_data_uri(device.config_url),
            "next": _safe_next(request),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    if not user_has_device(request.user):
        return redirect("two-factor-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"].strip().replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("code", "This code is not right.")
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": _safe_next(request)},
        status=400 if form.errors else 200,
    )


def _new_recovery_codes(user: object) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes
