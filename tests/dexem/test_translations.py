"""The French catalogue is complete (SPEC §14): no string of the UI left untranslated or fuzzy,
and the compiled catalogue the application reads is the one in the sources."""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")
# What `make messages` passes to makemessages: the application's sources, not its tests.
IGNORED = ["tests/*", "bench/*", "var/*", "deploy/*"]


def _missing(po: polib.POFile) -> list[str]:
    return [entry.msgid for entry in po.untranslated_entries() + po.fuzzy_entries()]


def _key(entry: polib.POEntry | polib.MOEntry) -> tuple[str | None, str, str | None]:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or None)


def _translations(entries: polib.POFile | polib.MOFile) -> dict:
    """What a reader gets: the translated entries (msgfmt leaves out empty and fuzzy ones)."""
    found = {}
    for entry in entries:
        french = dict(entry.msgstr_plural) if entry.msgstr_plural else entry.msgstr
        if (
            entry.msgid
            and not entry.obsolete
            and "fuzzy" not in entry.flags
            and any(french.values() if isinstance(french, dict) else [french])
        ):
            found[_key(entry)] = french
    return found


def test_every_string_in_the_french_catalogue_is_translated_and_none_is_fuzzy() -> None:
    missing = _missing(polib.pofile(str(CATALOGUE)))
    assert missing == [], f"{len(missing)} strings need their French: {missing[:20]}"


def test_the_compiled_catalogue_holds_exactly_the_french_of_the_sources() -> None:
    assert _translations(polib.mofile(str(COMPILED))) == _translations(
        polib.pofile(str(CATALOGUE))
    ), "locale/fr/LC_MESSAGES/django.mo is stale: run `make messages` and commit it"


# What makemessages walks when `make messages` runs: the sources, copied so the real catalogue is
# never written (makemessages puts a file's strings in the nearest `locale/` above it).
NOT_SOURCES = shutil.ignore_patterns(".*", "var", "tests", "bench", "deploy", "__pycache__", "*.mo")


@pytest.mark.gettext
def test_the_catalogue_has_every_translatable_string_of_the_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(settings.BASE_DIR, sources, ignore=NOT_SOURCES)
    gathered = sources / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    monkeypatch.chdir(sources)
    with override_settings(LOCALE_PATHS=[sources / "locale"]):
        call_command(
            "makemessages",
            locale=["fr"],
            no_obsolete=True,
            add_location="file",
            ignore_patterns=IGNORED,
            verbosity=0,
        )
    missing = _missing(polib.pofile(str(gathered)))
    assert missing == [], (
        f"{len(missing)} strings of the sources are not in the French catalogue, or changed "
        f"since they were translated (run `make messages` and translate them): {missing[:20]}"
    )


def test_a_french_reader_gets_french() -> None:
    with translation.override("fr"):
        assert translation.gettext("Language") == "Langue"
