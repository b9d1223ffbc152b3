"""The translation catalogues: French complete, English in step with it,
both compiled, and both holding every string of the code and templates."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import polib
import pytest

import flotte

LOCALE = Path(flotte.__file__).parent / "locale"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def keys(po: polib.POFile) -> set[tuple[str | None, str]]:
    return {(entry.msgctxt, entry.msgid) for entry in po if not entry.obsolete}


def test_every_french_string_is_translated_and_none_is_fuzzy() -> None:
    po = catalogue("fr")
    assert not po.metadata_is_fuzzy
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [], f"translate these in locale/fr (docs/web.md): {untranslated}"
    assert fuzzy == [], f"check these fuzzy translations in locale/fr: {fuzzy}"


def test_french_translations_keep_the_placeholders() -> None:
    for entry in catalogue("fr"):
        expected = set(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert set(PLACEHOLDER.findall(text)) == expected, entry.msgid


def test_the_english_catalogue_holds_the_same_strings_none_fuzzy() -> None:
    english = catalogue("en")
    assert keys(english) == keys(catalogue("fr"))
    assert [e.msgid for e in english.fuzzy_entries()] == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_compiled_catalogue_matches_its_source(language: str) -> None:
    compiled = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    source = catalogue(language)
    translated = {(e.msgctxt, e.msgid): e.msgstr for e in source.translated_entries()}
    assert {(e.msgctxt, e.msgid): e.msgstr for e in compiled if e.msgid} == translated, (
        "run make messages to compile the catalogues"
    )


def test_the_catalogues_hold_every_string_of_the_code(
    tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    """makemessages over a copy of the sources gives the catalogue's strings:
    a string added to the code or a template without its translation fails
    here (run `make messages`, then translate it)."""
    from django.core.management import call_command

    source = Path(flotte.__file__).parent
    copy = tmp_path / "flotte"
    shutil.copytree(
        source,
        copy,
        ignore=shutil.ignore_patterns("locale", "static", "__pycache__", "migrations", "*.pyc"),
    )
    (tmp_path / "locale").mkdir()
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["fr"], no_location=True, verbosity=0)
    fresh = keys(polib.pofile(str(tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po")))
    committed = keys(catalogue("fr"))
    missing = sorted(msgid for _, msgid in fresh - committed)
    gone = sorted(msgid for _, msgid in committed - fresh)
    assert not missing, "run make messages, then translate in locale/fr: " + "; ".join(missing)
    assert not gone, "run make messages to drop: " + "; ".join(gone)
