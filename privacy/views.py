from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.retention_policy import policy_for
from accounts.roles import Capability
from accounts.tenancy import capability_required
from privacy.audit import AuditEvent
from privacy.models import DataSubjectRequest, RequestSource
from privacy.services import erasure_request_file

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
            "requests": DataSubjectRequest.objects.filter(client=client).order_by("-received_on")[
                :50
            ],
            "form": form if is_admin else None,
            "page": events,
        },
        status=status,
    )
