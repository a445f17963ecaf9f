from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.forms import (
    PasswordChange,
    ProfileForm,
    ProfilePictureForm,
    UserCreateForm,
    UserEditForm,
    form_add_service_error,
)
from accounts.invitations import user_invitation_send
from accounts.roles import Capability
from accounts.tenancy import capability_required

USERS_PER_PAGE = 25


# --- Users tab (client admins) -----------------------------------------------------------------


@capability_required(Capability.MANAGE_USERS)
def user_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.user_list(client=request.client), USERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/user_list.html", {"page": page})


@capability_required(Capability.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
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
                request, f"{user.get_full_name()} was added; an invitation was emailed."
            )
            return redirect("user-list")
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@capability_required(Capability.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, user_id: str) -> HttpResponse:
    user = selectors.user_get(client=request.client, user_id=user_id)
    form = UserEditForm(request.POST or None, instance=user)
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
            messages.success(request, f"{user.get_full_name()} was saved.")
            return redirect("user-list")
    return render(request, "accounts/user_form.html", {"form": form, "edited": user})


@capability_required(Capability.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_delete(request: HttpRequest, user_id: str) -> HttpResponse:
    user = selectors.user_get(client=request.client, user_id=user_id)
    error = None
    if request.method == "POST":
        name = user.get_full_name()
        try:
            services.user_delete(user=user, actor=request.user)
        except ValidationError as failure:
            error = " ".join(failure.messages)
        else:
            messages.success(request, f"{name} was deleted with all their personal data.")
            if user.pk == request.user.pk:
                return redirect("login")
            return redirect("user-list")
    return render(
        request,
        "accounts/user_confirm_delete.html",
        {"deleted": user, "error": error},
        status=400 if error else 200,
    )


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
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, user=request.user, prefix="profile")
    picture_form = ProfilePictureForm(prefix="picture")
    if request.method == "POST":
        if "picture-profile_picture" in request.FILES:
            picture_form = ProfilePictureForm(request.POST, request.FILES, prefix="picture")
            if picture_form.is_valid():
                services.user_profile_picture_set(
                    user=request.user, picture=picture_form.cleaned_data["profile_picture"]
                )
                messages.success(request, "Your picture was updated.")
                return redirect("profile")
        elif form.is_valid():
            services.user_update(user=request.user, actor=request.user, **form.cleaned_data)
            messages.success(request, "Your profile was saved.")
            return redirect("profile")
    from django_otp import user_has_device

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
def profile_picture(request: HttpRequest) -> FileResponse:
    picture = request.user.profile_picture
    if not picture:
        raise Http404("No picture.")
    response = FileResponse(picture.open("rb"))
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def profile_password(request: HttpRequest) -> HttpResponse:
    form = PasswordChange(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_password_change(
            user=request.user,
            new_password=form.cleaned_data["new_password1"],
            current_session_key=request.session.session_key,
        )
        update_session_auth_hash(request, request.user)
        messages.success(request, "Your password was changed; your other sessions were ended.")
        return redirect("profile")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def profile_export(request: HttpRequest) -> HttpResponse:
    data = selectors.user_own_data(user=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="my-dexem-data.json"'
    response["Cache-Control"] = "no-store"
    return response
