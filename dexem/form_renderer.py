"""The form renderer (settings.FORM_RENDERER): Django's own, with its most used templates written
in Python, to the character.

Each label, input and select went through the template engine: a template for the widget, one
it includes for the input, one for its attributes, one per option of a select. On the call list
the filter form's eight fields took an eighth of the page (bench/bench_call_list.py). The
templates written here are Django's simplest ones; every other template (the admin's widgets,
radio buttons, a widget with its own template) is rendered by Django as before.
tests/dexem/test_form_renderer.py holds each one to Django's output, and fails if an installed
app starts overriding one of them (its override would be passed over here)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape

INPUT_TEMPLATES = {
    f"django/forms/widgets/{name}.html"
    for name in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
}  # each is `{% include "django/forms/widgets/input.html" %}` and nothing else
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


_TEMPLATE_DEFAULTS = Context()  # autoescape on; time zone and formats from the settings


def _shown(value: Any) -> str:
    """`{{ value }}` as Django writes it: in the current time zone and the language's formats,
    then escaped."""
    return render_value_in_context(value, _TEMPLATE_DEFAULTS)


def _attrs(attrs: Mapping[str, Any] | None) -> str:
    """`attrs.html`: ` name="value"`, a bare ` name` for True, nothing for False."""
    if not attrs:
        return ""
    return "".join(
        f" {conditional_escape(name)}"
        + ("" if value is True else f'="{conditional_escape(str(value))}"')
        for name, value in attrs.items()
        if value is not False
    )


def _label(context: Mapping[str, Any]) -> str:
    label = _shown(context["label"])
    if not context["use_tag"]:
        return label
    tag = conditional_escape(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{label}</{tag}>"


def _input(context: Mapping[str, Any]) -> str:
    widget = context["widget"]
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(str(value))}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}"'
        f' name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _textarea(context: Mapping[str, Any]) -> str:
    widget = context["widget"]
    value = _shown(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{value}</textarea>"
    )


def _select(context: Mapping[str, Any]) -> str | None:
    """None when an option has a template of its own: Django renders it."""
    widget = context["widget"]
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            # Each included option keeps the line break that ends its template.
            parts.append(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                f"{_attrs(option['attrs'])}>{_shown(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


WRITERS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "django/forms/label.html": _label,
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/widgets/select.html": _select,
    **dict.fromkeys(INPUT_TEMPLATES, _input),
}


class FormRenderer(DjangoTemplates):
    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        writer = WRITERS.get(template_name)
        written = writer(context) if writer is not None else None
        if written is None:
            return super().render(template_name, context, request)
        return written.strip()  # as Django's renderer strips what its templates write
