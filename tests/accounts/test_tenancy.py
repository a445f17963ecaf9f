from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import User
from accounts.roles import ROLE_CAPABILITIES, Capability, Role
from accounts.tenancy import get_for_client_or_404, require_capability


def test_a_scoped_queryset_without_a_client_returns_nothing(acme_admin, globex_admin):
    assert list(User.objects.for_client(None)) == []


def test_a_scoped_queryset_holds_only_its_clients_rows(acme_admin, acme_analyst, globex_admin):
    assert set(User.objects.for_client(acme_admin.client)) == {acme_admin, acme_analyst}


def test_another_clients_object_is_a_404_like_a_missing_one(acme, globex_admin):
    with pytest.raises(Http404):
        get_for_client_or_404(User.objects.all(), client=acme, pk=globex_admin.pk)
    with pytest.raises(Http404):
        get_for_client_or_404(User.objects.all(), client=acme, pk=uuid.uuid4())


def test_a_malformed_id_is_a_404_not_a_500(acme):
    with pytest.raises(Http404):
        get_for_client_or_404(User.objects.all(), client=acme, pk="not-a-uuid")


def test_a_role_without_the_capability_is_denied(acme_analyst):
    with pytest.raises(PermissionDenied):
        require_capability(acme_analyst, Capability.EXPORT_CALLS)


def test_staff_without_a_client_hold_no_client_capability(db):
    from tests.factories import StaffFactory

    staff = StaffFactory()
    assert not staff.has_capability(Capability.VIEW_CALLS)


def test_the_capability_table_matches_the_specification():
    expected = {
        Capability.VIEW_CALLS: {"admin", "manager", "analyst"},
        Capability.PLAY_RECORDINGS: {"admin", "manager"},
        Capability.EXPORT_CALLS: {"admin", "manager"},
        Capability.MANAGE_CONTACT_PRIVACY: {"admin"},
        Capability.MANAGE_USERS: {"admin"},
        Capability.MANAGE_SETTINGS: {"admin"},
        Capability.VIEW_PRIVACY_CENTRE: {"admin", "manager", "analyst"},
        Capability.MANAGE_OWN_PROFILE: {"admin", "manager", "analyst"},
        Capability.INGEST_CALLS: {"admin"},
        Capability.VIEW_AUDIT_LOG: {"admin"},
    }
    for capability, roles in expected.items():
        assert {role for role in Role.values if capability in ROLE_CAPABILITIES[role]} == roles
