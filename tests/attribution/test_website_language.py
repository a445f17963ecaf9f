"""/settings/website/ and the channel names in French (issue #15, SPEC §14)."""

from __future__ import annotations

from django.utils import translation

from accounts.roles import Role
from attribution.channels import Channel
from tests.factories import UserFactory


def test_a_french_admin_reads_the_website_settings_in_french(as_user, acme, acme_number):
    french = UserFactory(client=acme, role=Role.ADMIN, language="fr")
    html = as_user(french).get("/settings/website/").content.decode()
    for text in ("Site web : insertion dynamique", "Origines autorisées", "Numéro par défaut"):
        assert text in html, text
    assert "Pool de numéros" in html and "Visiteurs en pointe" in html


def test_a_french_admin_is_told_in_french_that_the_settings_are_saved(as_user, acme, acme_number):
    french = UserFactory(client=acme, role=Role.ADMIN, language="fr")
    browser = as_user(french)
    response = browser.post(
        "/settings/website/",
        {"allowed_origins": "https://www.example.fr", "default_number": ""},
        follow=True,
    )
    assert "Paramètres du site enregistrés." in response.content.decode()


def test_every_channel_has_its_french_name():
    with translation.override("fr"):
        assert {channel.value: str(channel.label) for channel in Channel} == {
            "paid_search": "Recherche payante",
            "organic_search": "Recherche naturelle",
            "social": "Réseaux sociaux",
            "referral": "Sites référents",
            "email": "E-mail",
            "direct": "Accès direct",
            "other": "Autre",
        }
