from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
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


# --- Fail-closed default managers (SPEC §10) ------------------------------------------------------

import ast  # noqa: E402
from pathlib import Path  # noqa: E402

from accounts.tenancy import UnscopedQueryError  # noqa: E402
from calls.models import Call, Contact, TrackingNumber  # noqa: E402
from tests.factories import CallFactory, ContactFactory  # noqa: E402


@pytest.mark.parametrize(
    "evaluate",
    [
        pytest.param(lambda qs: list(qs), id="iteration"),
        pytest.param(lambda qs: len(qs), id="len"),
        pytest.param(lambda qs: bool(qs), id="bool"),
        pytest.param(lambda qs: qs.count(), id="count"),
        pytest.param(lambda qs: qs.exists(), id="exists"),
        pytest.param(lambda qs: qs.first(), id="first"),
        pytest.param(lambda qs: qs.last(), id="last"),
        pytest.param(lambda qs: qs.get(external_id="acme-1"), id="get"),
        pytest.param(lambda qs: qs[0], id="index"),
        pytest.param(lambda qs: list(qs.values_list("pk", flat=True)), id="values_list"),
        pytest.param(lambda qs: list(qs.values("pk")), id="values"),
        pytest.param(lambda qs: list(qs.iterator()), id="iterator"),
        pytest.param(lambda qs: qs.in_bulk(), id="in_bulk"),
        pytest.param(lambda qs: qs.aggregate(n=models.Count("pk")), id="aggregate"),
        pytest.param(lambda qs: qs.update(duration_seconds=0), id="update"),
        pytest.param(lambda qs: qs.delete(), id="delete"),
        pytest.param(lambda qs: qs.latest("started_at"), id="latest"),
    ],
)
def test_an_unscoped_query_of_a_tenant_model_is_refused(acme, evaluate):
    CallFactory(client=acme, external_id="acme-1")
    chained = Call.objects.filter(status="answered").order_by("started_at")
    with pytest.raises(UnscopedQueryError, match=r"for_client\(client\)"):
        evaluate(Call.objects.all())
    with pytest.raises(UnscopedQueryError):
        evaluate(chained)


def test_an_unscoped_get_by_id_is_refused_even_for_a_real_id(acme):
    call = CallFactory(client=acme)
    with pytest.raises(UnscopedQueryError):
        Call.objects.get(pk=call.pk)
    with pytest.raises(UnscopedQueryError):
        Call.objects.count()


def test_a_query_that_names_the_client_reads_only_its_rows(acme, globex):
    mine, theirs = CallFactory(client=acme), CallFactory(client=globex)
    assert list(Call.objects.for_client(acme)) == [mine]
    assert Call.objects.for_client(acme).get(pk=mine.pk) == mine
    assert Call.objects.for_client(acme).filter(pk=theirs.pk).count() == 0
    assert Call.objects.filter(client=acme).get() == mine
    assert Call.objects.filter(client_id=globex.pk).get() == theirs
    assert list(Call.objects.for_client(None)) == []
    assert Call.objects.across_clients().count() == 2


def test_a_filter_naming_no_client_value_does_not_scope(acme):
    CallFactory(client=acme)
    with pytest.raises(UnscopedQueryError):
        Call.objects.filter(client=None).count()
    with pytest.raises(UnscopedQueryError):
        Call.objects.exclude(client=acme).count()


def test_related_managers_and_foreign_keys_still_work(acme):
    contact = ContactFactory(client=acme)
    call = CallFactory(client=acme, contact=contact)
    assert list(contact.calls.all()) == [call]
    assert list(acme.calls.all()) == [call]
    assert contact.calls.count() == 1
    assert [c.calls.count() for c in Contact.objects.for_client(acme).prefetch_related("calls")]
    assert call.contact == contact
    assert call.tracking_number.client == acme
    call.refresh_from_db()


def test_writes_and_cascades_work_without_a_scope(acme):
    number = TrackingNumber.objects.create(client=acme, number="+33184800077", source="Ads")
    again, created = TrackingNumber.objects.get_or_create(
        client=acme, number="+33184800077", defaults={"source": "Ads"}
    )
    assert (again, created) == (number, False)
    contact = ContactFactory(client=acme)
    call = CallFactory(client=acme, contact=contact, tracking_number=number)
    call.status = "missed"
    call.save()
    contact.delete()  # SET_NULL on the calls goes through the plain base manager
    assert Call.objects.for_client(acme).get(pk=call.pk).contact is None


def test_djangos_unique_validation_names_the_client_itself(acme, globex):
    """As the admin's add form validates (the random UUID pk is not a form field)."""
    from django.forms import modelform_factory

    number = TrackingNumber.objects.create(client=acme, number="+33184800078", source="Ads")
    form_class = modelform_factory(TrackingNumber, fields=["client", "number", "source"])
    duplicate = form_class(data={"client": acme.pk, "number": number.number, "source": "Print"})
    assert not duplicate.is_valid()
    assert "__all__" in duplicate.errors
    elsewhere = form_class(data={"client": globex.pk, "number": number.number, "source": "Print"})
    assert elsewhere.is_valid(), elsewhere.errors
    with pytest.raises(ValidationError):
        TrackingNumber(client=acme, number=number.number, source="Ads").validate_constraints()


def test_an_unscoped_queryset_can_still_be_printed(acme):
    assert "names no Client" in repr(Call.objects.all())
    assert repr(Call.objects.for_client(acme)) == "<TenantQuerySet []>"


APP_DIRS = ["accounts", "calls", "privacy", "retention", "dexem", "bench"]


def _across_clients_uses_outside_named_places() -> list[str]:
    """`across_clients()` calls outside a function named `..._across_clients`, retention/, an
    admin.py or a tasks.py (the places SPEC §10 and accounts.tenancy allow)."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for app in APP_DIRS:
        for path in (root / app).rglob("*.py"):
            relative = path.relative_to(root)
            if relative.parts[0] == "retention" or path.name in ("admin.py", "tasks.py"):
                continue
            tree = ast.parse(path.read_text())
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                if function.name.endswith("_across_clients"):
                    continue
                for node in ast.walk(function):
                    if (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "across_clients"
                    ):
                        offenders.append(f"{relative}:{node.lineno} in {function.name}()")
    return offenders


def test_cross_client_reads_live_only_in_functions_named_for_it():
    assert _across_clients_uses_outside_named_places() == []


# --- Combinations and expressions cannot smuggle an unscoped query past the guard -----------------


@pytest.mark.parametrize(
    "combine",
    [
        pytest.param(lambda mine, every: mine | every, id="or"),
        pytest.param(lambda mine, every: every | mine, id="or-reversed"),
        pytest.param(lambda mine, every: mine & every, id="and"),
        pytest.param(lambda mine, every: mine ^ every, id="xor"),
        pytest.param(lambda mine, every: mine.union(every), id="union"),
        pytest.param(lambda mine, every: every.union(mine), id="union-reversed"),
        pytest.param(lambda mine, every: mine.union(every, all=True), id="union-all"),
        pytest.param(lambda mine, every: mine.intersection(every), id="intersection"),
        pytest.param(lambda mine, every: mine.difference(every), id="difference"),
        pytest.param(lambda mine, every: mine.union(mine, every), id="union-of-three"),
    ],
)
def test_a_scoped_queryset_combined_with_an_unscoped_one_is_refused(acme, globex, combine):
    CallFactory(client=acme)
    CallFactory(client=globex)
    mine = Call.objects.filter(client=acme)
    every = Call.objects.all()

    with pytest.raises(UnscopedQueryError):
        combine(mine, every).count()
    with pytest.raises(UnscopedQueryError):
        list(combine(mine.values_list("pk"), every.values_list("pk")))


@pytest.mark.parametrize(
    "combine",
    [
        pytest.param(lambda a, b: a | b, id="or"),
        pytest.param(lambda a, b: a & b, id="and"),
        pytest.param(lambda a, b: a ^ b, id="xor"),
        pytest.param(lambda a, b: a.union(b), id="union"),
        pytest.param(lambda a, b: a.intersection(b), id="intersection"),
        pytest.param(lambda a, b: a.difference(b), id="difference"),
        pytest.param(lambda a, b: a | b.none(), id="or-empty"),
        pytest.param(lambda a, b: b.none().union(a), id="empty-union"),
    ],
)
def test_querysets_combined_are_scoped_when_every_side_is(acme, globex, combine):
    mine = CallFactory(client=acme)
    CallFactory(client=globex)
    # No ordering: SQLite takes none inside a compound statement.
    answered = Call.objects.for_client(acme).filter(status=mine.status).order_by()

    combined = combine(Call.objects.for_client(acme).order_by(), answered)

    assert set(combined.values_list("pk", flat=True)) <= {mine.pk}


def test_an_unscoped_side_that_is_empty_does_not_unscope_a_combination(acme, globex):
    mine = CallFactory(client=acme)
    CallFactory(client=globex)

    assert list(Call.objects.for_client(acme) | Call.objects.none()) == [mine]
    assert list(Call.objects.none() | Call.objects.for_client(acme)) == [mine]


@pytest.mark.parametrize(
    "lookup",
    [
        pytest.param(lambda acme: {"client": models.F("client")}, id="F"),
        pytest.param(lambda acme: {"client_id": models.F("client_id")}, id="F-id"),
        pytest.param(
            lambda acme: {"client__in": __import__("accounts.models").models.Client.objects.all()},
            id="in-queryset",
        ),
        pytest.param(
            lambda acme: {
                "client__in": models.Subquery(
                    __import__("accounts.models").models.Client.objects.values("pk")
                )
            },
            id="in-subquery",
        ),
        pytest.param(
            lambda acme: {
                "client": models.Subquery(
                    Call.objects.across_clients().filter(pk=models.OuterRef("pk")).values("client")
                )
            },
            id="subquery",
        ),
    ],
)
def test_a_client_value_that_is_an_expression_does_not_scope(acme, globex, lookup):
    CallFactory(client=acme)
    CallFactory(client=globex)

    with pytest.raises(UnscopedQueryError):
        Call.objects.filter(**lookup(acme)).count()


@pytest.mark.parametrize(
    "lookup",
    [
        pytest.param(lambda acme: {"client": acme}, id="instance"),
        pytest.param(lambda acme: {"client": acme.pk}, id="uuid"),
        pytest.param(lambda acme: {"client_id": str(acme.pk)}, id="string"),
        pytest.param(lambda acme: {"client__pk": acme.pk}, id="pk"),
        pytest.param(lambda acme: {"client__in": [acme]}, id="in-list"),
        pytest.param(lambda acme: {"client_id__in": (acme.pk,)}, id="in-tuple"),
        pytest.param(lambda acme: {"client__in": {acme.pk}}, id="in-set"),
    ],
)
def test_a_client_named_by_instance_or_pk_scopes(acme, globex, lookup):
    mine = CallFactory(client=acme)
    CallFactory(client=globex)

    assert list(Call.objects.filter(**lookup(acme))) == [mine]
