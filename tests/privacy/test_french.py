"""The privacy pages, emails and admin in French and English (SPEC §14, issue 15): a User reads
their own language, anonymous visitors their browser's, each DPO their own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from accounts.services import staff_create
from privacy.audit import AuditAction, audit_record
from privacy.models import DataSubjectRequest
from privacy.services import request_deadlines_remind, request_execute
from privacy.sms import MemorySmsBackend
from retention.models import RetentionRun, RunStatus
from tests.factories import (
    PASSWORD,
    CallFactory,
    ContactFactory,
    DataSubjectRequestFactory,
    UserFactory,
)

FRENCH = "fr-FR,fr;q=0.9,en;q=0.5"
ENGLISH = "en-GB,en;q=0.9"
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def outbox():
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox.clear()


@pytest.fixture
def french_admin(acme_admin):
    acme_admin.language = "fr"
    acme_admin.save(update_fields=["language"])
    return acme_admin


# --- The privacy centre and the audit log, for a French User ---------------------------------------


def test_a_french_admin_reads_the_privacy_centre_in_french(as_user, french_admin):
    body = as_user(french_admin).get("/privacy/").content.decode()
    assert "Centre de confidentialité" in body
    assert "Appels : 24 mois" in body and "Enregistrements et messages vocaux : 6 mois" in body
    assert "Nous demander d'effacer un appelant" in body
    assert "Numéro de téléphone de l&#x27;appelant" in body
    assert "Privacy centre" not in body and "How long we keep your data" not in body


def test_an_english_admin_still_reads_it_in_english(as_user, acme_admin):
    body = as_user(acme_admin).get("/privacy/").content.decode()
    assert "Privacy centre" in body and "Calls: 24 months" in body
    assert "Centre de confidentialité" not in body


def test_two_requests_that_look_alike_show_their_reference_and_their_date(
    as_user, french_admin, acme
):
    first = DataSubjectRequestFactory(client=acme, received_on=dt.date(2026, 3, 2))
    second = DataSubjectRequestFactory(client=acme, received_on=dt.date(2026, 3, 9))
    assert first.reference != second.reference
    page = as_user(french_admin).get("/privacy/")
    body = page.content.decode()
    rows = body.split('id="requests"')[1].split("</table>")[0]
    assert first.reference in rows and second.reference in rows
    assert "02/03/2026" in rows and "09/03/2026" in rows  # the date, as the reader writes it
    assert rows.index(second.reference) < rows.index(first.reference)  # newest first
    assert first.subject not in body and second.subject not in body


def test_an_english_reader_gets_the_same_dates_in_english(as_user, acme_admin, acme):
    DataSubjectRequestFactory(client=acme, received_on=dt.date(2026, 3, 2))
    body = as_user(acme_admin).get("/privacy/").content.decode()
    assert "03/02/2026" in body


def test_a_done_request_counts_its_calls_in_french(as_user, french_admin, acme, acme_number):
    request = DataSubjectRequestFactory(client=acme, subject="+33612345678")
    contact = ContactFactory(client=acme, phone_number="+33612345678")
    CallFactory(client=acme, tracking_number=acme_number, contact=contact)
    request_execute(subject_request=request, actor=None)
    body = as_user(french_admin).get("/privacy/").content.decode()
    assert "Terminée (1 appel)" in body


def test_a_french_admin_reads_the_audit_log_in_french(as_user, french_admin, acme):
    audit_record(action=AuditAction.RECORDING_PLAYED, actor=french_admin, client_id=acme.pk)
    audit_record(action=AuditAction.RETENTION_RUN, actor=None, client_id=acme.pk)
    page = as_user(french_admin).get("/privacy/audit/")
    body = page.content.decode()
    assert "Journal d'audit" in body and "Exporter en CSV" in body
    assert "Enregistrement écouté" in body and "Tâche de conservation exécutée" in body
    assert "Dexem (automatique)" in body and "2 événements" in body
    assert "Toutes les actions" in body  # the filter's choices too
    assert "Recording played" not in body


def test_the_audit_log_filters_refuse_in_french_naming_the_field(as_user, french_admin):
    response = as_user(french_admin).get(
        "/privacy/audit.csv", {"since": "2026-05-02", "until": "2026-05-01"}
    )
    assert response.status_code == 400
    assert response.content.decode() == "Au : Ne doit pas précéder la date de début."


# --- The public request form, by the browser's language -----------------------------------------


def test_the_public_form_speaks_french_to_a_french_browser(client, db):
    body = client.get("/privacy/request/", HTTP_ACCEPT_LANGUAGE=FRENCH).content.decode()
    assert "Vos appels, vos données" in body and "Votre numéro de téléphone" in body
    assert "Effacer mes données" in body and "M'envoyer un code" in body
    assert "Your calls, your data" not in body


def test_the_public_form_speaks_english_to_an_english_browser(client, db):
    body = client.get("/privacy/request/", HTTP_ACCEPT_LANGUAGE=ENGLISH).content.decode()
    assert "Your calls, your data" in body and "Send me a code" in body
    assert "Vos appels, vos données" not in body


@pytest.mark.parametrize("typed", ["06 12 34 56 78", "+33 6 12 34 56 78"])
def test_a_french_visitor_goes_through_the_public_form_in_french(client, db, outbox, typed):
    sent = client.post(
        "/privacy/request/", {"phone": typed, "kind": "erasure"}, HTTP_ACCEPT_LANGUAGE=FRENCH
    )
    assert sent.status_code == 302
    phone, text = outbox[-1]
    assert phone == "+33612345678"
    assert text.startswith("Dexem : votre code est ")  # the SMS in the page's language
    code = text.split("votre code est ")[1][:6]
    verify = client.get(sent["Location"], HTTP_ACCEPT_LANGUAGE=FRENCH).content.decode()
    assert "Saisissez votre code" in verify and "Le code à 6 chiffres" in verify
    wrong = client.post(sent["Location"], {"code": "000000"}, HTTP_ACCEPT_LANGUAGE=FRENCH)
    if code != "000000":
        assert wrong.status_code == 400
        assert "Ce code est erroné ou a expiré" in wrong.content.decode()
    done = client.post(sent["Location"], {"code": code}, HTTP_ACCEPT_LANGUAGE=FRENCH)
    body = done.content.decode()
    assert "Demande reçue" in body and "effacera vos données au plus tard le" in body
    assert DataSubjectRequest.objects.get().reference in body


def test_an_english_visitor_gets_the_sms_in_english(client, db, outbox):
    client.post(
        "/privacy/request/",
        {"phone": "06 12 34 56 78", "kind": "access"},
        HTTP_ACCEPT_LANGUAGE=ENGLISH,
    )
    assert outbox[-1][1].startswith("Dexem: your code is ")


@pytest.mark.parametrize("typed", ["++33612345678", "++33 6 12 34 56 78"])
def test_the_public_form_refuses_a_double_plus_naming_the_field_in_french(
    client, db, outbox, typed
):
    response = client.post(
        "/privacy/request/", {"phone": typed, "kind": "erasure"}, HTTP_ACCEPT_LANGUAGE=FRENCH
    )
    assert response.status_code == 400 and not outbox
    (message,) = response.context["form"].errors["phone"]
    assert message.startswith("Votre numéro de téléphone")
    assert typed not in message


def test_the_unavailable_page_is_in_french(client, db, settings):
    settings.SMS_BACKEND = ""
    response = client.post(
        "/privacy/request/",
        {"phone": "06 12 34 56 78", "kind": "erasure"},
        HTTP_ACCEPT_LANGUAGE=FRENCH,
    )
    assert response.status_code == 503
    assert "La vérification est indisponible" in response.content.decode()


def test_the_rate_limit_page_is_in_french(client, db):
    for _ in range(3):
        client.post("/privacy/request/", {"phone": "+33612345678", "kind": "erasure"})
    response = client.post(
        "/privacy/request/",
        {"phone": "+33612345678", "kind": "erasure"},
        HTTP_ACCEPT_LANGUAGE=FRENCH,
    )
    assert response.status_code == 429
    assert "Trop de demandes pour le moment" in response.content.decode()


# --- Emails: each DPO in their language, each Client admin in theirs ------------------------------


def test_each_dpo_gets_the_reminder_in_their_own_language(acme, settings):
    settings.DPO_EMAIL = "dpo@dexem.example"
    settings.LANGUAGE_CODE = "en"
    french = staff_create(email="claire@dexem.example", group="DPO", password=PASSWORD)
    french.language = "fr"
    french.save(update_fields=["language"])
    staff_create(email="john@dexem.example", group="DPO", password=PASSWORD)  # no choice
    staff_create(email="support@dexem.example", group="Support", password=PASSWORD)
    overdue = DataSubjectRequestFactory(
        client=acme, kind="access", due_on=TODAY - dt.timedelta(days=1)
    )
    request_deadlines_remind(today=TODAY)
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {
        "claire@dexem.example",
        "john@dexem.example",
        "dpo@dexem.example",
    }
    claire = by_recipient["claire@dexem.example"]
    assert claire.subject == "Dexem : 1 demande(s) en retard et 0 bientôt à échéance"
    assert "Demandes en retard :" in claire.body
    assert f"{overdue.reference} : Accès, échéance le 14 juin 2026" in claire.body
    assert "Confidentialité > Demandes de personnes concernées" in claire.body
    for english in ("john@dexem.example", "dpo@dexem.example"):
        assert "Overdue requests:" in by_recipient[english].body
        assert f"{overdue.reference}: Access, due June 14, 2026" in by_recipient[english].body
    assert all(overdue.subject not in message.body for message in mail.outbox)


def test_without_a_choice_a_dpo_reads_the_platforms_language(acme, settings):
    settings.DPO_EMAIL = ""
    settings.LANGUAGE_CODE = "fr"
    staff_create(email="john@dexem.example", group="DPO", password=PASSWORD)
    DataSubjectRequestFactory(client=acme, due_on=TODAY)
    request_deadlines_remind(today=TODAY)
    (message,) = mail.outbox
    assert message.to == ["john@dexem.example"]
    assert "Demandes à traiter dans les 7 jours :" in message.body


def test_a_dpo_who_reads_the_dpo_mailbox_gets_one_reminder_in_their_language(acme, settings):
    settings.DPO_EMAIL = "dpo@dexem.example"
    settings.LANGUAGE_CODE = "en"
    dpo = staff_create(email="dpo@dexem.example", group="DPO", password=PASSWORD)
    dpo.language = "fr"
    dpo.save(update_fields=["language"])
    DataSubjectRequestFactory(client=acme, due_on=TODAY)
    request_deadlines_remind(today=TODAY)
    (message,) = mail.outbox
    assert "Bonjour," in message.body


def test_client_admins_are_told_of_a_contacts_erasure_each_in_their_language(
    acme, acme_admin, acme_number
):
    french = UserFactory(client=acme, role="admin", language="fr")
    contact = ContactFactory(client=acme, phone_number="+33612345678")
    CallFactory(client=acme, tracking_number=acme_number, contact=contact)
    request = DataSubjectRequestFactory(
        client=None,
        scope="all_clients",
        source="contact",
        subject="+33612345678",
    )
    request_execute(subject_request=request, actor=None)
    by_recipient = {address: message for message in mail.outbox for address in message.to}
    assert by_recipient[french.email].subject.startswith("Dexem : la demande d'effacement")
    assert "En tant que sous-traitant" in by_recipient[french.email].body
    assert "As your processor" in by_recipient[acme_admin.email].body
    assert all("+33612345678" not in message.body for message in mail.outbox)


# --- The DPO's admin, for a French staff User -----------------------------------------------------


@pytest.fixture
def french_desk(as_verified_staff, db):
    dpo = staff_create(email="dpo@dexem.example", group="DPO", password=PASSWORD)
    dpo.language = "fr"
    dpo.save(update_fields=["language"])
    return as_verified_staff(dpo)


def test_a_french_dpo_reads_the_requests_admin_in_french(french_desk, acme):
    DataSubjectRequestFactory(client=acme)
    body = french_desk.get(reverse("admin:privacy_datasubjectrequest_changelist")).content.decode()
    assert "demandes de personnes concernées" in body.lower()
    assert "Exécuter les demandes d&#x27;effacement ou d&#x27;opposition sélectionnées…" in body
    assert "Prolonger le délai de deux mois…" in body
    assert "Effacement" in body and "Reçue" in body and "échéance" in body.lower()
    assert "Execute the selected" not in body


def test_a_french_dpo_reads_the_request_form_in_french(french_desk, acme):
    body = french_desk.get(reverse("admin:privacy_datasubjectrequest_add")).content.decode()
    for label in ("Type de personne concernée", "Personne concernée", "Périmètre", "Origine"):
        assert label in body, label
    assert "Un numéro de téléphone, international" in body


def test_a_french_dpos_confirm_page_and_messages_are_in_french(french_desk, acme):
    request = DataSubjectRequestFactory(client=acme)
    changelist = reverse("admin:privacy_datasubjectrequest_changelist")
    page = french_desk.post(
        changelist, {"action": "reject_requests", "_selected_action": [request.pk]}
    )
    body = page.content.decode()
    assert "Rejeter les demandes ?" in body and "Motif" in body and "Annuler" in body
    done = french_desk.post(
        changelist,
        {
            "action": "reject_requests",
            "_selected_action": [request.pk],
            "confirmed": "yes",
            "reason": "doublon",
        },
        follow=True,
    )
    assert "1 demande(s) rejetée(s)." in done.content.decode()


def test_a_french_dpo_reads_the_subject_refused_in_french(french_desk, acme):
    response = french_desk.post(
        reverse("admin:privacy_datasubjectrequest_add"),
        {
            "kind": "erasure",
            "subject_type": "contact",
            "scope": "one_client",
            "client": acme.pk,
            "source": "client",
            "received_on": TODAY.isoformat(),
            "subject": "++33612345678",
        },
    )
    (message,) = response.context["adminform"].form.errors["subject"]
    assert message.startswith("Personne concernée")


def test_a_french_dpo_reads_retention_runs_in_french(french_desk):
    RetentionRun.objects.create(
        job="calls", status=RunStatus.DONE, counts={"calls": 3, "recordings": 1}
    )
    body = french_desk.get(reverse("admin:retention_retentionrun_changelist")).content.decode()
    assert "exécutions de conservation" in body.lower()
    assert "Appels (avec leurs médias)" in body and "Terminée" in body
    assert "Lot le plus long (ms)" in body or "lot le plus long (ms)" in body.lower()
    assert "appels : 3, enregistrements : 1" in body


def test_a_french_dpo_reads_the_audit_events_in_french(french_desk, acme, acme_admin):
    audit_record(action=AuditAction.RECORDING_PLAYED, actor=acme_admin, client_id=acme.pk)
    body = french_desk.get(reverse("admin:privacy_auditevent_changelist")).content.decode()
    assert "événements d&#x27;audit" in body.lower() or "événements d'audit" in body.lower()
    assert "Enregistrement écouté" in body and "Utilisateur" in body
    assert "Type d&#x27;auteur" in body or "Type d'auteur" in body
