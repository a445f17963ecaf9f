"""The telephony cast: Acme's Twilio account, a provider on loopback, signed webhook requests.

Every request is signed with the `twilio` package's own RequestValidator (never our code) and
sent over real HTTP to the live server.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from twilio.request_validator import RequestValidator

from calls.services import tracking_number_update
from telephony.services import telephony_account_set, webhook_accounts_forget
from tests.telephony.fake_twilio import FakeTwilio

ACME_SID = "AC" + "a1" * 16
ACME_TOKEN = "acme-token-" + "7" * 21
GLOBEX_SID = "AC" + "b2" * 16
GLOBEX_TOKEN = "globex-token-" + "9" * 19
CALLER = "+33612345678"
FORWARD_TO = "+33198765432"


def sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@pytest.fixture(autouse=True)
def _forget_webhook_accounts() -> Iterator[None]:
    """Each test starts with no account remembered by the webhooks (their rows were rolled back
    with the test that read them)."""
    webhook_accounts_forget()
    yield
    webhook_accounts_forget()


@pytest.fixture
def acme_account(acme):
    return telephony_account_set(
        client=acme, provider="twilio", account_sid=ACME_SID, auth_token=ACME_TOKEN
    )


@pytest.fixture
def globex_account(globex):
    return telephony_account_set(
        client=globex, provider="twilio", account_sid=GLOBEX_SID, auth_token=GLOBEX_TOKEN
    )


@pytest.fixture
def forwarded_number(acme, acme_number):
    return tracking_number_update(
        tracking_number=acme_number,
        forward_to=FORWARD_TO,
        record_calls=True,
        announcement="Cet appel est susceptible d'être enregistré.",
        ring_seconds=25,
    )


@pytest.fixture
def provider(settings) -> Iterator[FakeTwilio]:
    fake = FakeTwilio(account_sid=ACME_SID, token=ACME_TOKEN).start()
    settings.TWILIO_API_BASE = fake.base_url
    try:
        yield fake
    finally:
        fake.stop()


class Twilio:
    """Plays Twilio calling our webhooks: form-encoded POSTs signed like Twilio signs them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def post(
        self,
        path: str,
        params: dict[str, str],
        *,
        token: str = ACME_TOKEN,
        signed_url: str | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        url = self.base_url + path
        if signature is None:
            signature = RequestValidator(token).compute_signature(signed_url or url, params)
        sent = {"X-Twilio-Signature": signature} if signature else {}
        return requests.post(url, data=params, headers={**sent, **(headers or {})}, timeout=30)

    def voice(
        self, call_sid: str, *, to: str, caller: str = CALLER, **kw: Any
    ) -> requests.Response:
        params = {
            "AccountSid": kw.pop("account_sid", ACME_SID),
            "CallSid": call_sid,
            "From": caller,
            "To": to,
            "Direction": "inbound",
            "CallStatus": "ringing",
        }
        return self.post("/telephony/twilio/voice/", params, **kw)

    def dial_status(self, call_sid: str, status: str, duration: int | None = None, **kw: Any):
        params = {"AccountSid": ACME_SID, "CallSid": call_sid, "DialCallStatus": status}
        if duration is not None:
            params["DialCallDuration"] = str(duration)
        return self.post("/telephony/twilio/dial-status/", params, **kw)

    def status(self, call_sid: str, status: str, duration: int = 0, **kw: Any):
        params = {
            "AccountSid": ACME_SID,
            "CallSid": call_sid,
            "CallStatus": status,
            "CallDuration": str(duration),
            "Timestamp": "Wed, 02 Dec 2026 03:45:00 +0000",
        }
        return self.post("/telephony/twilio/status/", params, **kw)

    def recording(
        self,
        call_sid: str,
        recording_sid: str,
        *,
        api_base: str,
        kind: str = "recording",
        url: str | None = None,
        **kw: Any,
    ):
        params = {
            "AccountSid": ACME_SID,
            "CallSid": call_sid,
            "RecordingSid": recording_sid,
            "RecordingUrl": url
            or f"{api_base}/2010-04-01/Accounts/{ACME_SID}/Recordings/{recording_sid}",
            "RecordingStatus": "completed",
            "RecordingDuration": "12",
        }
        return self.post(f"/telephony/twilio/recording/?kind={kind}", params, **kw)


@pytest.fixture
def twilio(live_server) -> Twilio:
    return Twilio(live_server.url)


def twiml(response: requests.Response) -> ET.Element:
    assert response.headers["Content-Type"].startswith("text/xml"), response.text
    root = ET.fromstring(response.content)  # noqa: S314 - our own server's answer
    assert root.tag == "Response"
    return root
