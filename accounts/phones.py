"""Phone numbers, in one place (SPEC §5, §14): read as people write them, stored in E.164, shown the
national way for the Client's country.

- `phone_parse` reads national format in a region (`06 12 34 56 78` in FR) or international
  (`+33 6 12 34 56 78`, `0033 6 12 34 56 78`), with spaces, dots, dashes or parentheses. It refuses
  what `phonenumbers` would forgive but a person did not mean (`++33…`, letters read as a keypad's
  digits) and anything `phonenumbers` does not call valid. Its message names the field by its label
  and never echoes the input (it may be personal data).
- `normalize_e164` is the API's strict reading: international only (the API stays E.164).
- `phone_display` writes a stored number for a Client: national for the Client's country,
  international for a foreign number; `phone_displays` the same for one page of numbers.
- `PhoneField` is the form field every HTML phone input uses; `{{ number|phone:client }}`
  (accounts.templatetags.phones) the display in pages."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import phonenumbers
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accounts.models import Client

INVALID_PHONE_MESSAGE = _("Enter a valid phone number in international format, e.g. +33612345678.")

# One leading "+" at most, then digits and the separators people type. Letters (phonenumbers reads
# them as a keypad's digits), a second "+", "tel:" and the like are not a number someone wrote.
WRITTEN_NUMBER = re.compile(r"\+?[0-9 .()\-/]*[0-9][0-9 .()\-/]*")
SEPARATORS = re.compile(r"[ .()\-/]")


def default_region() -> str:
    """The region of national input when no Client says (the public request form, say)."""
    return str(getattr(settings, "PHONE_DEFAULT_REGION", "FR"))


def region_for(client: Client | str | None) -> str:
    """A Client's country, a region code as is, or the platform's default region."""
    if client is None or client == "":
        return default_region()
    if isinstance(client, str):
        return client.upper()
    return (getattr(client, "country", "") or default_region()).upper()


def phone_example(region: str | None) -> str:
    """An example number for messages and placeholders, written as someone in `region` would."""
    if region:
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is not None:
            national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
            international = phonenumbers.format_number(
                example, phonenumbers.PhoneNumberFormat.INTERNATIONAL
            )
            return f"{national} / {international}"
    return "+33 6 12 34 56 78"


def phone_placeholder(region: str | None) -> str:
    """A number as someone in `region` writes it nationally, for an input's placeholder."""
    return phone_example(region).split(" / ")[0]


def _invalid(field: str | Promise | None, region: str | None) -> ValidationError:
    if field is None and region is None:
        return ValidationError(INVALID_PHONE_MESSAGE, code="invalid_phone")
    if field is None:
        return ValidationError(
            _("Enter a valid phone number, e.g. %(ex)s.") % {"ex": phone_example(region)},
            code="invalid_phone",
        )
    if region is None:
        message = _("%(field)s: enter a valid phone number in international format, e.g. %(ex)s.")
    else:
        message = _("%(field)s: enter a valid phone number, e.g. %(ex)s.")
    return ValidationError(
        message % {"field": field, "ex": phone_example(region)}, code="invalid_phone"
    )


def phone_parse(raw: Any, *, region: str | None, field: str | Promise | None = None) -> str:
    """The E.164 form of `raw`, typed nationally for `region` or internationally (`region` None:
    international only). Invalid: a ValidationError naming `field`, never echoing the input."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not WRITTEN_NUMBER.fullmatch(text):
        raise _invalid(field, region)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise _invalid(field, region) from None
    if not phonenumbers.is_valid_number(number):
        raise _invalid(field, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_e164(raw: Any, *, default_region: str | None = None) -> str:
    """The API's reading: international format (E.164 or written with separators) only."""
    return phone_parse(raw, region=default_region)


def phone_digits(raw: str) -> str | None:
    """The digits of `raw` when it is only digits and separators (no "+"), else None."""
    text = raw.strip()
    if not text or not WRITTEN_NUMBER.fullmatch(text) or text.startswith("+"):
        return None
    return SEPARATORS.sub("", text)


def phone_displays(*, region: str | None) -> Callable[[str | None], str]:
    """phone_display for one page of numbers: each distinct number is formatted once (a page of
    calls shows a few tracking numbers many times). Kept only as long as the page."""
    return functools.cache(functools.partial(_display_in, region))


def _display_in(region: str | None, e164: str | None) -> str:
    return phone_display(e164, region=region)


STORED_NUMBER = re.compile(r"\+[1-9][0-9]{1,14}")


@functools.cache
def _national_prefix(code: int) -> re.Pattern[str] | None:
    """What phonenumbers strips as a national prefix after the calling code `code`."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        code, phonenumbers.region_code_for_country_code(code)
    )
    pattern = metadata.national_prefix_for_parsing if metadata is not None else None
    return re.compile(pattern) if pattern else None


def _stored_number(e164: str) -> phonenumbers.PhoneNumber | None:
    """What `phonenumbers.parse(e164, None)` reads in a number stored as `phone_parse` writes it
    (E.164), without the general parser, which was a third of a list's numbers' display
    (bench_call_list.py): "+", the calling code (the shortest of 1 to 3 digits that names one,
    as phonenumbers reads it), the national number and its leading zeros. None: not E.164, or
    its national part starts as a national prefix would (phonenumbers' parser then decides)."""
    if not STORED_NUMBER.fullmatch(e164):
        return None
    for size in (1, 2, 3):
        code = int(e164[1 : 1 + size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = e164[1 + size :]
    if not national:
        return None
    prefix = _national_prefix(code)
    if prefix is not None and prefix.match(national):
        return None  # phonenumbers may read a national prefix there (a number not written by us)
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    if len(national) > 1 and national[0] == "0":
        number.italian_leading_zero = True
        # As phonenumbers counts them: a number of zeros only keeps its last one as the number.
        zeros = min(len(national) - len(national.lstrip("0")), len(national) - 1)
        if zeros != 1:
            number.number_of_leading_zeros = zeros
    return number


def phone_display(e164: str | None, *, region: str | None) -> str:
    """A stored number as the Client's people read it: national for a number of `region`,
    international for a foreign one; what is not a number (empty, erased) is returned as is."""
    if not e164:
        return e164 or ""
    number = _stored_number(e164)
    if number is None:
        try:
            number = phonenumbers.parse(e164, None)
        except phonenumbers.NumberParseException:
            return e164
    # phonenumbers.is_valid_number is these two calls: the region is looked up once, not twice.
    number_region = phonenumbers.region_code_for_number(number)
    if number_region is None or not phonenumbers.is_valid_number_for_region(number, number_region):
        return e164
    if region and number_region == region.upper():
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class _RegionalField(forms.CharField):
    """A text field reading phone numbers for `region` (a Client's country)."""

    _region: str | None = None

    @property
    def region(self) -> str:
        # None is the platform's default region, read when a number is (settings may change).
        return region_for(self._region)

    @region.setter
    def region(self, value: str | None) -> None:
        self._region = value
        self.widget.attrs["placeholder"] = phone_placeholder(region_for(value))


def phone_field_region_set(form: forms.BaseForm, name: str, region: str | None) -> None:
    """Read the form's phone field `name` for `region` (the Client's country; None: the default)."""
    field = form.fields[name]
    assert isinstance(field, _RegionalField), f"{name} is not a phone field"
    field.region = region


class PhoneField(_RegionalField):
    """One phone number, typed nationally for `region` (the Client's country) or internationally;
    cleaned to E.164, shown back the national way. `region` may be set after the form is built
    (`form.fields[name].region = client.country`)."""

    def __init__(self, *, region: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
        super().__init__(**kwargs)
        self.region = region

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        if text in self.empty_values:
            return ""
        return phone_parse(text, region=self.region, field=self.label)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("+") and value[1:].isdigit():
            return phone_display(value, region=self.region)
        return value


class PhoneNumbersField(_RegionalField):
    """Phone numbers, one a line (or comma-separated), each read like `PhoneField`'s; a list."""

    def __init__(self, *, region: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        super().__init__(**kwargs)
        self.region = region

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(phone_display(number, region=self.region) for number in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        numbers: list[str] = []
        for line in text.replace(",", "\n").splitlines():
            if line.strip():
                number = phone_parse(line, region=self.region, field=self.label)
                if number not in numbers:
                    numbers.append(number)
        return numbers
