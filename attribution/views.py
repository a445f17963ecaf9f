"""/settings/website/: the pool, the allowed origins, the default number and the snippet."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import form_add_service_error
from accounts.http import ClientRequest
from accounts.roles import Capability
from accounts.tenancy import capability_required
from attribution import selectors, services
from attribution.forms import WebsiteForm
from calls.selectors import tracking_number_list

# Peak simultaneous visitors one number can serve without sharing: one. The advice divides.
ADVICE_PEAKS = (10, 50, 100, 500)


@capability_required(Capability.MANAGE_SETTINGS)
@require_http_methods(["GET", "POST"])
def website_settings(request: ClientRequest) -> HttpResponse:
    client = request.client
    website = services.website_for(client=client)
    numbers = [number for number in tracking_number_list(client=client) if number.active]
    initial = {
        "allowed_origins": "\n".join(selectors.allowed_origins(client=client)),
        "default_number": website.default_number.number if website.default_number else "",
    }
    form = WebsiteForm(
        request.POST or None, initial=initial, numbers=numbers, region=client.country
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.website_update(
                    client=client,
                    allowed_origins=form.origins(),
                    default_number=form.cleaned_data["default_number"] or None,
                    actor=request.user,
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Website settings saved."))
                return redirect("website-settings")
        status = 400
    pool = list(selectors.pool_numbers(client=client))
    snippet_url = request.build_absolute_uri("/dni.js")
    return render(
        request,
        "attribution/website_settings.html",
        {
            "form": form,
            "website": website,
            "pool": pool,
            "snippet": f'<script src="{snippet_url}" data-client="{website.public_id}" async></script>',
            "advice": [
                {"visitors": peak, "per_number": round(peak / len(pool), 1) if pool else None}
                for peak in ADVICE_PEAKS
            ],
        },
        status=status,
    )
