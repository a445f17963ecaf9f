"""The shared cast (STYLE.md §11): Acme with an admin, a manager and an analyst; Globex outside.

Markers: `services` needs Redis and a real Celery worker, `browser` the system Chromium,
`postgres` PostgreSQL. Each is skipped when its service is absent, unless REQUIRE_SERVICES=1
makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from accounts.models import Client, User
from accounts.roles import Role
from accounts.services import api_key_create
from tests.factories import ClientFactory, TrackingNumberFactory, UserFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _require_services() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") == "1"


def _redis_reachable() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1
        ):
            return True
    except OSError:
        return False


def _missing(marker: str) -> str | None:
    if marker == "services" and not _redis_reachable():
        return "REDIS_URL is not set or Redis is not reachable"
    if marker == "browser" and not shutil.which(CHROMIUM):
        return f"no Chromium at {CHROMIUM}"
    if marker == "gettext" and not shutil.which("xgettext"):
        return "GNU gettext (xgettext) is not installed"
    if marker == "postgres" and not os.environ.get("DATABASE_URL", "").startswith(
        ("postgres", "postgis")
    ):
        return "DATABASE_URL does not name PostgreSQL"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker in ("services", "browser", "postgres", "gettext"):
            if item.get_closest_marker(marker) is None:
                continue
            reason = _missing(marker)
            if reason is None:
                continue
            if _require_services():
                item.user_properties.append(("missing", reason))
            else:
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_setup(item: pytest.Item) -> None:
    for name, reason in item.user_properties:
        if name == "missing":
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)


@pytest.fixture
def acme(db: None) -> Client:
    return ClientFactory(name="Acme", slug="acme")


@pytest.fixture
def globex(db: None) -> Client:
    return ClientFactory(name="Globex", slug="globex")


@pytest.fixture
def acme_admin(acme: Client) -> User:
    return UserFactory(
        client=acme,
        role=Role.ADMIN,
        email="alice@acme.example",
        first_name="Alice",
        last_name="Admin",
    )


@pytest.fixture
def acme_manager(acme: Client) -> User:
    return UserFactory(
        client=acme,
        role=Role.MANAGER,
        email="bob@acme.example",
        first_name="Bob",
        last_name="Manager",
    )


@pytest.fixture
def acme_analyst(acme: Client) -> User:
    return UserFactory(
        client=acme,
        role=Role.ANALYST,
        email="charlie@acme.example",
        first_name="Charlie",
        last_name="Analyst",
    )


@pytest.fixture
def globex_admin(globex: Client) -> User:
    return UserFactory(
        client=globex,
        role=Role.ADMIN,
        email="gina@globex.example",
        first_name="Gina",
        last_name="Outsider",
    )


@pytest.fixture
def acme_number(acme):
    return TrackingNumberFactory(client=acme, number="+33184800001", source="Google Ads")


@pytest.fixture
def globex_number(globex):
    return TrackingNumberFactory(client=globex, number="+33184809999", source="Print")


def _api_client(client_obj: Client, scopes: list[str]) -> APIClient:
    _, key = api_key_create(client=client_obj, name="provider", scopes=scopes)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


@pytest.fixture
def acme_api(acme: Client) -> APIClient:
    """Acme's provider: an API key with both scopes."""
    return _api_client(acme, ["ingest", "read"])


@pytest.fixture
def acme_ingest_api(acme: Client) -> APIClient:
    return _api_client(acme, ["ingest"])


@pytest.fixture
def acme_read_api(acme: Client) -> APIClient:
    return _api_client(acme, ["read"])


@pytest.fixture
def globex_api(globex: Client) -> APIClient:
    return _api_client(globex, ["ingest", "read"])


@pytest.fixture
def as_user(client):
    """Log the test client in as a given User: `as_user(acme_admin).get(...)`."""

    def login(user: User):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def as_verified_staff(client):
    """Log a staff User in with a confirmed TOTP device, as after the second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def login(user: User):
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return login


@pytest.fixture
def chromium_page(live_server) -> Iterator[object]:
    """A Playwright page in the system Chromium, headless, pointed at the live server."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # While Playwright's loop runs, the test's ORM calls get their own connection
            # (asgiref's context-local storage); close it here or it outlives the test database.
            connections.close_all()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"
