"""The provider's webhooks (SPEC §12) and the Client's telephony settings page.

Every webhook is refused (403, nothing written) unless it names a known account and its
signature checks out with that account's token over the URL the provider called.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import ClientRequest
from accounts.roles import Capability
from accounts.tenancy import capability_required
from calls.models import MediaKind, TrackingNumber
from calls.services import client_language
from telephony import services
from telephony.forms import TelephonyAccountForm
from telephony.models import TelephonyAccount
from telephony.providers import base, provider_for
from telephony.sealing import TokenUnreadable

logger = logging.getLogger(__name__)

VOICEMAIL_PROMPTS = {
    "fr": "Votre correspondant n'est pas disponible. Laissez un message après le bip.",
    "de": "Ihr Gesprächspartner ist nicht erreichbar. Bitte sprechen Sie nach dem Signalton.",
    "es": "Su interlocutor no está disponible. Deje un mensaje después de la señal.",
    "it": "Il suo interlocutore non è disponibile. Lasci un messaggio dopo il segnale.",
    "nl": "Uw gesprekspartner is niet bereikbaar. Spreek een bericht in na de toon.",
    "en": "Nobody is available to take your call. Please leave a message after the tone.",
}

Handler = Callable[[HttpRequest, TelephonyAccount, base.VoiceProvider], HttpResponse]


def _twiml(body: str, *, status: int = 200) -> HttpResponse:
    return HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)


def public_url(request: HttpRequest, path: str) -> str:
    """The URL the provider calls for `path` (with its query): under PUBLIC_BASE_URL when set,
    else as the request reached us (the proxy's forwarded scheme, the Host it passed on)."""
    base_url = settings.PUBLIC_BASE_URL
    if base_url:
        return base_url.rstrip("/") + path
    return request.build_absolute_uri(path)


def _signed_by(
    request: HttpRequest, provider: base.VoiceProvider, account_id: str
) -> tuple[TelephonyAccount | None, str]:
    """(the account, "") when the request's signature checks out with its token, else (None or
    the account, the reason to refuse it, in words without personal data)."""
    signature = request.META.get(provider.signature_header, "")
    url = public_url(request, request.get_full_path())
    remembered = True
    while True:
        try:
            found = services.telephony_account_for_webhook(
                provider=provider.name, account_sid=account_id, remembered=remembered
            )
        except TokenUnreadable:
            return None, "token unreadable"
        if found is None:
            return None, "unknown account"
        account, token, was_remembered = found
        if not signature:
            return account, "missing signature"
        if provider.verify(url=url, params=request.POST, signature=signature, token=token):
            return account, ""
        if not was_remembered:
            return account, "bad signature"
        # The token this process remembers may have been replaced in another one: read the
        # account again before refusing.
        remembered = False


def webhook(provider_name: str) -> Callable[[Handler], Callable[[HttpRequest], HttpResponse]]:
    def decorator(handler: Handler) -> Callable[[HttpRequest], HttpResponse]:
        @csrf_exempt
        @require_POST
        @functools.wraps(handler)
        def view(request: HttpRequest) -> HttpResponse:
            provider = provider_for(provider_name)
            params = request.POST
            account_id = provider.account_id(params)
            account, reason = None, "unknown account"
            if account_id:
                account, reason = _signed_by(request, provider, account_id)
            if reason:
                # No parameter values: they hold the caller's number.
                logger.warning(
                    "telephony webhook refused",
                    extra={"reason": reason, "path": request.path, "provider": provider_name},
                )
                return _twiml(provider.answer_nothing(), status=403)
            assert account is not None  # refused above as "unknown account"
            try:
                return handler(request, account, provider)
            except base.BadParameters as error:
                logger.info(
                    "telephony webhook with bad parameters",
                    extra={"field": error.field, "path": request.path},
                )
                return _twiml(provider.answer_hangup(), status=400)
            except ValidationError:
                logger.info("telephony webhook refused by ingestion", extra={"path": request.path})
                return _twiml(provider.answer_hangup(), status=400)

        return view

    return decorator


def _voicemail_answer(
    request: HttpRequest, account: TelephonyAccount, provider: base.VoiceProvider
) -> HttpResponse:
    language = client_language(account.client)
    return _twiml(
        provider.answer_voicemail(
            prompt=VOICEMAIL_PROMPTS[language],
            language=language,
            recording_url=public_url(
                request, reverse(f"{provider.name}-recording") + f"?kind={MediaKind.VOICEMAIL}"
            ),
            after_url=public_url(
                request, reverse(f"{provider.name}-dial-status") + "?after=record"
            ),
        )
    )


@webhook("twilio")
def twilio_voice(
    request: HttpRequest, account: TelephonyAccount, provider: base.VoiceProvider
) -> HttpResponse:
    incoming = provider.parse_incoming(request.POST)
    client = account.client
    number = (
        TrackingNumber.objects.for_client(client)
        .filter(number=incoming.called, active=True)
        .first()
    )
    if number is None:
        return _twiml(provider.answer_reject())
    services.provider_call_start(client=client, incoming=incoming, tracking_number=number)
    if number.forward_to:
        plan = base.ForwardPlan(
            forward_to=number.forward_to,
            ring_seconds=number.ring_seconds,
            record=number.record_calls,
            announcement=number.announcement,
            language=client_language(client),
            dial_status_url=public_url(request, reverse("twilio-dial-status")),
            recording_url=public_url(
                request, reverse("twilio-recording") + f"?kind={MediaKind.RECORDING}"
            ),
        )
        return _twiml(provider.answer_forward(plan))
    if number.voicemail:
        return _voicemail_answer(request, account, provider)
    return _twiml(provider.answer_reject())


@webhook("twilio")
def twilio_dial_status(
    request: HttpRequest, account: TelephonyAccount, provider: base.VoiceProvider
) -> HttpResponse:
    if request.GET.get("after") == "record":  # the voice message is in: the call ends
        return _twiml(provider.answer_hangup())
    report = provider.parse_dial(request.POST)
    leg = services.provider_call_dial_report(client=account.client, report=report)
    if leg is not None and report.outcome != base.ANSWERED and leg.tracking_number.voicemail:
        return _voicemail_answer(request, account, provider)
    return _twiml(provider.answer_hangup())


@webhook("twilio")
def twilio_status(
    request: HttpRequest, account: TelephonyAccount, provider: base.VoiceProvider
) -> HttpResponse:
    report = provider.parse_status(request.POST)
    services.provider_call_status_report(client=account.client, report=report)
    return _twiml(provider.answer_nothing())


@webhook("twilio")
def twilio_recording(
    request: HttpRequest, account: TelephonyAccount, provider: base.VoiceProvider
) -> HttpResponse:
    kind = request.GET.get("kind", MediaKind.RECORDING)
    if kind not in MediaKind.values:
        raise base.BadParameters("kind")
    report = provider.parse_recording(
        request.POST, account_id=account.account_sid, api_base=settings.TWILIO_API_BASE
    )
    services.provider_recording_report(client=account.client, report=report, kind=kind)
    return HttpResponse(status=204)


# --- /settings/telephony/ (admins) ----------------------------------------------------------------


@capability_required(Capability.MANAGE_SETTINGS)
@require_http_methods(["GET", "POST"])
def telephony_settings(request: ClientRequest) -> HttpResponse:
    account = TelephonyAccount.objects.for_client(request.client).first()
    initial: dict[str, Any] = (
        {"provider": account.provider, "account_sid": account.account_sid} if account else {}
    )
    status = 200
    if request.method == "POST":
        form = TelephonyAccountForm(request.POST)
        if form.is_valid():
            try:
                services.telephony_account_set(
                    client=request.client, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                for field, field_errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, field_errors)
            else:
                messages.success(request, _("Telephony account saved."))
                return redirect("telephony-settings")
        status = 400
    else:
        form = TelephonyAccountForm(initial=initial)
    webhooks = {
        name: public_url(request, reverse(f"twilio-{name}")) for name in ("voice", "status")
    }
    response = render(
        request,
        "telephony/settings.html",
        {"form": form, "account": account, "webhooks": webhooks},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response
