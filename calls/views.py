from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
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
from calls.filters import DIALECT_PARAM, filter_names
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
NEW_KEY_SESSION = "settings_new_api_key"


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
    calls = selectors.call_list_page_rows(client=request.client, filters=form.filters, sort=sort)
    page = call_page(calls, sort=sort, cursor=cursor, size=CALLS_PER_PAGE)
    # Links keep the filters as the User typed them, so the form shows them again on every page.
    keep = _list_params(request.GET, sort=sort)
    return render(
        request,
        "calls/call_list.html",
        {
            "form": form,
            "page": page,
            # Counted on Calls: the page's named rows join the tracking number too.
            "count": call_count(
                selectors.call_list(client=request.client, filters=form.filters),
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
            # The exports read as the list does (its sort), the CSV for a spreadsheet (SPEC §14).
            "export_query": urlencode(keep),
            "csv_query": urlencode({**keep, DIALECT_PARAM: "excel"}),
            # The call page's "← Calls" comes back to this very page of the list.
            "back_query": urlencode({**keep, **({"cursor": raw_cursor} if cursor else {})}),
        },
    )


def _list_params(params: Mapping[str, str], *, sort: str) -> dict[str, str]:
    """The list's filters as the User typed them, and its sort when not the default."""
    typed = {name: params[name] for name in filter_names() if params.get(name, "").strip()}
    return {**typed, **({"sort": sort} if sort != "newest" else {})}


def _back_to_list(request: ClientRequest) -> str:
    """The call list's address with the filters, sort and page the call page was reached from:
    only the list's own parameters, and only when the list would accept them all."""
    url = reverse("call-list")
    known = {*filter_names(), *CallFilterForm.NON_FILTER_PARAMS}
    params: dict[str, str] = {}
    for name in known:
        if (value := str(request.GET.get(name, ""))).strip():
            params[name] = value
    if not params:
        return url
    form = CallFilterForm(params, client=request.client)
    if not form.is_valid():
        return url
    keep = _list_params(params, sort=form.sort_order)
    if raw_cursor := params.get("cursor", "").strip():
        try:
            Cursor.decode(raw_cursor, sort=form.sort_order)
        except CursorInvalid:
            pass
        else:
            keep["cursor"] = raw_cursor
    return f"{url}?{urlencode(keep)}" if keep else url


@capability_required(Capability.VIEW_CALLS)
def call_detail(request: ClientRequest, call_id: str) -> HttpResponse:
    call = selectors.call_get(client=request.client, call_id=call_id)
    media = [
        (
            _("Recording"),
            _("Your role does not allow playing recordings."),
            "recording",
            call.has_recording,
        ),
        (
            _("Voice message"),
            _("Your role does not allow playing voice messages."),
            "voicemail",
            call.has_voicemail,
        ),
    ]
    # Higher apps add what they know of the call (telephony: where it was put through).
    facts = [
        fact
        for _, found in call_detail_facts.send(sender=Call, call=call)
        for fact in (found or [])
    ]
    return render(
        request,
        "calls/call_detail.html",
        {"call": call, "media": media, "facts": facts, "back_url": _back_to_list(request)},
    )


# --- /settings/: tracking numbers and API keys (admins) ------------------------------------------


def _shown(request: ClientRequest, number: str) -> str:
    return phone_display(number, region=request.client.country)


def _settings_page(request: ClientRequest, *, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("number_form", TrackingNumberForm(region=request.client.country))
    context.setdefault("key_form", ApiKeyForm(client=request.client))
    context["tracking_numbers"] = selectors.tracking_number_list(client=request.client)
    context["api_keys"] = account_selectors.api_key_list(client=request.client)
    return render(request, "calls/settings.html", context, status=status)


@capability_required(Capability.MANAGE_SETTINGS)
def settings_page(request: ClientRequest) -> HttpResponse:
    # A key just created is shown on this page once: taken out of the session as it is read.
    new_key = request.session.pop(NEW_KEY_SESSION, None)
    if not isinstance(new_key, dict) or not new_key.get("id"):
        return _settings_page(request)
    response = _settings_page(
        request,
        new_key=new_key.get("key"),
        new_key_row=account_selectors.api_key_list(client=request.client)
        .filter(pk=str(new_key["id"]))
        .first(),
    )
    response["Cache-Control"] = "no-store"
    return response


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
            messages.success(
                request,
                _("Tracking number %(number)s added.") % {"number": _shown(request, number.number)},
            )
            return redirect("settings")
    return _settings_page(request, number_form=form, status=400)


@capability_required(Capability.MANAGE_SETTINGS)
@require_http_methods(["GET", "POST"])
def tracking_number_toggle(request: ClientRequest, number_id: str) -> HttpResponse:
    """GET asks to confirm (deactivating refuses the number's calls); POST does it."""
    number = selectors.tracking_number_get(client=request.client, number_id=number_id)
    if request.method == "GET":
        return render(request, "calls/tracking_number_toggle.html", {"number": number})
    services.tracking_number_set_active(
        tracking_number=number, active=not number.active, actor=request.user
    )
    shown = {"number": _shown(request, number.number)}
    if number.active:
        messages.success(request, _("Tracking number %(number)s reactivated.") % shown)
    else:
        messages.success(
            request,
            _("Tracking number %(number)s deactivated: new calls on it are refused.") % shown,
        )
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
    form = ApiKeyForm(request.POST, client=request.client)
    if form.is_valid():
        try:
            api_key, full_key = account_services.api_key_create(
                client=request.client,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                created_by=request.user,
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            # POST/redirect/GET: a refresh cannot make a second key. The key rides in the session
            # to the next page, which shows it once and takes it out (never in the database).
            request.session[NEW_KEY_SESSION] = {"id": str(api_key.pk), "key": full_key}
            return redirect("settings")
    return _settings_page(request, key_form=form, status=400)


@capability_required(Capability.MANAGE_SETTINGS)
@require_http_methods(["GET", "POST"])
def api_key_revoke(request: ClientRequest, key_id: str) -> HttpResponse:
    api_key = account_selectors.api_key_get(client=request.client, key_id=key_id)
    if request.method == "POST":
        account_services.api_key_revoke(api_key=api_key, actor=request.user)
        messages.success(
            request,
            _("Key “%(name)s” revoked: requests using it are now refused.")
            % {"name": api_key.name},
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
                context["error"] = _("No Contact with this number in your account.")
                status = 404
            else:
                context["summary"] = selectors.contact_summary(
                    client=request.client, contact=contact
                )
    return render(request, "calls/contact_lookup.html", context, status=status)


@capability_required(Capability.EXPORT_CALLS)
def export_job_page(request: ClientRequest, job_id: str) -> HttpResponse:
    job = selectors.export_job_get(client=request.client, job_id=job_id)
    return render(request, "calls/export_job.html", {"job": job})
