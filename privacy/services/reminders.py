"""The DPO's daily reminder of deadlines (GDPR art. 12(3))."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.models import (
    DataSubjectRequest,
)

REMINDER_HORIZON_DAYS = 7


def request_deadlines_remind(*, today: dt.date | None = None) -> dict[str, int]:
    """Email the DPO the open requests due within a week and those overdue (references, kinds
    and dates only: no subject). Sends nothing when nothing is due."""
    from privacy.selectors import requests_due_soon

    today = today or timezone.localdate()
    due_soon, overdue = requests_due_soon(today=today, days=REMINDER_HORIZON_DAYS)
    if not due_soon and not overdue:
        return {"due_soon": 0, "overdue": 0}

    def lines(requests: list[DataSubjectRequest]) -> str:
        return "\n".join(
            f"- {item.reference}: {item.get_kind_display()}, "
            f"{_('due')} {item.due_on.isoformat()}"
            + (f" ({item.client.name})" if item.client else "")
            for item in requests
        )

    body = [str(_("Hello,"))]
    if overdue:
        body += ["", str(_("Overdue requests:")), lines(overdue)]
    if due_soon:
        body += ["", str(_("Requests due within 7 days:")), lines(due_soon)]
    body += ["", str(_("They are in the admin, under Privacy > Data subject requests."))]
    send_mail(
        subject=str(_("Dexem: %(overdue)d overdue and %(soon)d soon-due privacy requests"))
        % {"overdue": len(overdue), "soon": len(due_soon)},
        message="\n".join(body),
        from_email=None,
        recipient_list=[settings.DPO_EMAIL],
    )
    return {"due_soon": len(due_soon), "overdue": len(overdue)}
