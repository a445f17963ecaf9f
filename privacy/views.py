from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from accounts.client_address import client_address_required
from accounts.forms import form_add_service_error
from accounts.http import ClientRequest
from accounts.models import User
from accounts.retention_policy import policy_for
from accounts.roles import Capability
from accounts.tenancy import capability_required
from privacy.audit import AuditAction, AuditEvent, audit_record
from privacy.forms import AuditFilterForm, CodeForm, ErasureRequestForm, PublicRequestForm
from privacy.models import DataSubjectRequest, RequestSource
from privacy.public import RateLimited, verification_check, verification_start
from privacy.selectors import (
    AuditFilters,
    audit_actor_label,
    audit_actor_names,
    audit_csv_lines,
    audit_event_list,
    subject_request_list,
)
from privacy.services import erasure_request_file
from privacy.sms import SmsUnavailable

EVENTS_PER_PAGE = 50
LATEST_EVENTS = 10


def _with_actor_labels(events: list[AuditEvent], *, client: Any) -> list[tuple[AuditEvent, str]]:
    names = audit_actor_names(client=client)
    return [(event, audit_actor_label(event, names)) for event in events]


def _audit_filter_form(request: ClientRequest) -> AuditFilterForm:
    actors = [
        (str(user.pk), user.get_full_name() or user.email)
        for user in User.objects.for_client(request.client).order_by("last_name", "first_name")
    ]
    return AuditFilterForm(request.GET or None, actors=actors)


@capability_required(Capability.VIEW_AUDIT_LOG)
def audit_log(request: ClientRequest) -> HttpResponse:
    """The Client's audit log for its admins: filters, pages, and who acted, by name."""
    form = _audit_filter_form(request)
    events = audit_event_list(client=request.client, filters=form.filters())
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "privacy/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": _with_actor_labels(list(page), client=request.client),
            "querystring": query.urlencode(),
        },
        status=400 if form.errors else 200,
    )


@capability_required(Capability.VIEW_AUDIT_LOG)
def audit_log_csv(request: ClientRequest) -> HttpResponseBase:
    """The same events as the page (same filters), as CSV for the Client's own auditors."""
    form = _audit_filter_form(request)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            "\n".join(
                gettext("%(field)s: %(errors)s")
                % {
                    "field": form.fields[name].label if name in form.fields else name,
                    "errors": " ".join(map(str, errors)),
                }
                for name, errors in form.errors.items()
            ),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    filters = form.filters()
    events = audit_event_list(client=request.client, filters=filters)
    audit_record(
        action=AuditAction.AUDIT_EXPORTED,
        actor=request.user,
        client_id=request.client.pk,
        metadata={"filters": filters.for_audit(), "rows": events.count()},
    )
    response = StreamingHttpResponse(
        audit_csv_lines(events, client=request.client), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    response["Cache-Control"] = "no-store"
    return response


@capability_required(Capability.VIEW_PRIVACY_CENTRE)
def privacy_centre(request: ClientRequest) -> HttpResponse:
    client = request.client
    is_admin = request.user.has_capability(Capability.MANAGE_CONTACT_PRIVACY)
    form = ErasureRequestForm(request.POST or None, region=client.country)
    status = 200
    if request.method == "POST":
        if not is_admin:
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                erasure_request_file(
                    client=client,
                    phone=form.cleaned_data["phone"],
                    source=RequestSource.CLIENT,
                    notes=form.cleaned_data["notes"],
                    actor=request.user,
                )
            except ValidationError as error:
                form_add_service_error(form, error, fallback="phone")
            else:
                messages.success(
                    request,
                    gettext("The erasure request was sent to our DPO; its progress shows below."),
                )
                return redirect("privacy-centre")
        status = 400
    events = None
    if request.user.has_capability(Capability.VIEW_AUDIT_LOG):
        latest = list(audit_event_list(client=client, filters=AuditFilters())[:LATEST_EVENTS])
        events = _with_actor_labels(latest, client=client)
    return render(
        request,
        "privacy/centre.html",
        {
            "policy": policy_for(client),
            "dpo_email": settings.DPO_EMAIL,
            "visit_days": settings.VISIT_RETENTION_DAYS,
            "requests": subject_request_list(client=client)[:50],
            "form": form if is_admin else None,
            "events": events,
        },
        status=status,
    )


# --- The public form: requests straight from a Contact ---------------------------------------------

SESSION_KEY = "privacy_request"


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/public_request.html", {"too_many": True}, status=429)


def _unavailable(request: HttpRequest) -> HttpResponse:
    # Without a provider no code can reach the number, and without one nothing proves the
    # request comes from whoever holds it: say so plainly rather than pretend a code is coming.
    return render(
        request,
        "privacy/public_request_unavailable.html",
        {"dpo_email": settings.DPO_EMAIL},
        status=503,
    )


def public_request(request: HttpRequest) -> HttpResponse:
    form = PublicRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verification = verification_start(
                phone=form.cleaned_data["phone"],
                kind=form.cleaned_data["kind"],
                ip_address=client_address_required(request),
            )
        except RateLimited:
            return _too_many(request)
        except SmsUnavailable:
            return _unavailable(request)
        request.session[SESSION_KEY] = {
            "id": str(verification.pk),
            "phone": form.cleaned_data["phone"],
        }
        return redirect("privacy-request-verify")
    return render(
        request, "privacy/public_request.html", {"form": form}, status=400 if form.errors else 200
    )


def public_request_verify(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(SESSION_KEY)
    if not pending:
        return redirect("privacy-request")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        filed = verification_check(
            verification_id=pending["id"], phone=pending["phone"], code=form.cleaned_data["code"]
        )
        if filed is not None:
            del request.session[SESSION_KEY]
            # The date a new request gets, even when one was already open for the number (and
            # is due sooner): the answer never tells whether a request existed.
            due_on = DataSubjectRequest._meta.get_field("due_on").get_default()
            return render(
                request,
                "privacy/public_request_done.html",
                {"kind": filed.kind, "due_on": due_on, "reference": filed.reference},
            )
        form.add_error(
            "code",
            gettext("This code is not right, or has expired. Check it, or ask for a new one."),
        )
    return render(
        request,
        "privacy/public_request_verify.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
