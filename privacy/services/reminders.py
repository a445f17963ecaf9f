"""The DPO's daily reminder of deadlines (GDPR art. 12(3))."""

from __future__ import annotations

import datetime as dt

from django.core.mail import send_mail
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from privacy.models import DataSubjectRequest
from privacy.selectors import dpo_recipients, requests_due_soon

REMINDER_HORIZON_DAYS = 7


def request_deadlines_remind(*, today: dt.date | None = None) -> dict[str, int]:
    """Email each DPO the open requests due within a week and those overdue (references, kinds
    and dates only: no subject), in that DPO's language. Sends nothing when nothing is due."""
    today = today or timezone.localdate()
    due_soon, overdue = requests_due_soon(today=today, days=REMINDER_HORIZON_DAYS)
    if not due_soon and not overdue:
        return {"due_soon": 0, "overdue": 0}
    for email, language in dpo_recipients():
        with translation.override(language):
            subject, body = _reminder(due_soon=due_soon, overdue=overdue)
            send_mail(subject=subject, message=body, from_email=None, recipient_list=[email])
    return {"due_soon": len(due_soon), "overdue": len(overdue)}


def _reminder(
    *, due_soon: list[DataSubjectRequest], overdue: list[DataSubjectRequest]
) -> tuple[str, str]:
    """The reminder's subject and body, in the active language."""

    def lines(requests: list[DataSubjectRequest]) -> str:
        return "\n".join(
            "- "
            + gettext("%(reference)s: %(kind)s, due %(due_on)s")
            % {
                "reference": item.reference,
                "kind": item.get_kind_display(),
                "due_on": formats.date_format(item.due_on, "DATE_FORMAT"),
            }
            + (f" ({item.client.name})" if item.client else "")
            for item in requests
        )

    body = [gettext("Hello,")]
    if overdue:
        body += ["", gettext("Overdue requests:"), lines(overdue)]
    if due_soon:
        body += ["", gettext("Requests due within 7 days:"), lines(due_soon)]
    body += ["", gettext("They are in the admin, under Privacy > Data subject requests.")]
    subject = gettext("Dexem: %(overdue)d overdue and %(soon)d soon-due privacy requests") % {
        "overdue": len(overdue),
        "soon": len(due_soon),
    }
    return subject, "\n".join(body)
