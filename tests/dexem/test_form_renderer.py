"""dexem.form_renderer: Django's simplest form templates written in Python, held here to the
markup Django's own renderer writes, character for character."""

from __future__ import annotations

import datetime as dt
import decimal
from datetime import UTC
from pathlib import Path

import django.forms
import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.test import override_settings
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from calls.forms import CallFilterForm, TrackingNumberForm
from dexem.form_renderer import WRITERS, FormRenderer
from privacy.forms import ErasureRequestForm
from reports.forms import ReportForm
from telephony.forms import TelephonyAccountForm

CHOICES = [
    ("", "Any <kind>"),
    ("a", "A & B"),
    ('Group "1"', [("g1", "G1"), ("g2", 'G"2')]),
    (3, "three"),
]


class EveryWidget(forms.Form):
    required_css_class = "required"

    text = forms.CharField(label="Name", help_text="As <printed>", max_length=20)
    email = forms.EmailField(required=False, widget=forms.EmailInput(attrs={"autofocus": True}))
    password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    number = forms.IntegerField(required=False, label="How many?")
    url = forms.URLField(
        required=False, assume_scheme="https", widget=forms.URLInput(attrs={"data-off": False})
    )
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    moment = forms.DateTimeField(required=False)
    time = forms.TimeField(required=False)
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    agree = forms.BooleanField(required=False, label=mark_safe("I <em>agree</em>"))
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(required=False, choices=CHOICES)
    kinds = forms.MultipleChoiceField(required=False, choices=CHOICES)
    picture = forms.FileField(required=False)  # its own template: Django renders it
    color = forms.CharField(required=False, widget=forms.RadioSelect(choices=CHOICES[1:2]))


DATA = {
    "text": '<script>"x"</script> & co',
    "email": "not an email",
    "password": "p<a>ss",
    "number": "0",
    "url": "http://example.com/?a=1&b=2",
    "day": "2026-12-02",
    "moment": "2026-12-02 10:00",
    "time": "",
    "hidden": "h'idden",
    "agree": "on",
    "notes": "line\n<b>two</b>",
    "kind": "g2",
    "kinds": ["a", "3"],
    "color": "a",
}


def _markup(form: forms.Form) -> list[str]:
    """The whole form, and each field's label and widget on its own."""
    return [str(form), *(f"{field.label_tag()}|{field}" for field in form)]


def _both(make) -> tuple[list[str], list[str]]:
    return _markup(make(FormRenderer())), _markup(make(DjangoTemplates()))


def test_it_is_the_projects_form_renderer():
    assert isinstance(get_default_renderer(), FormRenderer)


@pytest.mark.parametrize("data", [None, {}, DATA], ids=["unbound", "empty", "filled"])
def test_every_widget_reads_as_djangos_renderer_writes_it(data):
    ours, djangos = _both(lambda renderer: EveryWidget(data, renderer=renderer))

    assert ours == djangos


def test_a_form_with_initial_values_and_another_label_suffix_reads_as_djangos():
    initial = {"text": "Ada", "number": 0, "day": dt.date(2026, 1, 2), "kind": 3, "agree": True}

    ours, djangos = _both(
        lambda renderer: EveryWidget(initial=initial, label_suffix=" :", renderer=renderer)
    )

    assert ours == djangos


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=30), label=st.text(min_size=1, max_size=30))
def test_any_value_and_label_are_escaped_as_django_escapes_them(text, label):
    class One(forms.Form):
        value = forms.CharField(label=label, required=False)
        choice = forms.ChoiceField(label=label, required=False, choices=[(text, label)])

    ours, djangos = _both(lambda renderer: One({"value": text, "choice": text}, renderer=renderer))

    assert ours == djangos


def test_the_projects_forms_read_as_djangos_renderer_writes_them(acme):
    makers = [
        lambda renderer: CallFilterForm({"status": "missed", "sort": "oldest"}, client=acme),
        lambda renderer: TrackingNumberForm({"number": "x"}, renderer=renderer),
        lambda renderer: ErasureRequestForm(region="FR", renderer=renderer),
        lambda renderer: ReportForm({"periods": "99"}, renderer=renderer),
        lambda renderer: TelephonyAccountForm({"auth_token": "secret"}, renderer=renderer),
    ]
    for make in makers:
        ours = make(FormRenderer())
        djangos = make(DjangoTemplates())
        djangos.renderer = DjangoTemplates()  # CallFilterForm takes no renderer argument
        ours.renderer = FormRenderer()

        assert _markup(ours) == _markup(djangos)


class Localised(forms.Form):
    price = forms.ChoiceField(choices=[("1", decimal.Decimal("1.5")), ("2", 2.25), ("3", 12345)])
    when = forms.ChoiceField(
        choices=[("a", dt.date(2024, 3, 5)), ("b", dt.datetime(2024, 3, 5, 23, 30, tzinfo=UTC))]
    )
    group = forms.ChoiceField(choices=[(decimal.Decimal("1.5"), [("x", "X")])])
    notes = forms.CharField(widget=forms.Textarea, initial=decimal.Decimal("0.5"))


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("separator", [False, True])
def test_numbers_and_moments_are_shown_in_the_language_and_time_zone_as_django_shows_them(
    language, separator
):
    with (
        translation.override(language),
        timezone.override("Europe/Paris"),
        override_settings(USE_THOUSAND_SEPARATOR=separator),
    ):
        ours, djangos = _both(lambda renderer: Localised(renderer=renderer))

    assert ours == djangos
    if language == "fr":
        assert "2,25" in ours[0] and "6 mars 2024 00:30" in ours[0]


def test_every_template_written_here_is_djangos_own_no_app_overrides_one():
    django_forms = Path(django.forms.__file__).parent / "templates"

    for name in WRITERS:
        origin = Path(FormRenderer().get_template(name).origin.name)
        assert origin.is_relative_to(django_forms), f"{name} comes from {origin}"
