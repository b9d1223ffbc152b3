from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from flotte.pricing.engine import QuoteLine
from flotte.web.templatetags.flotte_web import distance, euros, line_label, shift, text_on


def _contrast(a: str, b: str) -> float:
    from flotte.web.templatetags.flotte_web import _luminance

    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(
    "brand", ["#1d4ed8", "#facc15", "#ffffff", "#000000", "#0f766e", "#7dd3fc"]
)
def test_text_on_a_brand_colour_keeps_at_least_aa_contrast(brand: str) -> None:
    assert _contrast(brand, text_on(brand)) >= 4.5


def test_light_brands_get_dark_text_and_dark_brands_white_text() -> None:
    assert text_on("#facc15") == "#111827"
    assert text_on("#1d4ed8") == "#ffffff"
    assert text_on("not a colour") == "#ffffff"


def test_prices_and_distances_read_in_each_language() -> None:
    with translation.override("fr"):
        assert euros(Decimal("1234.5")) == "1234,50 €"
        assert distance(1540.0) == "à 1,5 km"
        assert shift(dt.timedelta(hours=-2)) == "2 heures plus tôt"
    with translation.override("en"):
        assert euros(Decimal("5")) == "€5.00"
        assert distance(320.0) == "320 m away"
        assert shift(dt.timedelta(hours=1)) == "1 hour later"


def test_quote_lines_are_worded_by_code_and_packages_keep_their_name() -> None:
    line = QuoteLine("Time", Decimal(2), Decimal(4), Decimal(8), Decimal(20), "time_night")
    package = QuoteLine("Soirée", Decimal(1), Decimal(12), Decimal(12), Decimal(20), "flat_rate")
    with translation.override("fr"):
        assert line_label(line) == "Temps, tarif de nuit"
        assert line_label(package) == "Soirée"
