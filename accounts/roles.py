"""Roles and what each may do: the one place that answers "may this User do that?" (SPEC §4)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    ANALYST = "analyst", _("Analyst")


class Capability(models.TextChoices):
    VIEW_CALLS = "view_calls", _("See the dashboard, call list and call detail")
    PLAY_RECORDINGS = "play_recordings", _("Play and download recordings and voicemails")
    EXPORT_CALLS = "export_calls", _("Export calls (CSV, Excel)")
    MANAGE_CONTACT_PRIVACY = "manage_contact_privacy", _("Export a Contact's data, request erasure")
    MANAGE_USERS = "manage_users", _("Manage the Users tab")
    MANAGE_SETTINGS = "manage_settings", _("Manage tracking numbers and API keys")
    VIEW_PRIVACY_CENTRE = "view_privacy_centre", _("Read the privacy centre")
    MANAGE_OWN_PROFILE = "manage_own_profile", _("Edit own profile, password, export own data")
    # SPEC §8: "Client admins see their Client's events" (the page and its CSV export).
    VIEW_AUDIT_LOG = "view_audit_log", _("Read and export the Client's audit log")
    # Not in the role table of SPEC §4, which speaks of keys: an admin's session may do what an
    # `ingest` key does, so a Client can test its integration from the browser.
    INGEST_CALLS = "ingest_calls", _("Post calls and upload recordings from a session")


_EVERYONE = {
    Capability.VIEW_CALLS,
    Capability.VIEW_PRIVACY_CENTRE,
    Capability.MANAGE_OWN_PROFILE,
}

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability),
    Role.MANAGER: frozenset(_EVERYONE | {Capability.PLAY_RECORDINGS, Capability.EXPORT_CALLS}),
    Role.ANALYST: frozenset(_EVERYONE),
}


def role_has_capability(role: str | None, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES.get(role or "", frozenset())
