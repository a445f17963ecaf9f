"""The DPO works an erasure and an access request in the admin, in Chromium, after TOTP."""

from __future__ import annotations

import importlib
import io
import re
import zipfile

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import staff_create
from calls.models import Contact, Recording
from calls.services import media_store
from privacy.models import DataSubjectRequest, RequestKind, RequestStatus
from tests.factories import (
    PASSWORD,
    CallFactory,
    ClientFactory,
    ContactFactory,
    DataSubjectRequestFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ERASED = "+33612345678"
ASKED = "+33698765432"


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _dpo_group() -> None:
    """The DPO group as its data migration makes it (an earlier transactional test's flush may
    have emptied the table)."""
    from django.contrib.auth.models import Group, Permission

    table = importlib.import_module("privacy.migrations.0003_staff_permissions").DPO
    group, _ = Group.objects.get_or_create(name="DPO")
    for app_label, models in table.items():
        for model, actions in models.items():
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label,
                    codename__in=[f"{action}_{model}" for action in actions],
                )
            )


def _log_in_as_dpo(page) -> None:
    _dpo_group()
    dpo = staff_create(email="dpo@dexem.example", group="DPO", password=PASSWORD)
    device = TOTPDevice.objects.create(user=dpo, name="phone", confirmed=True)
    page.goto("/admin/")
    page.fill("#id_username", dpo.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/two-factor/verify/"))
    page.fill("#id_code", _code(device))
    page.click("button:has-text('Continue')")
    page.wait_for_url(re.compile(r"/admin/$"))


def _choose(page, subject_request: DataSubjectRequest, action: str) -> None:
    page.goto("/admin/privacy/datasubjectrequest/")
    page.locator("tr", has_text=subject_request.reference).locator(
        "input[name=_selected_action]"
    ).check()
    page.select_option("select[name=action]", action)


def test_the_dpo_executes_an_erasure_and_downloads_an_access_bundle(
    chromium_page, acme, acme_number
):
    erased = ContactFactory(client=acme, phone_number=ERASED)
    call = CallFactory(client=acme, tracking_number=acme_number, contact=erased)
    media_store(call=call, kind="recording", content_type="audio/wav", chunks=[b"voice"])
    asked = ContactFactory(client=acme, phone_number=ASKED)
    CallFactory(client=acme, tracking_number=acme_number, contact=asked)
    erasure = DataSubjectRequestFactory(client=acme, subject=ERASED)
    access = DataSubjectRequestFactory(kind=RequestKind.ACCESS, client=acme, subject=ASKED)
    page = chromium_page
    _log_in_as_dpo(page)
    # A row with the longest labels the list shows.
    DataSubjectRequestFactory(
        client=ClientFactory(name="Établissements Dupont-Lajoie et Fils"),
        subject_type="user",
        subject="marie-christine.de-la-fontaine@etablissements-dupont.example",
        scope="all_clients",
        source="contact",
    )
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/admin/privacy/datasubjectrequest/")
    for column in ("reference", "status", "overdue", "due_on"):
        box = page.locator(f"th.column-{column}").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1366, column

    _choose(page, erasure, "execute_requests")
    page.click("button[name=index]")
    assert page.locator("h1", has_text="Execute 1 erasure request?").is_visible()
    assert page.locator("text=Acme: 1 calls, 1 recordings").is_visible()
    page.click("input[value='Yes, execute']")
    page.wait_for_url(re.compile(r"/admin/privacy/datasubjectrequest/$"))
    assert page.locator("text=1 request(s) executed.").is_visible()
    erasure.refresh_from_db()
    assert erasure.status == RequestStatus.DONE
    assert (
        not Contact.objects.across_clients().filter(pk=erased.pk).exists()
        and not Recording.objects.across_clients().exists()
    )
    page.locator("a", has_text=erasure.reference).click()
    page.wait_for_url(re.compile(r"/change/$"))
    assert (
        "Acme: 1 call anonymised, 1 recording and 0 voice messages shredded, Contact deleted"
        in page.locator(".field-outcome").inner_text()
    )
    assert page.locator("input[name=_save]").count() == 0  # read-only once done

    _choose(page, access, "download_access_bundle")
    with page.expect_download() as download:
        page.click("button[name=index]")
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))  # noqa: SIM115
    assert archive.namelist() == ["acme/calls.csv"]
    assert ASKED in archive.read("acme/calls.csv").decode()
    access.refresh_from_db()
    assert access.status == RequestStatus.DONE and access.subject == ""
