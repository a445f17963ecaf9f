"""The privacy app's forms: the privacy centre's, the public request form's and the DPO's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.phones import normalize_e164
from privacy.models import DataSubjectRequest, RequestScope, SubjectType


class ErasureRequestForm(forms.Form):
    phone = forms.CharField(
        max_length=32,
        label="Caller's phone number",
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+33612345678"}),
    )
    notes = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Notes for the DPO (no other personal data, please)",
    )


class PublicRequestForm(forms.Form):
    phone = forms.CharField(
        max_length=32,
        label="Your phone number",
        widget=forms.TextInput(
            attrs={"type": "tel", "placeholder": "+33612345678", "autocomplete": "tel"}
        ),
    )
    kind = forms.ChoiceField(
        choices=[("erasure", "Erase my data"), ("access", "Send me my data")],
        widget=forms.RadioSelect,
        initial="erasure",
    )

    def clean_phone(self) -> str:
        return normalize_e164(self.cleaned_data["phone"])


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=6,
        min_length=6,
        label="The 6-digit code we sent you",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class RequestForm(forms.ModelForm):
    class Meta:
        model = DataSubjectRequest
        fields = [
            "kind",
            "subject_type",
            "subject",
            "scope",
            "client",
            "source",
            "verified",
            "received_on",
            "due_on",
            "notes",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("subject_type") == SubjectType.CONTACT and data.get("subject"):
            try:
                data["subject"] = normalize_e164(data["subject"])
            except ValidationError as error:
                self.add_error("subject", error)
        if data.get("scope") == RequestScope.ONE_CLIENT and not data.get("client"):
            self.add_error("client", "A request for one account names the Client.")
        return data


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
