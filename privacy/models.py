from __future__ import annotations

from privacy.audit import AuditEvent

__all__ = ["AuditEvent"]
