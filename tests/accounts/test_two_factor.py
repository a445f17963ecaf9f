from __future__ import annotations

import re
import time

from django.test import Client as Browser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, StaffFactory


def _code(device: TOTPDevice) -> str:
    return (
        f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=0):06d}"
    )


def _staff_login(browser: Browser, staff) -> None:
    response = browser.post(
        "/admin/login/", {"username": staff.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302


def test_staff_enrol_a_totp_device_on_their_first_visit_to_the_admin(db):
    staff = StaffFactory(email="dpo@dexem.example")
    browser = Browser()
    _staff_login(browser, staff)
    response = browser.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/two-factor/setup/")
    page = browser.get(response.url)
    body = page.content.decode()
    assert "otpauth://totp/" in body and 'src="data:image/png;base64,' in body
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert (
        browser.post("/two-factor/setup/", {"code": "000000", "next": "/admin/"}).status_code == 400
    )
    time.sleep(1.1)  # django-otp throttles after a failure (1 s, doubling)
    done = browser.post("/two-factor/setup/", {"code": _code(device), "next": "/admin/"})
    assert done.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{10})</code>", done.content.decode())
    assert len(codes) == 10
    assert browser.get("/admin/").status_code == 200


def test_a_new_session_asks_for_a_code_and_a_recovery_code_works_once(db):
    staff = StaffFactory(email="support@dexem.example")
    first = Browser()
    _staff_login(first, staff)
    first.get("/two-factor/setup/")
    device = TOTPDevice.objects.get(user=staff)
    codes = re.findall(
        r"<code>([0-9a-f]{10})</code>",
        first.post("/two-factor/setup/", {"code": _code(device)}).content.decode(),
    )

    second = Browser()
    _staff_login(second, staff)
    response = second.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/two-factor/verify/")
    assert second.post("/two-factor/verify/", {"code": "123456"}).status_code == 400
    time.sleep(1.1)  # django-otp throttles after a failure (1 s, doubling)
    assert (
        second.post("/two-factor/verify/", {"code": codes[0], "next": "/admin/"}).status_code == 302
    )
    assert second.get("/admin/").status_code == 200

    third = Browser()
    _staff_login(third, staff)
    assert third.post("/two-factor/verify/", {"code": codes[0]}).status_code == 400  # used already


def test_client_users_are_not_sent_to_two_factor(as_user, acme_admin):
    assert as_user(acme_admin).get("/").status_code == 200


def test_an_unsafe_next_is_ignored(db):
    staff = StaffFactory(email="x@dexem.example")
    browser = Browser()
    _staff_login(browser, staff)
    browser.get("/two-factor/setup/")
    device = TOTPDevice.objects.get(user=staff)
    done = browser.post("/two-factor/setup/", {"code": _code(device), "next": "//evil.example/"})
    assert 'href="/admin/"' in done.content.decode()


def test_a_client_user_opts_in_from_the_profile_and_is_asked_for_a_code_at_next_login(acme_analyst):
    first = Browser()
    first.post("/accounts/login/", {"username": acme_analyst.email, "password": PASSWORD})
    assert "Turn on two-factor authentication" in first.get("/profile/").content.decode()
    first.get("/two-factor/setup/?next=/profile/")
    device = TOTPDevice.objects.get(user=acme_analyst)
    done = first.post("/two-factor/setup/", {"code": _code(device), "next": "/profile/"})
    codes = re.findall(r"<code>([0-9a-f]{10})</code>", done.content.decode())
    assert "Two-factor authentication is on." in first.get("/profile/").content.decode()

    second = Browser()
    second.post("/accounts/login/", {"username": acme_analyst.email, "password": PASSWORD})
    response = second.get("/calls/")
    assert response.status_code == 302 and response.url.startswith("/two-factor/verify/")
    assert (
        second.post("/two-factor/verify/", {"code": codes[0], "next": "/calls/"}).status_code == 302
    )
    assert second.get("/calls/").status_code == 200


def test_users_without_a_device_are_never_asked_for_a_code(acme_analyst):
    browser = Browser()
    browser.post("/accounts/login/", {"username": acme_analyst.email, "password": PASSWORD})
    assert browser.get("/calls/").status_code == 200


def test_the_setup_page_speaks_to_its_reader_staff_or_client_user(as_user, acme_analyst, db):
    page = as_user(acme_analyst).get("/two-factor/setup/?next=/profile/").content.decode()
    assert "staff" not in page.lower() and "admin" not in page.split("<main")[1].lower()
    assert "A second factor protects your account" in page
    staff = StaffFactory(email="ops@dexem.example")
    browser = Browser()
    _staff_login(browser, staff)
    assert "Dexem staff need a second factor" in browser.get("/two-factor/setup/").content.decode()


def test_the_authenticator_link_names_dexem_as_its_issuer(as_user, acme_analyst):
    page = as_user(acme_analyst).get("/two-factor/setup/").content.decode()
    uri = re.search(r'id="totp-uri">([^<]+)<', page).group(1)
    assert uri.startswith("otpauth://totp/Dexem") and "issuer=Dexem" in uri
