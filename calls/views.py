from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services as account_services
from accounts.models import ApiKey
from accounts.phones import normalize_e164
from accounts.roles import Capability
from accounts.tenancy import capability_required, get_for_client_or_404
from calls import selectors, services
from calls.extensions import registry
from calls.filters import CallFilters, call_filters_parse
from calls.forms import ApiKeyForm, CallFilterForm, PeriodForm, TrackingNumberForm
from calls.models import ExportJob, TrackingNumber

CALLS_PER_PAGE = 50


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_staff and request.user.client_id is None:
        return redirect("admin:index")
    return dashboard(request)


@capability_required(Capability.VIEW_CALLS)
def dashboard(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    today = timezone.localdate(timezone=request.client.tzinfo)
    period = selectors.Period(first_day=today - dt.timedelta(days=29), last_day=today)
    if form.is_valid():
        choice = form.cleaned_data.get("period") or "30"
        if choice == "custom":
            period = selectors.Period(form.cleaned_data["first_day"], form.cleaned_data["last_day"])
        else:
            period = selectors.Period(
                first_day=today - dt.timedelta(days=int(choice) - 1), last_day=today
            )
    summary = selectors.dashboard_summary(client=request.client, period=period)
    chart = {
        "labels": [row["key"] for row in summary["per_day"]],
        "answered": [row["answered"] for row in summary["per_day"]],
        "missed": [row["missed"] for row in summary["per_day"]],
    }
    totals = summary["totals"]
    answer_rate = round(100 * totals["answered"] / totals["calls"]) if totals["calls"] else None
    return render(
        request,
        "calls/dashboard.html",
        {
            "form": form,
            "period": period,
            "summary": summary,
            "chart": chart,
            "answer_rate": answer_rate,
        },
    )


@capability_required(Capability.VIEW_CALLS)
def call_list(request: HttpRequest) -> HttpResponse:
    params = {name: value for name, value in request.GET.items() if value.strip()}
    sort = params.pop("sort", "newest")
    page_number = params.pop("page", None)
    numbers = list(selectors.tracking_number_list(client=request.client))
    form = CallFilterForm(request.GET or None, tracking_numbers=numbers)
    try:
        filters = call_filters_parse(params, client=request.client)
        errors: dict[str, list[str]] = {}
    except ValidationError as error:
        filters, errors = CallFilters(), error.message_dict
    calls = selectors.call_list(client=request.client, filters=filters, sort=sort)
    page = Paginator(calls, CALLS_PER_PAGE).get_page(page_number)
    # Links keep the filters as the User typed them, so the form shows them again on every page.
    valid = {} if errors else params
    keep = {**valid, **({"sort": sort} if sort != "newest" else {})}
    return render(
        request,
        "calls/call_list.html",
        {
            "form": form,
            "filter_errors": errors,
            "page": page,
            "querystring": urlencode(keep),
            "export_query": urlencode(valid),
        },
        status=400 if errors else 200,
    )


@capability_required(Capability.VIEW_CALLS)
def call_detail(request: HttpRequest, call_id: str) -> HttpResponse:
    call = selectors.call_get(client=request.client, call_id=call_id)
    media = [
        ("Recording", "recording", call.has_recording),
        ("Voice message", "voicemail", call.has_voicemail),
    ]
    # Blocks of higher apps (calls.extensions), each from its own template, when it has data.
    blocks = [
        detail.template
        for detail in registry.details.values()
        if detail.template and detail.as_json(call) is not None
    ]
    return render(
        request,
        "calls/call_detail.html",
        {"call": call, "media": media, "detail_blocks": blocks},
    )


# --- /settings/: tracking numbers and API keys (admins) ------------------------------------------


def _settings_page(request: HttpRequest, *, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("number_form", TrackingNumberForm())
    context.setdefault("key_form", ApiKeyForm())
    context["tracking_numbers"] = selectors.tracking_number_list(client=request.client)
    context["api_keys"] = ApiKey.objects.for_client(request.client).select_related("created_by")
    return render(request, "calls/settings.html", context, status=status)


@capability_required(Capability.MANAGE_SETTINGS)
def settings_page(request: HttpRequest) -> HttpResponse:
    return _settings_page(request)


@capability_required(Capability.MANAGE_SETTINGS)
@require_POST
def tracking_number_create(request: HttpRequest) -> HttpResponse:
    form = TrackingNumberForm(request.POST)
    if form.is_valid():
        try:
            number = services.tracking_number_create(client=request.client, **form.cleaned_data)
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            messages.success(request, f"Tracking number {number.number} added.")
            return redirect("settings")
    return _settings_page(request, number_form=form, status=400)


@capability_required(Capability.MANAGE_SETTINGS)
@require_POST
def tracking_number_toggle(request: HttpRequest, number_id: str) -> HttpResponse:
    number = get_for_client_or_404(
        TrackingNumber.objects.all(), client=request.client, pk=number_id
    )
    services.tracking_number_set_active(tracking_number=number, active=not number.active)
    state = "reactivated" if number.active else "deactivated: new calls on it are refused"
    messages.success(request, f"Tracking number {number.number} {state}.")
    return redirect("settings")


@capability_required(Capability.MANAGE_SETTINGS)
@require_POST
def api_key_create(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, key_form=form, status=400)
    api_key, full_key = account_services.api_key_create(
        client=request.client,
        name=form.cleaned_data["name"],
        scopes=form.cleaned_data["scopes"],
        created_by=request.user,
    )
    # Shown once, in this response only: the key is never stored nor put in the session.
    response = _settings_page(request, new_key=full_key, new_key_row=api_key)
    response["Cache-Control"] = "no-store"
    return response


@capability_required(Capability.MANAGE_SETTINGS)
@require_http_methods(["GET", "POST"])
def api_key_revoke(request: HttpRequest, key_id: str) -> HttpResponse:
    api_key = get_for_client_or_404(ApiKey.objects.all(), client=request.client, pk=key_id)
    if request.method == "POST":
        account_services.api_key_revoke(api_key=api_key)
        messages.success(
            request, f"Key {api_key.name!r} revoked: requests using it are now refused."
        )
        return redirect("settings")
    return render(request, "calls/api_key_revoke.html", {"api_key": api_key})


@capability_required(Capability.MANAGE_CONTACT_PRIVACY)
def contact_lookup(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("phone", "").strip()
    context: dict[str, Any] = {"phone": raw}
    status = 200
    if raw:
        try:
            phone = normalize_e164(raw)
        except ValidationError as error:
            context["error"], status = " ".join(error.messages), 400
        else:
            contact = selectors.contact_find(client=request.client, phone_number=phone)
            context["normalised"] = phone
            if contact is None:
                context["error"], status = "No Contact with this number in your account.", 404
            else:
                context["summary"] = selectors.contact_summary(
                    client=request.client, contact=contact
                )
    return render(request, "calls/contact_lookup.html", context, status=status)


@capability_required(Capability.EXPORT_CALLS)
def export_job_page(request: HttpRequest, job_id: str) -> HttpResponse:
    job = get_for_client_or_404(ExportJob.objects.all(), client=request.client, pk=job_id)
    return render(request, "calls/export_job.html", {"job": job})
