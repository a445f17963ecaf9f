"""One way a service's ValidationError reaches a form: accounts.forms.form_add_service_error."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from accounts.forms import form_add_service_error


class PhoneForm(forms.Form):
    phone = forms.CharField()
    notes = forms.CharField(required=False)


def bound() -> PhoneForm:
    form = PhoneForm({"phone": "+33612345678"})
    assert form.is_valid()
    return form


def test_each_message_lands_on_the_field_it_names():
    form = bound()
    form_add_service_error(form, ValidationError({"notes": ["Too long."]}))
    assert form.errors == {"notes": ["Too long."]}


def test_messages_naming_no_field_of_the_form_are_the_forms_own_and_none_is_lost():
    form = bound()
    form_add_service_error(form, ValidationError({"client": ["Inactive."], "contact": ["Gone."]}))
    assert form.non_field_errors() == ["Inactive.", "Gone."]


def test_a_fallback_field_takes_what_names_no_field_and_a_plain_message():
    form = bound()
    form_add_service_error(form, ValidationError({"phone_number": ["Invalid."]}), fallback="phone")
    form_add_service_error(form, ValidationError("Not now."), fallback="phone")
    assert form.errors == {"phone": ["Invalid.", "Not now."]}
