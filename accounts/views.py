from __future__ import annotations

import base64
import io
import json

import qrcode
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from accounts import selectors, services
from accounts.forms import (
    PasswordChange,
    ProfileForm,
    ProfilePictureForm,
    TwoFactorCodeForm,
    UserCreateForm,
    UserEditForm,
    form_add_service_error,
)
from accounts.http import AuthenticatedRequest, ClientRequest
from accounts.invitations import user_invitation_send
from accounts.languages import language_for_user
from accounts.middleware import TWO_FACTOR_SESSION_FLAG
from accounts.roles import Capability
from accounts.tenancy import capability_required

USERS_PER_PAGE = 25


# --- Users tab (client admins) -----------------------------------------------------------------


@capability_required(Capability.MANAGE_USERS)
def user_list(request: ClientRequest) -> HttpResponse:
    page = Paginator(selectors.user_list(client=request.client), USERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/user_list.html", {"page": page})


@capability_required(Capability.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_create(request: ClientRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None, region=request.client.country)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(
                client=request.client, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            user_invitation_send(user=user, request=request)
            messages.success(
                request,
                _("%(name)s was added; an invitation was emailed.")
                % {"name": user.get_full_name()},
            )
            return redirect("user-list")
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@capability_required(Capability.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_edit(request: ClientRequest, user_id: str) -> HttpResponse:
    user = selectors.user_get(client=request.client, user_id=user_id)
    form = UserEditForm(request.POST or None, instance=user, region=request.client.country)
    if request.method == "POST" and form.is_valid():
        try:
            own = user.pk == request.user.pk
            services.user_update(
                user=user,
                actor=request.user,
                keep_session_key=request.session.session_key if own else None,
                **form.cleaned_data,
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(
                request, _("The details of %(name)s were saved.") % {"name": user.get_full_name()}
            )
            return redirect("user-list")
    return render(request, "accounts/user_form.html", {"form": form, "edited": user})


@capability_required(Capability.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_delete(request: ClientRequest, user_id: str) -> HttpResponse:
    user = selectors.user_get(client=request.client, user_id=user_id)
    error = None
    if request.method == "POST":
        name = user.get_full_name()
        try:
            services.user_delete(user=user, actor=request.user)
        except ValidationError as failure:
            error = " ".join(failure.messages)
        else:
            messages.success(
                request, _("%(name)s was deleted with all their personal data.") % {"name": name}
            )
            return redirect("user-list")
    return render(
        request,
        "accounts/user_confirm_delete.html",
        {"deleted": user, "error": error},
        status=400 if error else 200,
    )


@capability_required(Capability.MANAGE_USERS)
@require_http_methods(["POST"])
def user_invitation_resend(request: ClientRequest, user_id: str) -> HttpResponse:
    user = selectors.user_get(client=request.client, user_id=user_id)
    try:
        services.user_invitation_resend(user=user, actor=request.user, request=request)
    except ValidationError as failure:
        messages.error(request, " ".join(failure.messages))
    else:
        messages.success(
            request, _("A new invitation was emailed to %(name)s.") % {"name": user.get_full_name()}
        )
    return redirect("user-list")


def _add_service_errors(form: UserCreateForm | UserEditForm, error: ValidationError) -> None:
    taken = getattr(error, "error_dict", {}).get("email", [])
    if any(e.code == "unique" for e in taken):
        # Taken between the form's check and the save: the same answer as the form's.
        unavailable = ValidationError(form.taken_email_message, code="unavailable")
        error = ValidationError({**error.error_dict, "email": [unavailable]})
    form_add_service_error(form, error)


# --- Own profile ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedRequest) -> HttpResponse:
    # Two forms, each posted alone: the picture's form says so (a hidden `form=picture`), and a
    # refused picture leaves the details form as it was, unbound and without errors.
    posted_picture = request.method == "POST" and (
        request.POST.get("form") == "picture" or "picture-profile_picture" in request.FILES
    )
    form = ProfileForm(
        request.POST if request.method == "POST" and not posted_picture else None,
        user=request.user,
        prefix="profile",
    )
    picture_form = (
        ProfilePictureForm(request.POST, request.FILES, prefix="picture")
        if posted_picture
        else ProfilePictureForm(prefix="picture")
    )
    if posted_picture:
        if picture_form.is_valid():
            services.user_profile_picture_set(
                user=request.user, picture=picture_form.cleaned_data["profile_picture"]
            )
            messages.success(request, _("Your picture was updated."))
            return redirect("profile")
    elif request.method == "POST" and form.is_valid():
        services.user_update(user=request.user, actor=request.user, **form.cleaned_data)
        # The next page speaks the language just chosen (the middleware read the old one).
        translation.activate(language_for_user(request.user) or settings.LANGUAGE_CODE)
        messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "picture_form": picture_form,
            "has_two_factor": user_has_device(request.user),
        },
    )


@login_required
def profile_picture(request: AuthenticatedRequest) -> FileResponse:
    picture = request.user.profile_picture
    if not picture:
        raise Http404(_("No picture."))
    response = FileResponse(picture.open("rb"))
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def profile_password(request: AuthenticatedRequest) -> HttpResponse:
    form = PasswordChange(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_password_change(
            user=request.user,
            new_password=form.cleaned_data["new_password1"],
            current_session_key=request.session.session_key,
        )
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password was changed; your other sessions were ended."))
        return redirect("profile")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def profile_export(request: AuthenticatedRequest) -> HttpResponse:
    data = selectors.user_own_data(user=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="my-dexem-data.json"'
    response["Cache-Control"] = "no-store"
    return response


# --- Two-factor (SPEC §4, django-otp) ----------------------------------------------------------
# Enrolment shows the otpauth:// URI and its QR code, is confirmed with a code, then shows the
# recovery codes once; afterwards every new session asks for a code (StaffTwoFactorMiddleware).


def _qr_data_uri(text: str) -> str:
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
def two_factor_setup(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if user_has_device(user):
        return redirect("two-factor-verify")
    device = services.two_factor_device_pending(user=user)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            services.two_factor_device_confirm(device=device)
            otp_login(request, device)
            request.session[TWO_FACTOR_SESSION_FLAG] = True
            codes = services.two_factor_recovery_codes_issue(user=user)
            return render(
                request,
                "accounts/two_factor_codes.html",
                {"codes": codes, "next": _safe_next(request)},
            )
        form.add_error(
            "code", _("This code is not right; check the time on your phone and try the next one.")
        )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "uri": device.config_url,
            "qr": _qr_data_uri(device.config_url),
            "next": _safe_next(request),
            "staff": user.is_staff,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: AuthenticatedRequest) -> HttpResponse:
    if not user_has_device(request.user):
        return redirect("two-factor-setup")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"].strip().replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("code", _("This code is not right."))
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": _safe_next(request)},
        status=400 if form.errors else 200,
    )
