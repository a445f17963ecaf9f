"""No personal data in a log line (SPEC §10): messages, args, extras (django.request's request
object), tracebacks and query strings."""

from __future__ import annotations

import io
import json
import logging

import pytest

from dexem.logging import JsonFormatter, ScrubFilter, mask_query, scrub_value

DIGITS = "33612345678"


@pytest.fixture
def captured():
    """What the production handler (the JSON formatter, the scrub filter) and a bare JSON handler
    (a handler someone adds without the filter) write."""
    production, bare = io.StringIO(), io.StringIO()
    handlers = [logging.StreamHandler(production), logging.StreamHandler(bare)]
    for handler in handlers:
        handler.setFormatter(JsonFormatter())
    handlers[0].addFilter(ScrubFilter())
    root = logging.getLogger()
    for handler in handlers:
        root.addHandler(handler)
    yield production, bare
    for handler in handlers:
        root.removeHandler(handler)


def test_a_404_with_a_number_in_its_query_string_logs_no_number(client, db, captured):
    response = client.get(
        "/no-such-page/?caller_number=%2B33612345678&phone=+33612345678&email=ann%40acme.example"
    )
    assert response.status_code == 404
    for stream in captured:
        text = stream.getvalue()
        lines = [json.loads(line) for line in text.splitlines()]
        assert any(line["logger"] == "django.request" for line in lines)
        assert DIGITS not in text and "acme.example" not in text
        request_line = next(line for line in lines if line["logger"] == "django.request")
        assert request_line["request"] == "GET /no-such-page/"
        assert request_line["status_code"] == 404


def test_args_extras_and_tracebacks_are_scrubbed(captured):
    try:
        raise ValueError("no contact for +33 6 12 34 56 78")
    except ValueError:
        logging.getLogger("probe").exception(
            "lookup for %s failed", "ann@acme.example", extra={"numbers": ["+33612345678"]}
        )
    for stream in captured:
        text = stream.getvalue()
        assert DIGITS not in text and "12 34 56 78" not in text and "ann@acme" not in text
        line = json.loads(text.splitlines()[-1])
        assert line["message"] == "lookup for [email] failed"
        assert line["numbers"] == ["[phone]"] and "ValueError" in line["exception"]


def test_a_plain_handler_with_the_filter_logs_no_number_either():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubFilter())
    logger = logging.getLogger("probe.plain")
    logger.addHandler(handler)
    try:
        logger.warning("call from %s", "%2B33612345678")
    finally:
        logger.removeHandler(handler)
    assert DIGITS not in stream.getvalue() and "[phone]" in stream.getvalue()


def test_query_strings_keep_their_names_and_lose_their_values():
    assert mask_query("caller_number=%2B33612345678&page=2") == (
        "caller_number=[masked]&page=[masked]"
    )
    assert mask_query("") == "" and DIGITS not in mask_query("%2B33612345678")


def test_a_request_object_is_logged_as_its_method_and_path_only(rf):
    request = rf.get("/calls/", {"phone": "+33612345678"})
    assert scrub_value(request) == "GET /calls/"


def test_ids_keep_their_digits_while_numbers_beside_them_are_masked():
    line = "Not Found: /api/v1/calls/6fa37fa8-d7d9-4334-8123-456789012345/ from +33612345678"
    assert scrub_value(line) == (
        "Not Found: /api/v1/calls/6fa37fa8-d7d9-4334-8123-456789012345/ from [phone]"
    )
    # A digit run glued to letters belongs to an identifier, not to a phone number.
    assert scrub_value("key dxm_1234567890ab") == "key dxm_1234567890ab"
    assert scrub_value("call 06 12 34 56 78") == "call [phone]"
