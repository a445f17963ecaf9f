"""Every URL pattern of the project has a cross-tenant check (SPEC §10, STYLE.md §11).

`test_every_route_has_an_entry` walks `django.urls.get_resolver()` (included patterns too) and
fails naming each route that has no entry in `ROUTES` (keyed by URL name) and is not under a
prefix of `STAFF_PREFIXES`. A new route therefore fails the suite until someone says how it is
protected. To add one, write an entry in `ROUTES`:

- `Tenant(...)` for a route serving a Client's data (one entry per method worth checking, a
  list when several are):
  - `method`: "GET", "POST", "PUT"...;
  - `obj`: the `Side` attribute whose pk the URL's one argument names (`"call"`,
    `"export_job"`, `"number"`, `"api_key"`, `"user"`), or None when the URL names no object;
  - `roles`: the status each of Acme's roles gets on Acme's own object ({"admin": 200, ...}:
    403 where SPEC §4 denies the capability);
  - `keys`: the status an Acme API key with the `ingest` or `read` scope gets (`HTML_KEYS` for
    pages, which never accept a key);
  - `data(side, actor)`: the body (a form dict, or JSON when `json=True`), `body` and
    `content_type` for a raw upload, `query(side)` for the query string.
  The test then checks, on a fresh database per route: the anonymous visitor is turned away;
  with `obj`, Acme's admin (session, and Acme's full API key on the API) asking for Globex's
  object gets a 404; without `obj`, Globex's admin and key get nothing of Acme in the response;
  then each key scope and each role (least privileged first) gets its expected status.
- `Public(reason)` for a route anybody may reach (login, the public request form, health):
  an anonymous request must not fail with a 5xx nor show anything of Acme.

Staff routes under `/admin/` are listed by prefix; `test_staff_pages_refuse_client_users` and
`test_the_admin_reads_tenant_models_across_clients` check them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import ApiKey, Client, User
from accounts.roles import Role
from accounts.services import api_key_create
from calls.filters import CallFilters
from calls.models import Call, Contact, ExportJob, TrackingNumber
from calls.services import export_job_request, export_job_run, media_store
from tests.factories import CallFactory, ContactFactory, TrackingNumberFactory, UserFactory

ALL = {"admin": 200, "manager": 200, "analyst": 200}
ADMIN_ONLY = {"admin": 200, "manager": 403, "analyst": 403}
PLAYERS = {"admin": 200, "manager": 200, "analyst": 403}
# A page ignores the Authorization header: a key alone is an anonymous visitor, sent to log in.
HTML_KEYS = {"ingest": 302, "read": 302}
READ_KEY = {"ingest": 403, "read": 200}
NO_KEY = {"ingest": 403, "read": 403}
AUDIO = os.urandom(40_000)
STAFF_PREFIXES = {"admin/": "Django admin: staff only, behind TOTP (tests below)"}


@dataclass(frozen=True)
class Tenant:
    method: str
    roles: dict[str, int]
    keys: dict[str, int]
    obj: str | None = None
    data: Callable[[Side, str], dict[str, Any]] | None = None
    json: bool = False
    body: bytes | None = None
    content_type: str | None = None
    query: Callable[[Side], str] | None = None


@dataclass(frozen=True)
class Public:
    reason: str
    kwargs: dict[str, str] = field(default_factory=dict)


@dataclass
class Side:
    """One Client's objects, as the routes name them."""

    client: Client
    admin: User
    number: TrackingNumber
    contact: Contact
    call: Call
    export_job: ExportJob
    api_key: ApiKey
    user: User
    full_key: str
    keys: dict[str, str]


def _call_json(side: Side, actor: str) -> dict[str, Any]:
    return {
        "external_id": f"matrix-{actor}",
        "tracking_number": side.number.number,
        "caller_number": "+33612349999",
        "status": "answered",
        "started_at": "2026-01-05T10:00:00Z",
    }


def _number_form(side: Side, actor: str) -> dict[str, Any]:
    serial = {"admin": 1, "manager": 2, "analyst": 3}.get(actor, 4)
    return {"number": f"+3318480555{serial}", "source": "Matrix", "campaign": ""}


def _user_form(side: Side, actor: str) -> dict[str, Any]:
    return {
        "email": f"new-{actor}@{side.client.slug}.example",
        "first_name": "New",
        "last_name": "Person",
        "role": "analyst",
        "is_active": "on",
    }


def _phone(side: Side) -> str:
    return urlencode({"phone": side.contact.phone_number})


ROUTES: dict[str, Tenant | Public | list[Tenant]] = {
    # --- API (calls/api_urls.py) ---
    "api-calls": [
        Tenant("GET", ALL, READ_KEY),
        Tenant(
            "POST",
            {"admin": 201, "manager": 403, "analyst": 403},
            {"ingest": 201, "read": 403},
            data=_call_json,
            json=True,
        ),
    ],
    "api-call-detail": Tenant("GET", ALL, READ_KEY, obj="call"),
    "api-call-recording": [
        Tenant("GET", PLAYERS, READ_KEY, obj="call"),
        Tenant(
            "PUT",
            {"admin": 201, "manager": 403, "analyst": 403},
            {"ingest": 201, "read": 403},
            obj="call",
            body=AUDIO,
            content_type="audio/wav",
        ),
    ],
    "api-call-voicemail": [
        Tenant("GET", PLAYERS, READ_KEY, obj="call"),
        Tenant(
            "PUT",
            {"admin": 201, "manager": 403, "analyst": 403},
            {"ingest": 201, "read": 403},
            obj="call",
            body=AUDIO,
            content_type="audio/wav",
        ),
    ],
    "api-stats": Tenant("GET", ALL, READ_KEY, query=lambda side: "from=2026-01-01&to=2026-01-31"),
    "api-export-csv": Tenant("GET", PLAYERS, READ_KEY),
    # A small export answers the file to a GET and to a POST alike (a large one makes a job).
    "api-export-xlsx": [Tenant("GET", PLAYERS, READ_KEY), Tenant("POST", PLAYERS, READ_KEY)],
    "api-export-job": Tenant("GET", PLAYERS, READ_KEY, obj="export_job"),
    "api-export-job-download": Tenant("GET", PLAYERS, READ_KEY, obj="export_job"),
    "api-contact-export": Tenant("GET", ADMIN_ONLY, NO_KEY, query=_phone),
    "api-tracking-numbers": [
        Tenant("GET", ALL, {"ingest": 200, "read": 403}),
        Tenant(
            "POST",
            {"admin": 201, "manager": 403, "analyst": 403},
            NO_KEY,
            data=_number_form,
            json=True,
        ),
    ],
    "api-tracking-number-detail": [
        Tenant("GET", ALL, {"ingest": 200, "read": 403}, obj="number"),
        Tenant(
            "PATCH",
            {"admin": 200, "manager": 403, "analyst": 403},
            NO_KEY,
            obj="number",
            data=lambda side, actor: {"campaign": f"matrix {actor}"},
            json=True,
        ),
    ],
    "api-schema": Public("the OpenAPI description, no data"),
    "api-docs": Public("the Swagger UI page, served offline, no data"),
    "healthz": Public("the health check for the proxy and orchestrator, no data"),
    # --- Calls pages (calls/urls.py) ---
    "home": Tenant("GET", ALL, HTML_KEYS),
    "call-list": Tenant("GET", ALL, HTML_KEYS),
    "reports": Tenant("GET", ALL, HTML_KEYS, query=lambda side: "by=source&per=week&periods=4"),
    "reports-xlsx": Tenant("GET", ALL, HTML_KEYS),
    "call-detail": Tenant("GET", ALL, HTML_KEYS, obj="call"),
    "contact-lookup": Tenant("GET", ADMIN_ONLY, HTML_KEYS, query=_phone),
    "export-job": Tenant("GET", PLAYERS, HTML_KEYS, obj="export_job"),
    "settings": Tenant("GET", ADMIN_ONLY, HTML_KEYS),
    "tracking-number-create": Tenant(
        "POST", {"admin": 302, "manager": 403, "analyst": 403}, HTML_KEYS, data=_number_form
    ),
    "tracking-number-toggle": [
        Tenant("GET", ADMIN_ONLY, HTML_KEYS, obj="number"),  # the confirmation, changes nothing
        Tenant("POST", {"admin": 302, "manager": 403, "analyst": 403}, HTML_KEYS, obj="number"),
    ],
    "tracking-number-edit": Tenant("GET", ADMIN_ONLY, HTML_KEYS, obj="number"),
    "telephony-settings": Tenant("GET", ADMIN_ONLY, HTML_KEYS),
    # --- The provider's webhooks (telephony/urls.py): no session, no key; each request is
    # signed with the account's token, checked before anything is read (tests/telephony).
    "twilio-voice": Public("provider webhook, refused (403) unless signed by the account"),
    "twilio-dial-status": Public("provider webhook, refused (403) unless signed"),
    "twilio-status": Public("provider webhook, refused (403) unless signed"),
    "twilio-recording": Public("provider webhook, refused (403) unless signed"),
    "api-key-create": Tenant(
        "POST",
        {"admin": 302, "manager": 403, "analyst": 403},  # POST/redirect/GET
        HTML_KEYS,
        data=lambda side, actor: {"name": f"key {actor}", "scopes": ["read"]},
    ),
    "api-key-revoke": [
        Tenant("GET", ADMIN_ONLY, HTML_KEYS, obj="api_key"),
        Tenant("POST", {"admin": 302, "manager": 403, "analyst": 403}, HTML_KEYS, obj="api_key"),
    ],
    # --- Privacy (privacy/urls.py) ---
    "privacy-centre": Tenant("GET", ALL, HTML_KEYS),
    "privacy-audit": Tenant("GET", ADMIN_ONLY, HTML_KEYS),
    "privacy-audit-csv": Tenant("GET", ADMIN_ONLY, HTML_KEYS),
    # --- Attribution (attribution/urls.py): the website settings are the admins'; the snippet and
    # its visits endpoint are public (any website's visitor), and answer a Client's numbers only
    # to its allowed origins (tests/attribution/test_visits_endpoint.py).
    "website-settings": [
        Tenant("GET", ADMIN_ONLY, HTML_KEYS),
        Tenant(
            "POST",
            {"admin": 302, "manager": 403, "analyst": 403},
            HTML_KEYS,
            data=lambda side, actor: {"allowed_origins": "https://shop.example"},
        ),
    ],
    "api-website": [
        Tenant("GET", ADMIN_ONLY, NO_KEY),
        Tenant(
            "PUT",
            ADMIN_ONLY,
            NO_KEY,
            data=lambda side, actor: {"allowed_origins": ["https://shop.example"]},
            json=True,
        ),
    ],
    "dni-snippet": Public("the dni.js snippet, loaded by any website's visitors"),
    "dni-visits": Public("the snippet's visits endpoint: CORS per Client's allowed origins"),
    "privacy-request": Public("the public request form for callers, who have no account"),
    "privacy-request-verify": Public("the public form's one-time code step"),
    # --- Accounts (accounts/urls.py) ---
    "login": Public("logging in"),
    "logout": Public("logging out ends whatever session the request carries"),
    "password_reset": Public("password reset by email, answers the same for any address"),
    "password_reset_done": Public("password reset: a static page"),
    "password_reset_confirm": Public(
        "password reset: a signed token names the User", {"uidb64": "MQ", "token": "x-y"}
    ),
    "password_reset_complete": Public("password reset: a static page"),
    "two-factor-setup": Public("staff TOTP enrolment: needs a staff session, no Client data"),
    "two-factor-verify": Public("staff TOTP check: needs a staff session, no Client data"),
    "user-list": Tenant("GET", ADMIN_ONLY, HTML_KEYS),
    "user-create": [
        Tenant("GET", ADMIN_ONLY, HTML_KEYS),
        Tenant("POST", {"admin": 302, "manager": 403, "analyst": 403}, HTML_KEYS, data=_user_form),
    ],
    "user-edit": [
        Tenant("GET", ADMIN_ONLY, HTML_KEYS, obj="user"),
        Tenant(
            "POST",
            {"admin": 302, "manager": 403, "analyst": 403},
            HTML_KEYS,
            obj="user",
            data=lambda side, actor: {
                "email": side.user.email,
                "first_name": "Renamed",
                "last_name": "Person",
                "role": "analyst",
                "is_active": "on",
            },
        ),
    ],
    "user-delete": [
        Tenant("GET", ADMIN_ONLY, HTML_KEYS, obj="user"),
        Tenant("POST", {"admin": 302, "manager": 403, "analyst": 403}, HTML_KEYS, obj="user"),
    ],
    # A success and a refusal (a password already chosen, too soon) both redirect to the list.
    "user-invitation-resend": Tenant(
        "POST", {"admin": 302, "manager": 403, "analyst": 403}, HTML_KEYS, obj="user"
    ),
    # Own data: no object in the URL; Globex's admin must see nothing of Acme there.
    "profile": Tenant("GET", ALL, HTML_KEYS),
    "profile-picture": Tenant("GET", {"admin": 404, "manager": 404, "analyst": 404}, HTML_KEYS),
    "profile-password": Tenant("GET", ALL, HTML_KEYS),
    "profile-export": Tenant("GET", ALL, HTML_KEYS),
}


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    routes = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            routes += _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else ""
            routes.append((prefix + str(pattern.pattern), name))
    return routes


def project_routes() -> list[tuple[str, str]]:
    return _walk(get_resolver().url_patterns)


def test_every_route_has_an_entry():
    missing = [
        f"{route} (name {name or 'none'})"
        for route, name in project_routes()
        if not any(route.startswith(prefix) for prefix in STAFF_PREFIXES) and name not in ROUTES
    ]
    assert not missing, (
        "These routes have no cross-tenant check: add an entry for each to ROUTES in "
        f"tests/test_route_matrix.py (see its docstring): {missing}"
    )


def test_no_entry_names_a_route_that_is_gone():
    names = {name for _, name in project_routes()}
    assert set(ROUTES) - names == set()


# --- The world: Acme and Globex with one of everything ------------------------------------------


def _side(client: Client, admin: User, prefix: str) -> Side:
    number = TrackingNumberFactory(client=client, number=f"+3318480{prefix}01")
    contact = ContactFactory(client=client, phone_number=f"+3361234{prefix}01")
    call = CallFactory(
        client=client,
        tracking_number=number,
        contact=contact,
        external_id=f"{client.slug}-secret-call",
    )
    for kind in ("recording", "voicemail"):
        media_store(call=call, kind=kind, content_type="audio/wav", chunks=[AUDIO])
    job, _ = export_job_request(
        client=client, requested_by=admin, filters=CallFilters(), total_rows=1
    )
    job = export_job_run(job=job)
    api_key, _ = api_key_create(client=client, name="to revoke", scopes=["read"])
    keys = {
        scope: api_key_create(client=client, name=scope, scopes=[scope])[1]
        for scope in ("ingest", "read")
    }
    user = UserFactory(client=client, role=Role.ANALYST, email=f"victim@{client.slug}.example")
    return Side(
        client=client,
        admin=admin,
        number=number,
        contact=contact,
        call=call,
        export_job=job,
        api_key=api_key,
        user=user,
        full_key=api_key_create(client=client, name="all", scopes=["ingest", "read"])[1],
        keys=keys,
    )


@pytest.fixture
def world(acme, globex, acme_admin, acme_manager, acme_analyst, globex_admin):
    return {
        "acme": _side(acme, acme_admin, "10"),
        "globex": _side(globex, globex_admin, "20"),
        "roles": {"admin": acme_admin, "manager": acme_manager, "analyst": acme_analyst},
    }


def _acme_markers(world: dict[str, Any]) -> list[str]:
    acme: Side = world["acme"]
    return [
        acme.call.external_id,
        str(acme.call.pk),
        str(acme.contact.pk),
        str(acme.export_job.pk),
        acme.user.email,
        "charlie@acme.example",
    ]


def _content(response: Any) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8", "replace")


def _send(
    http: HttpClient,
    check: Tenant,
    name: str,
    side: Side,
    owner: Side,
    actor: str,
    headers: dict[str, str] | None = None,
) -> Any:
    kwargs = {}
    if check.obj is not None:
        target = getattr(owner, check.obj)
        pattern = next(route for route, route_name in project_routes() if route_name == name)
        argument = pattern.split("<", 1)[1].split(">", 1)[0].split(":")[-1]
        kwargs = {argument: str(target.pk)}
    url = reverse(name, kwargs=kwargs)
    if check.query is not None:
        url += "?" + check.query(side)
    method = getattr(http, check.method.lower())
    extra: dict[str, Any] = {"headers": headers or {}}
    if check.body is not None:
        return method(url, data=check.body, content_type=check.content_type, **extra)
    if check.data is not None:
        data = check.data(side, actor)
        if check.json:
            return method(url, data=data, content_type="application/json", **extra)
        return method(url, data=data, **extra)
    return method(url, **extra)


def _checks() -> list[Any]:
    params = []
    for name, entry in ROUTES.items():
        for check in entry if isinstance(entry, list) else [entry]:
            if isinstance(check, Tenant):
                params.append(pytest.param(name, check, id=f"{check.method} {name}"))
    return params


@pytest.mark.parametrize("name, check", _checks())
def test_a_tenant_route_holds_its_cross_tenant_and_role_checks(world, name, check):
    acme: Side = world["acme"]
    globex: Side = world["globex"]
    is_api = _url_prefix(name).startswith("api/")

    anonymous = _send(HttpClient(), check, name, acme, acme, "anonymous")
    assert anonymous.status_code in ((401, 403) if is_api else (302,)), (name, "anonymous")

    if check.obj is not None:
        http = HttpClient()
        http.force_login(acme.admin)
        foreign = _send(http, check, name, acme, globex, "foreign")
        assert foreign.status_code == 404, (name, "Acme's admin on Globex's object")
        if is_api:
            keyed = _send(
                HttpClient(),
                check,
                name,
                acme,
                globex,
                "foreign-key",
                headers={"Authorization": f"Api-Key {acme.full_key}"},
            )
            # A route no key may use refuses every key alike (403) before looking anything up.
            expected = 403 if set(check.keys.values()) == {403} else 404
            assert keyed.status_code == expected, (name, "Acme's key on Globex's object")
    else:
        http = HttpClient()
        http.force_login(globex.admin)
        seen = [_send(http, check, name, globex, globex, "outsider")]
        if is_api:
            seen.append(
                _send(
                    HttpClient(),
                    check,
                    name,
                    globex,
                    globex,
                    "outsider-key",
                    headers={"Authorization": f"Api-Key {globex.full_key}"},
                )
            )
        for response in seen:
            assert response.status_code < 500, (name, "outsider", response.status_code)
            body = _content(response)
            leaked = [marker for marker in _acme_markers(world) if marker in body]
            assert not leaked, (name, "Globex sees Acme's", leaked)

    for scope in ("ingest", "read"):
        headers = {"Authorization": f"Api-Key {acme.keys[scope]}"}
        response = _send(HttpClient(), check, name, acme, acme, f"key-{scope}", headers=headers)
        assert response.status_code == check.keys[scope], (name, f"{scope} key")

    for role in ("analyst", "manager", "admin"):
        http = HttpClient()
        http.force_login(world["roles"][role])
        response = _send(http, check, name, acme, acme, role)
        assert response.status_code == check.roles[role], (name, role, response.status_code)


def _url_prefix(name: str) -> str:
    return next(route for route, route_name in project_routes() if route_name == name)


@pytest.mark.parametrize(
    "name, entry", [(n, e) for n, e in ROUTES.items() if isinstance(e, Public)], ids=str
)
def test_a_public_route_shows_nothing_of_a_client(world, name, entry):
    response = HttpClient().get(reverse(name, kwargs=entry.kwargs))
    assert response.status_code < 500, (name, response.status_code)
    body = _content(response)
    assert not [marker for marker in _acme_markers(world) if marker in body]


# --- Staff routes (/admin/) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/calls/call/", "/admin/calls/contact/", "/admin/accounts/user/"]
)
def test_staff_pages_refuse_client_users(as_user, acme_admin, path):
    response = as_user(acme_admin).get(path)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "model", ["calls/call", "calls/contact", "calls/trackingnumber", "accounts/user"]
)
def test_the_admin_reads_tenant_models_across_clients(world, as_verified_staff, model):
    from tests.factories import StaffFactory

    staff = StaffFactory(is_superuser=True, email="root@dexem.example")
    http = as_verified_staff(staff)
    listing = http.get(f"/admin/{model}/")
    assert listing.status_code == 200
    if model == "calls/call":
        body = listing.content.decode()
        assert world["acme"].call.external_id in body or str(world["acme"].call.pk) in body
        detail = http.get(f"/admin/calls/call/{world['globex'].call.pk}/change/")
        assert detail.status_code == 200
