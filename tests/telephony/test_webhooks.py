"""The four Twilio webhooks over real HTTP, every request signed by the `twilio` package."""

from __future__ import annotations

import pytest
from django.db import connection
from twilio.request_validator import RequestValidator

from accounts.models import Client
from calls.models import Call, CallStatus, Contact
from privacy.audit import AuditEvent
from telephony.models import ProviderCall, ProviderRecording, TelephonyAccount
from telephony.sealing import token_seal
from telephony.services import accounts, telephony_account_set
from tests.factories import TrackingNumberFactory
from tests.telephony.conftest import (
    ACME_SID,
    ACME_TOKEN,
    CALLER,
    FORWARD_TO,
    GLOBEX_SID,
    GLOBEX_TOKEN,
    sid,
    twiml,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _call(call_sid: str) -> Call:
    return Call.objects.across_clients().select_related("contact").get(external_id=call_sid)


def test_a_recorded_number_says_the_announcement_then_dials_with_recording(
    twilio, acme_account, forwarded_number, live_server
):
    call_sid = sid("CA")
    response = twilio.voice(call_sid, to=forwarded_number.number)
    assert response.status_code == 200
    root = twiml(response)
    say, dial = list(root)
    assert say.tag == "Say" and say.text == "Cet appel est susceptible d'être enregistré."
    assert say.get("language") == "fr-FR"
    assert dial.tag == "Dial"
    assert dial.get("timeout") == "25"
    assert dial.get("action") == f"{live_server.url}/telephony/twilio/dial-status/"
    assert dial.get("record") == "record-from-answer-dual"
    assert dial.get("recordingStatusCallback") == (
        f"{live_server.url}/telephony/twilio/recording/?kind=recording"
    )
    assert [number.text for number in dial] == [FORWARD_TO]
    call = _call(call_sid)
    assert call.status == CallStatus.MISSED and call.caller_number == CALLER
    assert call.tracking_number_id == forwarded_number.pk


def test_an_unrecorded_number_dials_without_announcement_nor_recording(
    twilio, acme_account, forwarded_number
):
    forwarded_number.record_calls = False
    forwarded_number.save()
    root = twiml(twilio.voice(sid("CA"), to=forwarded_number.number))
    (dial,) = list(root)
    assert dial.tag == "Dial" and dial.get("record") is None
    assert dial.get("recordingStatusCallback") is None
    assert ProviderCall.objects.for_client(acme_account.client).get().announced is False


@pytest.mark.parametrize("case", ["unknown", "inactive", "another_clients"])
def test_a_number_that_is_not_this_accounts_active_one_is_rejected(
    case, twilio, acme_account, forwarded_number, globex
):
    to = {
        "unknown": "+33100000000",
        "inactive": forwarded_number.number,
        "another_clients": TrackingNumberFactory(client=globex, number="+33184807777").number,
    }[case]
    if case == "inactive":
        forwarded_number.active = False
        forwarded_number.save()
    root = twiml(twilio.voice(sid("CA"), to=to))
    assert [element.tag for element in root] == ["Reject"]
    assert not Call.objects.across_clients().exists()


def test_a_call_of_another_accounts_number_is_rejected_even_when_signed_by_it(
    twilio, acme_account, globex_account, forwarded_number
):
    response = twilio.voice(
        sid("CA"), to=forwarded_number.number, account_sid=GLOBEX_SID, token=GLOBEX_TOKEN
    )
    assert [element.tag for element in twiml(response)] == ["Reject"]
    assert not Call.objects.across_clients().exists()


@pytest.mark.parametrize("how", ["unsigned", "wrong_token", "garbage"])
def test_an_unsigned_or_wrongly_signed_webhook_is_403_and_writes_nothing(
    how, twilio, acme_account, forwarded_number, caplog
):
    kwargs = {
        "unsigned": {"signature": ""},
        "wrong_token": {"token": "not-the-token"},
        "garbage": {"signature": "bm90IGEgc2lnbmF0dXJl"},
    }[how]
    response = twilio.voice(sid("CA"), to=forwarded_number.number, **kwargs)
    assert response.status_code == 403
    assert not Call.objects.across_clients().exists()
    assert not Contact.objects.across_clients().exists()
    assert not ProviderCall.objects.across_clients().exists()
    assert CALLER not in caplog.text and forwarded_number.number not in caplog.text


def test_a_replay_with_an_altered_parameter_is_403(twilio, acme_account, forwarded_number):
    call_sid = sid("CA")
    params = {
        "AccountSid": ACME_SID,
        "CallSid": call_sid,
        "From": CALLER,
        "To": forwarded_number.number,
        "Direction": "inbound",
    }
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(ACME_TOKEN).compute_signature(
        twilio.base_url + "/telephony/twilio/voice/", params
    )
    altered = {**params, "From": "+33699999999"}
    response = twilio.post("/telephony/twilio/voice/", altered, signature=signature)
    assert response.status_code == 403
    assert not Call.objects.across_clients().exists()
    assert twilio.post("/telephony/twilio/voice/", params, signature=signature).status_code == 200


def test_an_unknown_account_is_403(twilio, acme_account, forwarded_number):
    response = twilio.voice(
        sid("CA"), to=forwarded_number.number, account_sid=sid("AC"), token=ACME_TOKEN
    )
    assert response.status_code == 403
    assert not Call.objects.across_clients().exists()


def test_a_deactivated_clients_account_is_403(twilio, acme_account, forwarded_number):
    acme_account.client.is_active = False
    acme_account.client.save()
    assert twilio.voice(sid("CA"), to=forwarded_number.number).status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"AccountSid": ACME_SID},
        {"AccountSid": ACME_SID, "CallSid": "CA-not-a-sid", "To": "+33184800001"},
        {"AccountSid": ACME_SID, "CallSid": "CA" + "0" * 32, "To": "not a number"},
        {"AccountSid": ACME_SID, "CallSid": "CA" + "0" * 32, "To": ""},
    ],
)
def test_missing_or_malformed_parameters_are_a_400_in_twiml(
    params, twilio, acme_account, forwarded_number
):
    response = twilio.post("/telephony/twilio/voice/", params)
    assert response.status_code == 400
    assert [element.tag for element in twiml(response)] == ["Hangup"]
    assert not Call.objects.across_clients().exists()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/telephony/twilio/dial-status/", {"DialCallStatus": "exploded"}),
        (
            "/telephony/twilio/dial-status/",
            {"DialCallStatus": "completed", "DialCallDuration": "x"},
        ),
        ("/telephony/twilio/status/", {"CallStatus": "completed", "CallDuration": "-3"}),
        ("/telephony/twilio/status/", {}),
        ("/telephony/twilio/recording/?kind=sideways", {}),
        ("/telephony/twilio/recording/", {"RecordingSid": "RE1"}),
    ],
)
def test_the_callbacks_answer_400_to_bad_parameters(
    path, params, twilio, acme_account, forwarded_number
):
    call_sid = sid("CA")
    twilio.voice(call_sid, to=forwarded_number.number)
    response = twilio.post(path, {"AccountSid": ACME_SID, "CallSid": call_sid, **params})
    assert response.status_code == 400
    twiml(response)
    assert _call(call_sid).status == CallStatus.MISSED


def test_an_answered_call_ends_answered_with_its_talk_time(twilio, acme_account, forwarded_number):
    call_sid = sid("CA")
    twilio.voice(call_sid, to=forwarded_number.number)
    root = twiml(twilio.dial_status(call_sid, "completed", 63))
    assert [element.tag for element in root] == ["Hangup"]
    assert twilio.status(call_sid, "completed", 80).status_code == 200
    call = _call(call_sid)
    assert (call.status, call.duration_seconds) == (CallStatus.ANSWERED, 63)


def test_nobody_answering_offers_voicemail(twilio, acme_account, forwarded_number, live_server):
    call_sid = sid("CA")
    twilio.voice(call_sid, to=forwarded_number.number)
    say, record = list(twiml(twilio.dial_status(call_sid, "no-answer")))
    assert say.tag == "Say" and say.get("language") == "fr-FR"
    assert record.tag == "Record" and record.get("maxLength") == "120"
    assert record.get("recordingStatusCallback") == (
        f"{live_server.url}/telephony/twilio/recording/?kind=voicemail"
    )
    # After the message, the Record's action ends the call.
    after = twilio.post(
        "/telephony/twilio/dial-status/?after=record", {"AccountSid": ACME_SID, "CallSid": call_sid}
    )
    assert [element.tag for element in twiml(after)] == ["Hangup"]


def test_a_number_without_forwarding_goes_straight_to_voicemail_or_is_rejected(
    twilio, acme_account, acme_number
):
    root = twiml(twilio.voice(sid("CA"), to=acme_number.number))
    assert [element.tag for element in root] == ["Say", "Record"]
    assert ProviderCall.objects.for_client(acme_account.client).get().voicemail_offered
    acme_number.voicemail = False
    acme_number.save()
    assert [e.tag for e in twiml(twilio.voice(sid("CA"), to=acme_number.number))] == ["Reject"]


def test_without_voicemail_an_unanswered_call_hangs_up_as_missed(
    twilio, acme_account, forwarded_number
):
    forwarded_number.voicemail = False
    forwarded_number.save()
    call_sid = sid("CA")
    twilio.voice(call_sid, to=forwarded_number.number)
    assert [e.tag for e in twiml(twilio.dial_status(call_sid, "no-answer"))] == ["Hangup"]
    twilio.status(call_sid, "completed", 30)
    assert _call(call_sid).status == CallStatus.MISSED


@pytest.mark.parametrize(
    ("dial", "expected"),
    [("busy", CallStatus.BUSY), ("failed", CallStatus.FAILED), ("canceled", CallStatus.MISSED)],
)
def test_dial_outcomes_map_to_our_statuses(dial, expected, twilio, acme_account, forwarded_number):
    forwarded_number.voicemail = False
    forwarded_number.save()
    call_sid = sid("CA")
    twilio.voice(call_sid, to=forwarded_number.number)
    twilio.dial_status(call_sid, dial)
    twilio.status(call_sid, "completed", 5)
    assert _call(call_sid).status == expected


def test_a_status_callback_before_the_dial_status_still_ends_right(
    twilio, acme_account, forwarded_number
):
    call_sid = sid("CA")
    twilio.voice(call_sid, to=forwarded_number.number)
    twilio.status(call_sid, "completed", 90)
    assert _call(call_sid).status == CallStatus.MISSED
    twilio.dial_status(call_sid, "answered", 70)
    call = _call(call_sid)
    assert (call.status, call.duration_seconds) == (CallStatus.ANSWERED, 70)


def test_retried_webhooks_change_nothing(twilio, acme_account, forwarded_number):
    call_sid = sid("CA")
    twilio.voice(call_sid, to=forwarded_number.number)
    twilio.dial_status(call_sid, "completed", 40)
    twilio.status(call_sid, "completed", 55)
    before = _call(call_sid)
    events = AuditEvent.objects.count()
    for _ in range(2):  # the provider retries each of them
        assert twilio.voice(call_sid, to=forwarded_number.number).status_code == 200
        twilio.dial_status(call_sid, "completed", 40)
        twilio.status(call_sid, "completed", 55)
    after = _call(call_sid)
    assert Call.objects.across_clients().count() == 1
    assert ProviderCall.objects.across_clients().count() == 1
    assert (after.status, after.duration_seconds, after.started_at, after.updated_at) == (
        before.status,
        before.duration_seconds,
        before.started_at,
        before.updated_at,
    )
    assert AuditEvent.objects.count() == events


def test_a_withheld_caller_still_counts_as_a_call(twilio, acme_account, forwarded_number):
    call_sid = sid("CA")
    assert twilio.voice(call_sid, to=forwarded_number.number, caller="anonymous").status_code == 200
    assert _call(call_sid).contact_id is None


def test_the_signature_is_checked_against_public_base_url_when_set(
    twilio, acme_account, forwarded_number, settings
):
    settings.PUBLIC_BASE_URL = "https://calls.dexem.example"
    public = "https://calls.dexem.example/telephony/twilio/voice/"
    # Signed for the URL we are reached at, not the public one: refused.
    assert twilio.voice(sid("CA"), to=forwarded_number.number).status_code == 403
    response = twilio.voice(sid("CA"), to=forwarded_number.number, signed_url=public)
    assert response.status_code == 200
    dial = twiml(response).find("Dial")
    assert dial.get("action") == "https://calls.dexem.example/telephony/twilio/dial-status/"


def test_the_signature_is_checked_against_the_proxys_forwarded_scheme_and_host(
    twilio, acme_account, forwarded_number, settings
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["calls.dexem.example"]
    proxied = {"X-Forwarded-Proto": "https", "Host": "calls.dexem.example"}
    public = "https://calls.dexem.example/telephony/twilio/voice/"
    response = twilio.voice(
        sid("CA"), to=forwarded_number.number, signed_url=public, headers=proxied
    )
    assert response.status_code == 200
    assert twiml(response).find("Dial").get("action").startswith("https://calls.dexem.example/")
    # The same request signed for plain http (what the proxy did not forward) is refused.
    http_url = "http://calls.dexem.example/telephony/twilio/voice/"
    refused = twilio.voice(
        sid("CA"), to=forwarded_number.number, signed_url=http_url, headers=proxied
    )
    assert refused.status_code == 403


def test_a_recording_url_off_the_providers_api_is_refused_and_never_fetched(
    twilio, acme_account, forwarded_number, provider
):
    call_sid, recording_sid = sid("CA"), sid("RE")
    twilio.voice(call_sid, to=forwarded_number.number)
    for forged in (
        f"http://169.254.169.254/2010-04-01/Accounts/{ACME_SID}/Recordings/{recording_sid}",
        f"{provider.base_url}.evil.example/2010-04-01/Accounts/{ACME_SID}/Recordings/{recording_sid}",
        f"{provider.base_url}/2010-04-01/Accounts/{GLOBEX_SID}/Recordings/{recording_sid}",
        f"{provider.base_url}/2010-04-01/Accounts/{ACME_SID}/Recordings/{sid('RE')}",
    ):
        response = twilio.recording(call_sid, recording_sid, api_base=provider.base_url, url=forged)
        assert response.status_code == 400
    assert not ProviderRecording.objects.across_clients().exists()
    assert provider.gets == []


def test_a_webhook_answers_only_post(twilio, acme_account):
    import requests

    response = requests.get(twilio.base_url + "/telephony/twilio/voice/", timeout=10)
    assert response.status_code == 405


def test_another_account_cannot_touch_this_accounts_call(
    twilio, acme_account, globex_account, forwarded_number, provider
):
    call_sid = sid("CA")
    twilio.voice(call_sid, to=forwarded_number.number)
    other = {"token": GLOBEX_TOKEN}
    params = {"AccountSid": GLOBEX_SID, "CallSid": call_sid}
    answered = twilio.post(
        "/telephony/twilio/dial-status/",
        {**params, "DialCallStatus": "completed", "DialCallDuration": "9"},
        **other,
    )
    assert [e.tag for e in twiml(answered)] == ["Hangup"]
    twilio.post(
        "/telephony/twilio/status/",
        {**params, "CallStatus": "busy", "CallDuration": "3"},
        **other,
    )
    recording_sid = sid("RE")
    callback = twilio.post(
        "/telephony/twilio/recording/?kind=voicemail",
        {
            **params,
            "RecordingSid": recording_sid,
            "RecordingUrl": f"{provider.base_url}/2010-04-01/Accounts/{GLOBEX_SID}/Recordings/{recording_sid}",
            "RecordingStatus": "completed",
        },
        **other,
    )
    assert callback.status_code == 204
    call = _call(call_sid)
    assert (call.status, call.duration_seconds, call.has_voicemail) == (CallStatus.MISSED, 0, False)
    assert not ProviderRecording.objects.across_clients().exists()
    assert provider.gets == []


NEW_TOKEN = "acme-new-token-" + "3" * 17


def _signed_post(client, path: str, params: dict[str, str], token: str = ACME_TOKEN):
    """A signed POST through Django's test client, in this thread (so its queries are counted)."""
    signature = RequestValidator(token).compute_signature(f"http://testserver{path}", params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def _status_params(call_sid: str, status: str, duration: int) -> dict[str, str]:
    return {
        "AccountSid": ACME_SID,
        "CallSid": call_sid,
        "CallStatus": status,
        "CallDuration": str(duration),
    }


def test_a_token_replaced_by_another_process_is_accepted_at_once_and_the_old_one_refused(
    twilio, acme_account, forwarded_number
):
    call_sid = sid("CA")
    assert twilio.voice(call_sid, to=forwarded_number.number).status_code == 200  # remembered
    # Another process seals a new token: this one is not told, it still remembers the old one.
    key_id, sealed = token_seal(NEW_TOKEN, account_id=acme_account.pk)
    TelephonyAccount.objects.for_client(acme_account.client).update(
        token_key_id=key_id, token_sealed=sealed
    )
    assert twilio.status(call_sid, "completed", 30, token=NEW_TOKEN).status_code == 200
    assert twilio.status(call_sid, "completed", 31, token=ACME_TOKEN).status_code == 403
    assert ProviderCall.objects.across_clients().get().call_duration == 30


def test_a_token_changed_in_this_process_refuses_the_old_one_at_once(
    twilio, acme, acme_account, forwarded_number
):
    call_sid = sid("CA")
    assert twilio.voice(call_sid, to=forwarded_number.number).status_code == 200  # remembered
    telephony_account_set(
        client=acme, provider="twilio", account_sid=ACME_SID, auth_token=NEW_TOKEN
    )
    assert twilio.status(call_sid, "completed", 30, token=ACME_TOKEN).status_code == 403
    assert twilio.status(call_sid, "completed", 30, token=NEW_TOKEN).status_code == 200


def test_a_remembered_account_is_read_again_once_its_time_is_up(
    twilio, acme_account, forwarded_number, monkeypatch
):
    monkeypatch.setattr(accounts, "WEBHOOK_ACCOUNT_SECONDS", 0.0)
    call_sid = sid("CA")
    assert twilio.voice(call_sid, to=forwarded_number.number).status_code == 200
    Client.objects.filter(pk=acme_account.client_id).update(is_active=False)
    assert twilio.status(call_sid, "completed", 30).status_code == 403


def test_a_status_callback_costs_one_prepared_statement_on_postgresql_and_no_account_query(
    client, acme_account, forwarded_number, django_assert_num_queries
):
    from django.test.utils import CaptureQueriesContext

    call_sid = sid("CA")
    voice = {"AccountSid": ACME_SID, "CallSid": call_sid, "From": CALLER}
    assert (
        _signed_post(
            client, "/telephony/twilio/voice/", voice | {"To": forwarded_number.number}
        ).status_code
        == 200
    )
    dial = {"AccountSid": ACME_SID, "CallSid": call_sid, "DialCallStatus": "completed"}
    assert (
        _signed_post(
            client, "/telephony/twilio/dial-status/", dial | {"DialCallDuration": "40"}
        ).status_code
        == 200
    )
    # The final status leaves the outcome (answered, 40 s) as it was: the Call is not touched.
    # PostgreSQL: the provider call locked, compared and updated in one prepared statement
    # (its PREPARE once per database session); elsewhere BEGIN, the provider call locked, its
    # UPDATE, COMMIT.
    postgresql = connection.vendor == "postgresql"
    with CaptureQueriesContext(connection) as captured:
        response = _signed_post(
            client, "/telephony/twilio/status/", _status_params(call_sid, "completed", 55)
        )
    assert response.status_code == 200
    statements = [query["sql"].split()[0] for query in captured.captured_queries]
    if postgresql:
        assert statements in (["EXECUTE"], ["PREPARE", "EXECUTE"])
    else:
        assert len(statements) == 4
    # A retry: the statement changes nothing; on PostgreSQL the outcome is then checked under
    # the provider call's lock (an earlier attempt may have failed before setting it), and
    # found right: nothing is written. Elsewhere BEGIN, the provider call locked, COMMIT.
    written = _call(call_sid).updated_at
    if postgresql:
        _signed_post(client, "/telephony/twilio/status/", _status_params(call_sid, "completed", 55))
        assert _call(call_sid).updated_at == written
    else:
        with django_assert_num_queries(3):
            _signed_post(
                client, "/telephony/twilio/status/", _status_params(call_sid, "completed", 55)
            )
    call = _call(call_sid)
    assert (call.status, call.duration_seconds) == (CallStatus.ANSWERED, 40)
    assert ProviderCall.objects.across_clients().get().call_duration == 55
