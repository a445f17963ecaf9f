"""Which language a person reads (SPEC §14): their choice, else their Client's country's, else
(anonymous) Accept-Language; emails in their recipient's language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client as Browser
from django.urls import reverse
from django.utils import translation

from accounts import services
from accounts.models import User
from accounts.roles import Role
from accounts.templatetags.waits import wait_in_words
from tests.factories import PASSWORD, ClientFactory, UserFactory


def _lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', html)
    assert found, "the page has no <html lang>"
    return found.group(1)


def test_a_user_who_chose_french_gets_french_pages(as_user, acme_admin):
    acme_admin.language = "fr"
    acme_admin.save()
    page = as_user(acme_admin).get(reverse("user-list")).content.decode()
    assert _lang(page) == "fr"
    assert "Utilisateurs" in page and "Ajouter un utilisateur" in page and "Se déconnecter" in page


@pytest.mark.parametrize(
    ("country", "expected", "heading"), [("FR", "fr", "Votre profil"), ("GB", "en", "Your profile")]
)
def test_without_a_choice_the_clients_country_decides(as_user, db, country, expected, heading):
    client = ClientFactory(country=country)
    user = UserFactory(client=client, role=Role.ANALYST, language="")
    page = as_user(user).get(reverse("profile")).content.decode()
    assert _lang(page) == expected and heading in page


@pytest.mark.parametrize(
    ("accept", "expected", "text"),
    [
        ("fr-FR,fr;q=0.9", "fr", "Mot de passe oublié ?"),
        ("en-GB,en;q=0.9", "en", "Forgotten your password?"),
    ],
)
def test_the_anonymous_login_page_follows_accept_language(db, accept, expected, text):
    page = Browser().get(reverse("login"), HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert _lang(page) == expected and text in page


def test_the_profile_saves_a_language_and_the_next_page_speaks_it(as_user, acme_analyst):
    browser = as_user(acme_analyst)
    response = browser.post(
        reverse("profile"),
        {
            "form": "details",
            "profile-first_name": acme_analyst.first_name,
            "profile-last_name": acme_analyst.last_name,
            "profile-language": "fr",
        },
        follow=True,
    )
    acme_analyst.refresh_from_db()
    assert acme_analyst.language == "fr"
    page = response.content.decode()
    assert _lang(page) == "fr" and "Votre profil a été enregistré." in page
    assert (
        _lang(browser.get(reverse("user-list") if False else reverse("profile")).content.decode())
        == "fr"
    )


def test_an_invitation_to_a_french_user_is_in_french_whoever_sends_it(as_user, acme_admin, db):
    acme_admin.client.country = "FR"
    acme_admin.client.save()
    browser = as_user(acme_admin)  # the admin reads English
    response = browser.post(
        reverse("user-create"),
        {
            "email": "zoe@acme.example",
            "first_name": "Zoé",
            "last_name": "Martin",
            "role": "analyst",
        },
    )
    assert response.status_code == 302
    invited = User.objects.get(email="zoe@acme.example")
    assert invited.language == ""  # follows Acme's country: France
    message = mail.outbox[-1]
    assert message.subject == "Acme vous invite sur Dexem"
    assert "Bonjour Zoé," in message.body and "Choisissez votre mot de passe" in message.body


def test_an_invitation_to_an_english_user_stays_english(as_user, acme_admin, db):
    acme_admin.language = "fr"
    acme_admin.save()
    acme_admin.client.country = "GB"
    acme_admin.client.save()
    as_user(acme_admin).post(
        reverse("user-create"),
        {"email": "bob@acme.example", "first_name": "Bob", "last_name": "Smith", "role": "analyst"},
    )
    assert mail.outbox[-1].subject == "You have been invited to Dexem by Acme"


def test_the_email_change_notice_and_the_password_reset_speak_the_recipients_language(
    acme_analyst, django_capture_on_commit_callbacks
):
    acme_analyst.language = "fr"
    acme_analyst.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.user_update(user=acme_analyst, email="new@acme.example")
    assert (
        mail.outbox[-1].subject
        == "L'adresse e-mail de connexion de votre compte Dexem a été modifiée"
    )
    assert "Bonjour" in mail.outbox[-1].body
    # The reset is asked from an English browser; the French User reads it in French.
    Browser().post(
        reverse("password_reset"), {"email": "new@acme.example"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Réinitialisation du mot de passe" in mail.outbox[-1].subject


def test_the_lockout_wait_reads_in_words_in_both_languages():
    with translation.override("en"):
        _the_english_waits()
    with translation.override("fr"):
        assert wait_in_words(timedelta(minutes=15)) == "15 minutes"
        assert wait_in_words(timedelta(hours=1)) == "1 heure"
        assert wait_in_words(timedelta(hours=4, minutes=1)) == "4 heures 1 minute"


def _the_english_waits() -> None:
    assert wait_in_words(timedelta(minutes=15)) == "15 minutes"
    assert wait_in_words(timedelta(minutes=1)) == "1 minute"
    assert wait_in_words(timedelta(minutes=90)) == "1 hour 30 minutes"
    assert wait_in_words(timedelta(hours=2)) == "2 hours"


def test_the_lockout_page_is_french_for_a_french_browser(acme_analyst):
    browser = Browser()
    for _ in range(5):
        browser.post(
            reverse("login"),
            {"username": acme_analyst.email, "password": "wrong-password-123"},
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    response = browser.post(
        reverse("login"),
        {"username": acme_analyst.email, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    page = response.content.decode()
    assert response.status_code == 429
    assert "Réessayez dans 15 minutes." in page and "5 tentatives échouées" in page


def test_the_no_client_address_answer_follows_accept_language(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert "Votre adresse réseau n'a pas pu être déterminée" in response.content.decode()


def test_error_pages_speak_the_users_language(as_user, acme_analyst):
    acme_analyst.language = "fr"
    acme_analyst.save()
    browser = as_user(acme_analyst)
    not_found = browser.get(reverse("profile-picture"))  # no picture yet
    assert not_found.status_code == 404 and "Page introuvable" in not_found.content.decode()
    refused = browser.get(reverse("user-list"))
    assert refused.status_code == 403 and "Accès refusé" in refused.content.decode()


def test_the_500_page_speaks_the_active_language(rf):
    from django.views.defaults import server_error

    with translation.override("fr"):
        page = server_error(rf.get("/")).content.decode()
    assert '<html lang="fr">' in page and "Une erreur s'est produite" in page
