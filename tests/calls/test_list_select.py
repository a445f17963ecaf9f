"""calls.forms.ListSelect: the call list's selects, written in Python as Django's templates write
them."""

from __future__ import annotations

import pytest
from django import forms

from calls.forms import CallFilterForm, ListSelect

CHOICES = [
    ("", "Any <kind>"),
    ("a", "A & B"),
    ('Group "1"', [("g1", "G1"), ("g2", 'G"2')]),
    (3, "three"),
]


@pytest.mark.parametrize("value", [None, "", "a", "g2", "3", ["a"], "<script>"])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_kind", "class": "wide", "disabled": True, "data-off": False}]
)
def test_it_writes_the_markup_djangos_select_writes(value, attrs):
    ours = ListSelect(choices=CHOICES).render("kind<", value, attrs)

    assert ours == forms.Select(choices=CHOICES).render("kind<", value, attrs)


def test_the_filter_forms_selects_read_as_djangos_would(acme):
    form = CallFilterForm({"status": "missed", "sort": "oldest"}, client=acme)
    assert form.is_valid()
    selects = [field for field in form if isinstance(field.field.widget, ListSelect)]

    assert {field.name for field in selects} >= {"status", "tracking_number", "sort"}
    for field in selects:
        attrs = field.build_widget_attrs({"id": field.auto_id})
        django_markup = forms.Select.render(
            field.field.widget, field.html_name, field.value(), attrs
        )
        assert field.field.widget.render(field.html_name, field.value(), attrs) == django_markup
    assert '<option value="missed" selected>' in str(form["status"])
