from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import caches
from django.utils import timezone

from attribution.models import Lease
from attribution.services import VisitInput, visit_lease, website_update
from calls.services import tracking_number_create

SITE = "https://www.acme.example"
SPRING = {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "spring"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.fixture
def acme_pool(acme):
    """Three pool numbers, a static number for the "newsletter" source and a default number."""
    pool = [
        tracking_number_create(client=acme, number=f"+3318480010{i}", source="Website", pool=True)
        for i in range(3)
    ]
    tracking_number_create(client=acme, number="+33184800200", source="newsletter")
    tracking_number_create(client=acme, number="+33184800300", source="Switchboard")
    website_update(client=acme, allowed_origins=[SITE], default_number="+33184800300")
    return pool


@pytest.fixture
def acme_site(acme, acme_pool):
    return acme.website


@pytest.fixture
def post_visit(client):
    """POST /dni/v1/visits/ as a browser on `origin` would."""

    def post(body, *, origin=SITE, address="203.0.113.7"):
        return client.post(
            "/dni/v1/visits/",
            data=json.dumps(body) if not isinstance(body, (str, bytes)) else body,
            content_type="application/json",
            HTTP_ORIGIN=origin,
            REMOTE_ADDR=address,
        )

    return post


@pytest.fixture
def acme_attributed_call(acme, acme_pool, acme_api, django_capture_on_commit_callbacks):
    visit_lease(
        client=acme,
        data=VisitInput(consent=True, landing_url="/offer/?utm_campaign=spring", **SPRING),
    )
    lease = Lease.objects.for_client(acme).get()
    with django_capture_on_commit_callbacks(execute=True):
        response = acme_api.post(
            "/api/v1/calls/",
            {
                "external_id": "dni-1",
                "tracking_number": lease.tracking_number.number,
                "caller_number": "+33612345678",
                "status": "answered",
                "started_at": (timezone.now() + dt.timedelta(minutes=1)).isoformat(),
                "duration_seconds": 42,
            },
            format="json",
        )
    assert response.status_code == 201
    return response.json()["id"]
