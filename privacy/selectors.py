"""Every read of the privacy app (STYLE.md §3)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import ApiKey, Client, User
from calls.exports import neutralise
from calls.models import Call, Contact
from calls.selectors import export_jobs_holding_contact
from privacy.audit import AuditEvent, identifier_hash
from privacy.models import OPEN_STATUSES, DataSubjectRequest, RequestStatus


def contact_counts(contact: Contact) -> dict[str, int]:
    """What erasing `contact` would touch in its Client's account."""
    calls = Call.objects.for_client(contact.client).filter(contact=contact)
    return {
        "contacts": 1,
        "calls": calls.count(),
        "recordings": calls.filter(has_recording=True).count(),
        "voicemails": calls.filter(has_voicemail=True).count(),
        "export_jobs": len(export_jobs_holding_contact(contact=contact)),
    }


def subject_request_list(*, client: Client) -> QuerySet[DataSubjectRequest]:
    """A Client's requests, newest first (the privacy centre)."""
    return DataSubjectRequest.objects.filter(client=client).order_by("-received_on")


def requests_due_soon(
    *, today: dt.date, days: int
) -> tuple[list[DataSubjectRequest], list[DataSubjectRequest]]:
    """(due within `days`, overdue) among the requests still awaiting the DPO's answer."""
    waiting = (
        DataSubjectRequest.objects.filter(status__in=OPEN_STATUSES, restricted_at__isnull=True)
        .select_related("client")
        .order_by("due_on", "reference")
    )
    overdue = list(waiting.filter(due_on__lt=today))
    due_soon = list(waiting.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=days)))
    return due_soon, overdue


def dpo_recipients() -> list[tuple[str, str]]:
    """(email, language) of whoever gets the DPO's reminders: each active staff User of the DPO
    group, in their own language, and the DPO mailbox (DPO_EMAIL) in the platform's language
    unless one of them reads it."""
    recipients: dict[str, str] = {}
    dpos = User.objects.filter(is_staff=True, is_active=True, groups__name="DPO").exclude(email="")
    for email, language in dpos.order_by("email").values_list("email", "language").distinct():
        recipients.setdefault(email.lower(), language or settings.LANGUAGE_CODE)
    if settings.DPO_EMAIL:
        recipients.setdefault(settings.DPO_EMAIL.lower(), settings.LANGUAGE_CODE)
    return list(recipients.items())


# --- A closed request's record, in words ----------------------------------------------------------


def _erased_words(entry: dict[str, Any]) -> str:
    parts = [
        ngettext("%(n)d call anonymised", "%(n)d calls anonymised", entry.get("calls", 0))
        % {"n": entry.get("calls", 0)}
    ]
    recordings, voicemails = entry.get("recordings", 0), entry.get("voicemails", 0)
    parts.append(
        _("%(recordings)s and %(voicemails)s shredded")
        % {
            "recordings": ngettext("%(n)d recording", "%(n)d recordings", recordings)
            % {"n": recordings},
            "voicemails": ngettext("%(n)d voice message", "%(n)d voice messages", voicemails)
            % {"n": voicemails},
        }
    )
    if entry.get("export_jobs"):
        parts.append(
            ngettext("%(n)d export shredded", "%(n)d exports shredded", entry["export_jobs"])
            % {"n": entry["export_jobs"]}
        )
    if entry.get("contacts"):
        parts.append(str(_("Contact deleted")))
    if entry.get("users"):
        parts.append(str(_("User deleted")))
    return ", ".join(str(part) for part in parts)


def _exported_words(entry: dict[str, Any]) -> str:
    calls, recordings, voicemails = (
        entry.get(name, 0) for name in ("calls", "recordings", "voicemails")
    )
    return _("%(calls)s, %(recordings)s and %(voicemails)s sent in the access bundle") % {
        "calls": ngettext("%(n)d call", "%(n)d calls", calls) % {"n": calls},
        "recordings": ngettext("%(n)d recording", "%(n)d recordings", recordings)
        % {"n": recordings},
        "voicemails": ngettext("%(n)d voice message", "%(n)d voice messages", voicemails)
        % {"n": voicemails},
    }


_OUTCOME_WORDS = {
    "erased": _erased_words,
    "exported": _exported_words,
    "restricted": lambda entry: str(
        _("Contact restricted: calls kept, audio and exports withheld")
    ),
    "lifted": lambda entry: str(_("Contact's restriction lifted")),
}


def request_outcome_lines(subject_request: DataSubjectRequest) -> list[str]:
    """What a request did, one line per Client, by the Client's name ("Acme: 12 calls
    anonymised, 3 recordings and 1 voice message shredded, Contact deleted")."""
    result = subject_request.result or {}
    lines: list[str] = []
    if subject_request.status == RequestStatus.REJECTED:
        lines.append(str(_("Rejected: %(reason)s") % {"reason": subject_request.rejection_reason}))
    if subject_request.completion_note:
        lines.append(str(_("Rectified: %(note)s") % {"note": subject_request.completion_note}))
    per_client = result.get("per_client", [])
    # Requests closed before issue 14 keyed their counts by the Client's id, with its slug.
    entries = list(per_client.values()) if isinstance(per_client, dict) else list(per_client)
    words = _OUTCOME_WORDS.get(result.get("outcome", "erased"), _erased_words)
    for entry in entries:
        lines.append(f"{entry.get('client', '?')}: {words(entry)}")
    if not entries and result.get("outcome") in _OUTCOME_WORDS:
        lines.append(str(_("No account held this subject.")))
    return lines


# --- The audit log, as a Client admin reads it -----------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    actor: str | None = None  # a User's id, "staff" or "system"

    def for_audit(self) -> dict[str, str]:
        """The filters for the export's own audit record: the actor only as its keyed hash."""
        recorded = {
            name: value.isoformat() if isinstance(value, dt.date) else value
            for name, value in asdict(self).items()
            if value
        }
        if self.actor and self.actor not in ("staff", "system"):
            recorded["actor"] = identifier_hash(f"user:{self.actor}")
        return recorded


def audit_event_list(*, client: Client, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The Client's own events, newest first, filtered."""
    events = AuditEvent.objects.for_client(client)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.since:
        start = dt.datetime.combine(filters.since, dt.time.min, tzinfo=client.tzinfo)
        events = events.filter(occurred_at__gte=start)
    if filters.until:
        end = dt.datetime.combine(
            filters.until + dt.timedelta(days=1), dt.time.min, tzinfo=client.tzinfo
        )
        events = events.filter(occurred_at__lt=end)
    if filters.actor in ("staff", "system"):
        events = events.filter(actor_kind=filters.actor)
    elif filters.actor:
        events = events.filter(actor_hash=identifier_hash(f"user:{filters.actor}"))
    return events.order_by("-occurred_at", "-id")


def audit_actor_names(*, client: Client) -> dict[str, str]:
    """Keyed hash of each User and API key of the Client → the name shown for it. Resolved when
    the page is shown: the log itself keeps hashes only."""
    names = {
        identifier_hash(f"user:{user.pk}"): user.get_full_name() or user.email
        for user in User.objects.for_client(client).only("pk", "first_name", "last_name", "email")
    }
    for api_key in ApiKey.objects.for_client(client).only("pk", "name"):
        names[identifier_hash(f"api_key:{api_key.pk}")] = str(
            _("API key “%(name)s”") % {"name": api_key.name}
        )
    return names


def audit_actor_label(event: AuditEvent, names: dict[str, str]) -> str:
    if event.actor_kind == "staff":
        return str(_("Dexem staff (DPO)"))
    if event.actor_kind == "system":
        return str(_("Dexem (automatic)"))
    if event.actor_kind == "api_key":
        return names.get(event.actor_hash) or str(_("a revoked API key"))
    return names.get(event.actor_hash) or str(_("a deleted User"))


AUDIT_CSV_COLUMNS = ("occurred_at", "action", "description", "who", "object_type", "details")


class _Line:
    def write(self, value: str) -> str:
        return value


def audit_csv_lines(events: QuerySet[AuditEvent], *, client: Client) -> Iterator[bytes]:
    """The events as CSV, streamed: times in the Client's zone (ISO 8601 with the offset), the
    actor by name as on the page, the details as recorded (hashes, counts, field names)."""

    writer = csv.writer(_Line())
    names = audit_actor_names(client=client)
    yield writer.writerow(AUDIT_CSV_COLUMNS).encode()
    for event in events.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                event.occurred_at.astimezone(client.tzinfo).isoformat(),
                event.action,
                neutralise(str(event.get_action_display())),
                neutralise(audit_actor_label(event, names)),
                event.object_type,
                neutralise(json.dumps(event.metadata, sort_keys=True)) if event.metadata else "",
            ]
        ).encode()
