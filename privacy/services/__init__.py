"""Every write of the privacy app (STYLE.md §7d: a package by subject). Erasure itself is
privacy/erasure.py, which hands the writes in the calls tables to the calls services."""

from __future__ import annotations

from privacy.services.filing import (
    contact_request_file,
    erasure_request_file,
    request_filed_record,
)
from privacy.services.lifecycle import (
    RequestStateError,
    access_request_bundle,
    rectification_complete,
    request_deadline_extend,
    request_execute,
    request_reject,
    restriction_apply,
    restriction_lift,
)
from privacy.services.reminders import REMINDER_HORIZON_DAYS, request_deadlines_remind

__all__ = [
    "REMINDER_HORIZON_DAYS",
    "RequestStateError",
    "access_request_bundle",
    "contact_request_file",
    "erasure_request_file",
    "rectification_complete",
    "request_deadline_extend",
    "request_deadlines_remind",
    "request_execute",
    "request_filed_record",
    "request_reject",
    "restriction_apply",
    "restriction_lift",
]
