from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.forms import form_add_service_error
from accounts.http import ClientRequest
from accounts.phones import phone_display, phone_parse, phone_placeholder
from accounts.roles import Capability
from accounts.tenancy import capability_required
from calls import selectors, services
from calls.dashboard import STATUS_LABELS, chart_data, previous_period, total_changes
from calls.filters import filter_names
from calls.forms import (
    ApiKeyForm,
    CallFilterForm,
    PeriodForm,
    TrackingNumberCallHandlingForm,
    TrackingNumberForm,
)
from calls.models import Call
from calls.pagination import Cursor, CursorInvalid, call_count, call_page
from calls.signals import call_detail_facts

CALLS_PER_PAGE = 50


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_staff and request.user.client_id is None:
        return redirect("admin:index")
    return dashboard(request)


@capability_required(Capability.VIEW_CALLS)
def dashboard(request: ClientRequest) -> HttpResponse:
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
    before = previous_period(period)
    previous = selectors.call_stats(client=request.client, period=before, group_by="status")
    totals, previous_totals = summary["totals"], previous["totals"]
    answer_rate = round(100 * totals["answered"] / totals["calls"]) if totals["calls"] else None
    return render(
        request,
        "calls/dashboard.html",
        {
            "form": form,
            "period": period,
            "previous_period": before,
            "summary": summary,
            "chart": chart_data(
                summary["per_day"], period=period, language=translation.get_language() or "en"
            ),
            "answer_rate": answer_rate,
            "changes": total_changes(totals, previous_totals),
            "statuses": [
                {**row, "label": STATUS_LABELS.get(row["key"], row["key"])}
                for row in summary["by_status"]
            ],
        },
    )


@capability_required(Capability.VIEW_CALLS)
def call_list(request: ClientRequest) -> HttpResponse:
    form = CallFilterForm(request.GET, client=request.client)
    if not form.is_valid():
        # The errors alone: calls listed under them would read as the filtered result.
        return render(request, "calls/call_list.html", {"form": form, "page": None}, status=400)
    sort = form.sort_order
    cursor = None
    if raw_cursor := request.GET.get("cursor", "").strip():
        try:
            cursor = Cursor.decode(raw_cursor, sort=sort)
        except CursorInvalid:
            form.add_error(
                None,
                _("This page link is not valid (any longer): start again from the first page."),
            )
            return render(request, "calls/call_list.html", {"form": form, "page": None}, status=400)
    calls = selectors.call_list(client=request.client, filters=form.filters, sort=sort)
    page = call_page(calls, sort=sort, cursor=cursor, size=CALLS_PER_PAGE)
    # Links keep the filters as the User typed them, so the form shows them again on every page.
    typed = {
        name: request.GET[name] for name in filter_names() if request.GET.get(name, "").strip()
    }
    keep = {**typed, **({"sort": sort} if sort != "newest" else {})}
    return render(
        request,
        "calls/call_list.html",
        {
            "form": form,
            "page": page,
            "count": call_count(
                calls,
                unrestricted=selectors.call_list(
                    client=request.client, filters=form.filters, include_restricted=True
                ),
            ),
            "next_query": urlencode({**keep, "cursor": page.next_cursor})
            if page.next_cursor
            else None,
            "previous_query": urlencode({**keep, "cursor": page.previous_cursor})
            if page.previous_cursor
            else None,
            "export_query": urlencode(typed),
        },
    )


@capability_required(Capability.VIEW_CALLS)
def call_detail(request: ClientRequest, call_id: str) -> HttpResponse:
    call = selectors.call_get(client=request.client, call_id=call_id)
    media = [
        ("Recording", "recording", call.has_recording),
        ("Voice message", "voicemail", call.has_voicemail),
    ]
    # Higher apps add what they know of the call (telephony: where it was put through).
    facts = [
        fact
        for _, found in call_detail_facts.send(sender=Call, call=call)
        for fact in (found or [])
    ]
    return render(request, "calls/call_detail.html", {"call": call, "media": media, "facts": facts})


# --- /settings/: tracking numbers and API keys (admins) ------------------------------------------


def _shown(request: ClientRequest, number: str) -> str:
    return phone_display(number, region=request.client.country)


def _settings_page(request: ClientRequest, *, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("number_form", TrackingNumberForm(region=request.client.country))
    context.setdefault("key_form", ApiKeyForm())
    context["tracking_numbers"] = selectors.tracking_number_list(client=request.client)
    context["api_keys"] = account_selectors.api_key_list(client=request.client)
    return render(request, "calls/settings.html", context, status=status)


@capability_required(Capability.MANAGE_SETTINGS)
def settings_page(request: ClientRequest) -> HttpResponse:
    return _settings_page(request)


@capability_required(Capability.MANAGE_SETTINGS)
@require_POST
def tracking_number_create(request: ClientRequest) -> HttpResponse:
    form = TrackingNumberForm(request.POST, region=request.client.country)
    if form.is_valid():
        try:
            number = services.tracking_number_create(
                client=request.client, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, f"Tracking number {_shown(request, number.number)} added.")
            return redirect("settings")
    return _settings_page(request, number_form=form, status=400)


@capability_required(Capability.MANAGE_SETTINGS)
@require_POST
def tracking_number_toggle(request: ClientRequest, number_id: str) -> HttpResponse:
    number = selectors.tracking_number_get(client=request.client, number_id=number_id)
    services.tracking_number_set_active(
        tracking_number=number, active=not number.active, actor=request.user
    )
    state = "reactivated" if number.active else "deactivated: new calls on it are refused"
    messages.success(request, f"Tracking number {_shown(request, number.number)} {state}.")
    return redirect("settings")


@capability_required(Capability.MANAGE_SETTINGS)
@require_http_methods(["GET", "POST"])
def tracking_number_edit(request: ClientRequest, number_id: str) -> HttpResponse:
    number = selectors.tracking_number_get(client=request.client, number_id=number_id)
    status = 200
    if request.method == "POST":
        form = TrackingNumberCallHandlingForm(request.POST, instance=number)
        if form.is_valid():
            try:
                services.tracking_number_update(
                    # The form's validation wrote onto `number`: the service starts from the row.
                    tracking_number=selectors.tracking_number_get(
                        client=request.client, number_id=number.pk
                    ),
                    actor=request.user,
                    **{name: form.cleaned_data[name] for name in form.Meta.fields},
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request, _("Tracking number %s saved.") % _shown(request, number.number)
                )
                return redirect("settings")
        status = 400
    else:
        form = TrackingNumberCallHandlingForm(instance=number)
    return render(
        request, "calls/tracking_number_edit.html", {"number": number, "form": form}, status=status
    )


@capability_required(Capability.MANAGE_SETTINGS)
@require_POST
def api_key_create(request: ClientRequest) -> HttpResponse:
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
def api_key_revoke(request: ClientRequest, key_id: str) -> HttpResponse:
    api_key = account_selectors.api_key_get(client=request.client, key_id=key_id)
    if request.method == "POST":
        account_services.api_key_revoke(api_key=api_key, actor=request.user)
        messages.success(
            request, f"Key {api_key.name!r} revoked: requests using it are now refused."
        )
        return redirect("settings")
    return render(request, "calls/api_key_revoke.html", {"api_key": api_key})


@capability_required(Capability.MANAGE_CONTACT_PRIVACY)
def contact_lookup(request: ClientRequest) -> HttpResponse:
    raw = request.GET.get("phone", "").strip()
    context: dict[str, Any] = {
        "phone": raw,
        "placeholder": phone_placeholder(request.client.country),
    }
    status = 200
    if raw:
        try:
            phone = phone_parse(raw, region=request.client.country, field=_("Phone number"))
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
def export_job_page(request: ClientRequest, job_id: str) -> HttpResponse:
    job = selectors.export_job_get(client=request.client, job_id=job_id)
    return render(request, "calls/export_job.html", {"job": job})
