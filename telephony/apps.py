from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "telephony"
    verbose_name = _("Telephony")

    def ready(self) -> None:
        from calls.signals import call_detail_facts, media_keys_rotating
        from telephony import receivers

        media_keys_rotating.connect(receivers.tokens_reseal, dispatch_uid="telephony-reseal")
        call_detail_facts.connect(receivers.call_facts, dispatch_uid="telephony-call-facts")
