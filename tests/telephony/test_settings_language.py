"""/settings/telephony/ and the telephony admin labels in French (issue #15, SPEC §14)."""

from __future__ import annotations

from django.utils import translation

from accounts.roles import Role
from telephony.models import TelephonyAccount
from tests.factories import UserFactory


def test_a_french_admin_reads_the_telephony_settings_in_french(as_user, acme):
    french = UserFactory(client=acme, role=Role.ADMIN, language="fr")
    html = as_user(french).get("/settings/telephony/").content.decode()
    for text in (
        "Compte de téléphonie",
        "Opérateur",
        "SID du compte",
        "Jeton d&#x27;authentification",
    ):
        assert text in html, text
    assert "Chez votre opérateur" in html and "Enregistrer" in html


def test_a_french_admin_gets_french_errors_on_the_telephony_form(as_user, acme):
    french = UserFactory(client=acme, role=Role.ADMIN, language="fr")
    response = as_user(french).post(
        "/settings/telephony/", {"provider": "twilio", "account_sid": "nope", "auth_token": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Account SID" not in html and "hex digits" not in html
    assert "Saisissez le SID du compte : AC suivi de 32 chiffres hexadécimaux." in html
    response = as_user(french).post(
        "/settings/telephony/", {"provider": "twilio", "account_sid": "AC" + "0" * 32}
    )
    assert "Saisissez le jeton d&#x27;authentification du compte." in response.content.decode()


def test_the_telephony_account_has_french_admin_labels():
    meta = TelephonyAccount._meta
    with translation.override("fr"):
        assert str(meta.verbose_name) == "compte de téléphonie"
        assert str(meta.verbose_name_plural) == "comptes de téléphonie"
        assert str(meta.get_field("updated_at").verbose_name) == "dernière modification"
        assert str(meta.get_field("account_sid").verbose_name) == "SID du compte"
