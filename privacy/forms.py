"""The privacy app's forms: the privacy centre's, the public request form's and the DPO's."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from accounts.phones import PhoneField, phone_field_region_set, phone_parse, region_for
from privacy.audit import AuditAction
from privacy.models import DataSubjectRequest, RequestKind, RequestScope, SubjectType, due_date
from privacy.selectors import AuditFilters


class ErasureRequestForm(forms.Form):
    phone = PhoneField(label=_("Caller's phone number"))
    notes = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Notes for the DPO (no other personal data, please)"),
    )

    def __init__(self, *args: Any, region: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        phone_field_region_set(self, "phone", region)  # the Client's country


class PublicRequestForm(forms.Form):
    # No Client says where the visitor is: national numbers are read for the platform's default
    # region (PHONE_DEFAULT_REGION); any other country's number is typed internationally.
    phone = PhoneField(label=_("Your phone number"))
    kind = forms.ChoiceField(
        label=_("What would you like?"),
        choices=[("erasure", _("Erase my data")), ("access", _("Send me my data"))],
        widget=forms.RadioSelect,
        initial="erasure",
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=6,
        min_length=6,
        label=_("The 6-digit code we sent you"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class RequestForm(forms.ModelForm):
    """The DPO's form for an open request. The due date follows from the receipt date (and an
    extension), so it is not typed in."""

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
            "notes",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "subject" in self.fields:
            self.fields["subject"].required = True
            self.fields["subject"].help_text = _(
                "A phone number, international (+33 6 12 34 56 78) or national for the Client's "
                "country (for FR without a Client), or an email; replaced by a keyed hash once "
                "the request is done."
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        subject = (data.get("subject") or "").strip()
        if "subject" in self.fields and not subject:
            self.add_error("subject", _("A request needs its subject: a phone number or an email."))
        elif subject and data.get("subject_type") == SubjectType.CONTACT:
            # National numbers are read for the Client's country; without a Client (a request
            # for every account), for the platform's default region.
            region = region_for(data.get("client"))
            try:
                data["subject"] = phone_parse(
                    subject, region=region, field=self.fields["subject"].label
                )
            except ValidationError as error:
                self.add_error("subject", error)
        elif subject and data.get("subject_type") == SubjectType.USER:
            try:
                validate_email(subject)
            except ValidationError:
                self.add_error("subject", _("Enter a valid email address."))
            else:
                data["subject"] = subject.lower()
        if data.get("scope") == RequestScope.ONE_CLIENT and not data.get("client"):
            self.add_error("client", _("A request for one account names the Client."))
        if data.get("kind") == RequestKind.OBJECTION and (
            data.get("scope") != RequestScope.ONE_CLIENT or not data.get("client")
        ):
            self.add_error("client", _("An objection concerns one Client: name it."))
        return data

    def save(self, commit: bool = True) -> DataSubjectRequest:
        subject_request = super().save(commit=False)
        subject_request.due_on = due_date(
            subject_request.received_on, extended=subject_request.extended_on is not None
        )
        if commit:
            subject_request.save()
        return subject_request


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class RectificationForm(forms.Form):
    note = forms.CharField(
        label=_("Which fields were changed, and where (field names, never their values)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ExtensionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why two more months are needed (GDPR art. 12(3))"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AuditFilterForm(forms.Form):
    """The audit page's filters; the CSV export takes the same ones."""

    action = forms.ChoiceField(label=_("Action"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    actor = forms.ChoiceField(label=_("Who"), required=False)

    def __init__(self, *args: Any, actors: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["action"]).choices = [
            ("", _("Every action")),
            *AuditAction.choices,
        ]
        cast(forms.ChoiceField, self.fields["actor"]).choices = [
            ("", _("Anyone")),
            *actors,
            ("staff", _("Dexem staff (DPO)")),
            ("system", _("Dexem (automatic)")),
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("Must not be before the start date."))
        return data

    def filters(self) -> AuditFilters:
        """The valid filters (an invalid form filters nothing it could not read)."""
        data = self.cleaned_data if self.is_valid() else {}
        return AuditFilters(
            action=data.get("action") or None,
            since=data.get("since"),
            until=data.get("until"),
            actor=data.get("actor") or None,
        )
