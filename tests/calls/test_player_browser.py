from __future__ import annotations

import re

import pytest

from calls.demo import demo_wav
from calls.services import media_store
from tests.factories import PASSWORD, CallFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_plays_and_seeks_a_recording_in_chromium(
    chromium_page, acme_manager, acme_number
):
    call = CallFactory(client=acme_manager.client, tracking_number=acme_number)
    media_store(
        call=call, kind="recording", content_type="audio/wav", chunks=[demo_wav(seconds=12, seed=1)]
    )
    page = chromium_page
    page.goto("/accounts/login/")
    page.fill("#id_username", acme_manager.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"/calls/{call.pk}/")
    player = page.locator("#recording-player")
    player.wait_for()
    page.wait_for_function("() => document.getElementById('recording-player').readyState >= 1")
    duration = page.evaluate("document.getElementById('recording-player').duration")
    assert 11.5 < duration < 12.5
    page.evaluate(
        """() => { const a = document.getElementById('recording-player'); a.muted = true; return a.play(); }"""
    )
    page.wait_for_function("() => document.getElementById('recording-player').currentTime > 0.2")
    page.evaluate(
        """() => new Promise((resolve) => {
            const a = document.getElementById('recording-player');
            a.addEventListener('seeked', resolve, {once: true});
            a.currentTime = 9;
        })"""
    )
    page.wait_for_function("() => document.getElementById('recording-player').currentTime >= 9")
    state = page.evaluate(
        "(() => { const a = document.getElementById('recording-player'); return {error: a.error, ready: a.readyState}; })()"
    )
    assert state["error"] is None and state["ready"] >= 2
