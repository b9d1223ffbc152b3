"""Every event is written out in French and English: subject, body and
short text, each rendering every value without a gap."""

from __future__ import annotations

from typing import Any

import pytest

from flotte.notify.events import EVENTS, PARTS
from flotte.notify.rendering import MISSING, missing_templates, render, render_part

LANGUAGES = ("fr", "en")
COMMON = {
    "first_name": "Camille",
    "organisation": "Commune de Valence",
    "support_email": "flotte@valence.example.org",
    "support_phone": "04 75 00 00 00",
    "platform_url": "https://flotte.example.org",
}


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_every_event_has_each_part_in_both_languages(event: str) -> None:
    assert missing_templates(event) == []


def test_a_missing_template_is_named() -> None:
    assert missing_templates("no_such_event") == [
        f"notify/no_such_event/{part}.{language}.txt" for language in LANGUAGES for part in PARTS
    ]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event", sorted(EVENTS))
def test_every_template_renders_its_values_without_a_gap(event: str, language: str) -> None:
    rendered = render(
        event, language, {**COMMON, **EVENTS[event].sample}, time_zone="Europe/Paris", strict=True
    )
    for text in (rendered.subject, rendered.body, rendered.short):
        assert text.strip()
        assert MISSING.split("%")[0] not in text, text
        assert "{{" not in text and "{%" not in text
    assert "\n" not in rendered.subject
    assert "\n" not in rendered.short


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_french_and_english_are_different_texts(event: str) -> None:
    context: dict[str, Any] = {**COMMON, **EVENTS[event].sample}
    french = render(event, "fr", context, time_zone="Europe/Paris")
    english = render(event, "en", context, time_zone="Europe/Paris")
    assert french.subject != english.subject
    assert french.body != english.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_mailing_footer_exists_in_both_languages(language: str) -> None:
    text = render_part(
        "mailing",
        "footer",
        language,
        {"organisation": "Valence", "audience": "Agents", "unsubscribe_url": "https://x/u/"},
        strict=True,
    )
    assert "https://x/u/" in text
    assert MISSING.split("%")[0] not in text


def test_an_apostrophe_is_not_escaped() -> None:
    rendered = render(
        "booking_reminder",
        "fr",
        {**COMMON, **EVENTS["booking_reminder"].sample, "station": "Gare d'Alice"},
        time_zone="Europe/Paris",
    )
    assert "Gare d'Alice" in rendered.body


def test_a_cancellation_fee_is_written_in_the_readers_number_format() -> None:
    sample = {**COMMON, **EVENTS["booking_cancelled"].sample}
    assert "5,00 €" in render("booking_cancelled", "fr", sample, time_zone="Europe/Paris").body
    assert "EUR 5.00" in render("booking_cancelled", "en", sample, time_zone="Europe/Paris").body
