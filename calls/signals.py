"""Signals the calls app sends so that higher apps may react without calls importing them
(ARCHITECTURE.md): attribution matches the visit, reports move the day's aggregate."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the ingesting transaction commits, with `call_id` and `client_id` (both UUIDs).
# A receiver reloads what it needs; it runs once per ingestion, created or updated.
call_ingested = Signal()
