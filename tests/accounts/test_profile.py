from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as Browser
from django.urls import reverse
from PIL import Image

from tests.factories import PASSWORD


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(buffer, "PNG")
    return SimpleUploadedFile("selfie of me.png", buffer.getvalue(), content_type="image/png")


@pytest.mark.parametrize("role_fixture", ["acme_admin", "acme_manager", "acme_analyst"])
def test_every_role_edits_their_own_profile(request, as_user, role_fixture):
    user = request.getfixturevalue(role_fixture)
    response = as_user(user).post(
        reverse("profile"),
        {
            "profile-first_name": "Renamed",
            "profile-last_name": user.last_name,
            "profile-initials": "RX",
            "profile-phone_numbers": "+44 20 7946 0958",
            "profile-organization": "Sales",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.initials, user.phone_numbers, user.organization) == (
        "Renamed",
        "RX",
        ["+442079460958"],
        "Sales",
    )


def test_a_malformed_phone_number_is_a_form_error(as_user, acme_analyst):
    response = as_user(acme_analyst).post(
        reverse("profile"),
        {
            "profile-first_name": "A",
            "profile-last_name": "B",
            "profile-phone_numbers": "call me maybe",
        },
    )
    assert response.status_code == 200
    assert "phone_numbers" in response.context["form"].errors


def test_a_user_uploads_a_picture_and_only_they_can_fetch_it(as_user, acme_analyst, acme_admin):
    browser = as_user(acme_analyst)
    assert browser.post(reverse("profile"), {"picture-profile_picture": _png()}).status_code == 302
    acme_analyst.refresh_from_db()
    assert "selfie" not in acme_analyst.profile_picture.name
    assert browser.get(reverse("profile-picture")).status_code == 200
    assert as_user(acme_admin).get(reverse("profile-picture")).status_code == 404


def test_a_file_that_is_not_an_image_is_refused(as_user, acme_analyst):
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = as_user(acme_analyst).post(reverse("profile"), {"picture-profile_picture": fake})
    assert response.status_code == 200
    assert response.context["picture_form"].errors


def test_the_own_data_export_is_json_of_that_user_only(as_user, acme_analyst, acme_admin):
    response = as_user(acme_analyst).get(reverse("profile-export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["email"] == acme_analyst.email and data["client"]["slug"] == "acme"
    assert acme_admin.email not in response.content.decode()


def test_the_profile_pages_need_a_login(client):
    for name in ("profile", "profile-password", "profile-export", "profile-picture"):
        assert client.get(reverse(name)).status_code == 302


def test_a_weak_new_password_is_refused_with_the_policy(as_user, acme_analyst):
    response = as_user(acme_analyst).post(
        reverse("profile-password"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert response.status_code == 200
    assert "at least 12" in response.content.decode()


def test_changing_the_password_keeps_this_session_and_ends_the_others(acme_analyst):
    here, elsewhere = Browser(), Browser()
    for browser in (here, elsewhere):
        browser.post(reverse("login"), {"username": acme_analyst.email, "password": PASSWORD})
    response = here.post(
        reverse("profile-password"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert here.get(reverse("profile")).status_code == 200
    assert elsewhere.get(reverse("profile")).status_code == 302


def test_a_refused_picture_leaves_the_details_form_as_it_was(as_user, acme_analyst):
    fake = SimpleUploadedFile("notes.png", b"not an image", content_type="image/png")
    response = as_user(acme_analyst).post(
        reverse("profile"), {"form": "picture", "picture-profile_picture": fake}
    )
    assert response.status_code == 200
    assert response.context["picture_form"].errors
    details = response.context["form"]
    assert not details.is_bound and not details.errors
    page = response.content.decode()
    assert "This field is required." not in page
    assert f'value="{acme_analyst.first_name}"' in page


def test_upload_without_a_file_says_to_choose_one(as_user, acme_analyst):
    response = as_user(acme_analyst).post(reverse("profile"), {"form": "picture"})
    assert response.status_code == 200
    assert "Choose a picture to upload." in response.content.decode()
    assert not response.context["form"].errors


def test_the_header_avatar_shows_the_picture_once_there_is_one(as_user, acme_analyst):
    browser = as_user(acme_analyst)
    picture_url = reverse("profile-picture")
    header = browser.get(reverse("home")).content.decode()
    assert 'class="avatar"' in header and f'<img src="{picture_url}"' not in header
    browser.post(reverse("profile"), {"form": "picture", "picture-profile_picture": _png()})
    header = browser.get(reverse("home")).content.decode()
    assert 'class="avatar picture"' in header and f'<img src="{picture_url}"' in header
