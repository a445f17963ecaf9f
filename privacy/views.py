from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.phones import normalize_e164
from accounts.retention_policy import policy_for
from accounts.roles import Capability
from accounts.tenancy import capability_required
from privacy.audit import AuditEvent
from privacy.models import DataSubjectRequest, RequestSource
from privacy.public import RateLimited, verification_check, verification_start
from privacy.services import erasure_request_file
from privacy.sms import SmsUnavailable

EVENTS_PER_PAGE = 25


class ErasureRequestForm(forms.Form):
    phone = forms.CharField(
        max_length=32,
        label="Caller's phone number",
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+33612345678"}),
    )
    notes = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Notes for the DPO (no other personal data, please)",
    )


@capability_required(Capability.VIEW_PRIVACY_CENTRE)
def privacy_centre(request: HttpRequest) -> HttpResponse:
    client = request.client
    is_admin = request.user.has_capability(Capability.MANAGE_CONTACT_PRIVACY)
    form = ErasureRequestForm(request.POST or None)
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
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error("phone" if field not in form.fields else field, errors)
            else:
                messages.success(
                    request, "The erasure request was sent to our DPO; its progress shows below."
                )
                return redirect("privacy-centre")
        status = 400
    events = None
    if is_admin:
        events = Paginator(AuditEvent.objects.for_client(client), EVENTS_PER_PAGE).get_page(
            request.GET.get("page")
        )
    return render(
        request,
        "privacy/centre.html",
        {
            "policy": policy_for(client),
            "dpo_email": settings.DPO_EMAIL,
            "visit_days": settings.VISIT_RETENTION_DAYS,
            "requests": DataSubjectRequest.objects.filter(client=client).order_by("-received_on")[
                :50
            ],
            "form": form if is_admin else None,
            "page": events,
        },
        status=status,
    )


# --- The public form: requests straight from a Contact ---------------------------------------------

SESSION_KEY = "privacy_request"


class PublicRequestForm(forms.Form):
    phone = forms.CharField(
        max_length=32,
        label="Your phone number",
        widget=forms.TextInput(
            attrs={"type": "tel", "placeholder": "+33612345678", "autocomplete": "tel"}
        ),
    )
    kind = forms.ChoiceField(
        choices=[("erasure", "Erase my data"), ("access", "Send me my data")],
        widget=forms.RadioSelect,
        initial="erasure",
    )

    def clean_phone(self) -> str:
        return normalize_e164(self.cleaned_data["phone"])


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=6,
        min_length=6,
        label="The 6-digit code we sent you",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


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
        from axes.helpers import get_client_ip_address

        try:
            verification = verification_start(
                phone=form.cleaned_data["phone"],
                kind=form.cleaned_data["kind"],
                ip_address=get_client_ip_address(request) or "unknown",
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
                {"kind": filed.get_kind_display(), "due_on": due_on},
            )
        form.add_error(
            "code", "This code is not right, or has expired. Check it, or ask for a new one."
        )
    return render(
        request,
        "privacy/public_request_verify.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
