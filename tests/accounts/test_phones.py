"""Phone numbers typed as people write them, stored E.164, shown nationally (SPEC §14)."""

from __future__ import annotations

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.template import Context, Template
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import Client, User
from accounts.phones import (
    PhoneField,
    _stored_number,
    normalize_e164,
    phone_display,
    phone_displays,
    phone_parse,
)
from tests.factories import ClientFactory, UserFactory

STORED = "+33612345678"
WRITTEN_IN_FRANCE = [
    "06 12 34 56 78",
    "06.12.34.56.78",
    "06-12-34-56-78",
    "0612345678",
    "+33 6 12 34 56 78",
    "+33.6.12.34.56.78",
    "+33 (0)6 12 34 56 78",
    "0033 6 12 34 56 78",
]
REFUSED = ["++33612345678", "06 12", "06 12 34 56 7A", "call me maybe", "+33 6", "tel:+33612345678"]


@pytest.mark.parametrize("typed", WRITTEN_IN_FRANCE)
def test_a_number_typed_nationally_or_internationally_is_stored_in_e164(typed):
    assert phone_parse(typed, region="FR", field="Phone") == STORED


def test_a_malformed_number_is_refused_naming_the_field_never_echoing_it():
    messages = set()
    for typed in REFUSED:
        with pytest.raises(ValidationError) as raised:
            phone_parse(typed, region="FR", field="Forward to")
        messages.update(raised.value.messages)
    (message,) = messages  # one message whatever was typed: the input is never in it
    assert message.startswith("Forward to:")
    assert "06 12 34 56 78" in message  # an example as the Client's people write it


def test_a_client_in_belgium_types_belgian_numbers_nationally():
    assert phone_parse("0470 12 34 56", region="BE", field="Phone") == "+32470123456"
    assert phone_parse("+33 6 12 34 56 78", region="BE", field="Phone") == STORED
    with pytest.raises(ValidationError):
        phone_parse("06 12 34 56 78", region="BE", field="Phone")  # not a Belgian number


@pytest.mark.parametrize("typed", ["06 12 34 56 78", "0033 6 12 34 56 78", "++33612345678"])
def test_the_api_reading_stays_international_and_refuses_a_doubled_plus(typed):
    with pytest.raises(ValidationError):
        normalize_e164(typed)
    assert normalize_e164("+33 6 12 34 56 78") == STORED


def test_a_number_is_shown_nationally_for_its_own_country_and_internationally_otherwise():
    assert phone_display(STORED, region="FR") == "06 12 34 56 78"
    assert phone_display("+32470123456", region="FR") == "+32 470 12 34 56"
    assert phone_display("+32470123456", region="BE") == "0470 12 34 56"
    assert phone_display(STORED, region="BE") == "+33 6 12 34 56 78"
    assert phone_display(None, region="FR") == "" and phone_display("", region="FR") == ""


def test_a_pages_displays_read_as_phone_display_does_each_number_formatted_once():
    display = phone_displays(region="FR")
    numbers = ["+33612345678", "+442079460000", "+33612345678", None, "", "erased"]
    assert [display(number) for number in numbers] == [
        phone_display(number, region="FR") for number in numbers
    ]
    assert display.cache_info().currsize == 5  # type: ignore[attr-defined]


def test_the_template_filter_shows_a_number_for_the_clients_country(db):
    template = Template("{% load phones %}{{ number|phone:client }}|{{ none|phone:client }}")
    france, belgium = ClientFactory(country="FR"), ClientFactory(country="BE")
    assert template.render(Context({"number": STORED, "client": france})) == "06 12 34 56 78|"
    assert template.render(Context({"number": STORED, "client": belgium})) == "+33 6 12 34 56 78|"


def test_the_form_field_shows_a_stored_number_back_the_national_way():
    field = PhoneField(label="Phone", region="FR")
    assert field.prepare_value(STORED) == "06 12 34 56 78"
    assert field.clean("06.12.34.56.78") == STORED
    assert field.widget.attrs["placeholder"] == "06 12 34 56 78"
    field.region = "BE"
    assert field.clean("0470 12 34 56") == "+32470123456"


# --- Client.country ------------------------------------------------------------------------------


def test_create_client_takes_a_country_and_defaults_to_france(db, capsys):
    call_command("create_client", "Bruxelles SA", "--slug", "bxl", "--country", "be")
    call_command("create_client", "Paris SARL", "--slug", "paris")
    assert Client.objects.get(slug="bxl").country == "BE"
    assert Client.objects.get(slug="paris").country == "FR"
    assert "country BE" in capsys.readouterr().out


def test_create_client_refuses_an_unknown_country(db):
    with pytest.raises(CommandError, match="country"):
        call_command("create_client", "Nowhere", "--slug", "nowhere", "--country", "XX")
    assert not Client.objects.filter(slug="nowhere").exists()


# --- The profile and the Users tab ---------------------------------------------------------------


def _profile(number: str) -> dict[str, str]:
    return {
        "profile-first_name": "Ana",
        "profile-last_name": "Lyst",
        "profile-phone_numbers": number,
    }


@pytest.mark.parametrize("typed", WRITTEN_IN_FRANCE)
def test_the_profile_takes_numbers_as_people_write_them(as_user, acme_analyst, typed):
    response = as_user(acme_analyst).post(reverse("profile"), _profile(typed))
    assert response.status_code == 302
    acme_analyst.refresh_from_db()
    assert acme_analyst.phone_numbers == [STORED]
    page = as_user(acme_analyst).get(reverse("profile")).content.decode()
    assert "06 12 34 56 78" in page


@pytest.mark.parametrize("typed", REFUSED)
def test_the_profile_refuses_a_malformed_number_naming_the_field(as_user, acme_analyst, typed):
    response = as_user(acme_analyst).post(reverse("profile"), _profile(typed))
    assert response.status_code == 200
    (message,) = response.context["form"].errors["phone_numbers"]
    assert message.startswith("Phone numbers:")
    acme_analyst.refresh_from_db()
    assert acme_analyst.phone_numbers == []


def test_a_belgian_clients_user_types_a_belgian_number_nationally(db, as_user):
    user = UserFactory(client=ClientFactory(country="BE"), role="analyst")
    response = as_user(user).post(reverse("profile"), _profile("0470 12 34 56"))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone_numbers == ["+32470123456"]


def test_an_admin_gives_a_new_user_a_national_number(as_user, acme_admin):
    response = as_user(acme_admin).post(
        reverse("user-create"),
        {
            "email": "new@acme.example",
            "first_name": "New",
            "last_name": "Person",
            "role": "analyst",
            "phone_numbers": "06-12-34-56-78\n+32 470 12 34 56",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@acme.example")
    assert user.phone_numbers == [STORED, "+32470123456"]


def _example_numbers() -> list[str]:
    """Every example number phonenumbers knows, of every region and type, in E.164."""
    numbers = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in range(11):  # PhoneNumberType's values, FIXED_LINE to VOICEMAIL
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                numbers.add(
                    phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
                )
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            numbers.add(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    return sorted(numbers)


def test_a_stored_number_reads_as_phonenumbers_parse_reads_it_in_every_region():
    numbers = _example_numbers()
    assert len(numbers) > 1000

    read = {number: _stored_number(number) for number in numbers}

    assert all(read[number] in (None, phonenumbers.parse(number, None)) for number in numbers)
    assert sum(number is not None for number in read.values()) > 0.9 * len(numbers)
    for number in ["+390612345678", "+3900000", "+22500000000", "+33612345678", "+14155550123"]:
        assert _stored_number(number) == phonenumbers.parse(number, None), number


@settings(max_examples=500, deadline=None)
@given(
    code=st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)),
    national=st.from_regex(r"(0|00|1|8|9|06)?[0-9]{2,12}", fullmatch=True),
)
def test_any_e164_string_is_read_as_phonenumbers_parse_reads_it_or_left_to_it(code, national):
    written = f"+{code}{national}"[:16]
    try:
        expected = phonenumbers.parse(written, None)
    except phonenumbers.NumberParseException:
        return
    assert _stored_number(written) in (None, expected)
    assert phone_display(written, region="FR") == _display_by_phonenumbers(written, "FR")


def _display_by_phonenumbers(e164: str, region: str) -> str:
    """phone_display as it was written before its fast reading: phonenumbers' parser alone."""
    number = phonenumbers.parse(e164, None)
    number_region = phonenumbers.region_code_for_number(number)
    if number_region is None or not phonenumbers.is_valid_number_for_region(number, number_region):
        return e164
    kind = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(
        number, kind.NATIONAL if number_region == region else kind.INTERNATIONAL
    )


def test_a_number_saved_with_a_national_prefix_is_shown_as_before():
    assert phone_display("+330612345678", region="FR") == "06 12 34 56 78"
    assert phone_display("+4402079460000", region="FR") == "+44 20 7946 0000"


def test_what_is_not_e164_is_left_to_phonenumbers_parse():
    for text in ["0612345678", "+0612345678", "+33 6 12 34 56 78", "+", "+999", "erased"]:
        assert _stored_number(text) is None

    assert phone_display("+33 6 12 34 56 78", region="FR") == "06 12 34 56 78"
    assert phone_display("erased", region="FR") == "erased"
