from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flotte.core.money import to_cents


def test_rounds_half_up_to_the_cent() -> None:
    assert to_cents(Decimal("10.005")) == Decimal("10.01")
    assert to_cents("2.344") == Decimal("2.34")
    assert to_cents(3) == Decimal("3.00")


def test_refuses_floats_and_non_numbers() -> None:
    with pytest.raises(TypeError):
        to_cents(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        to_cents("ten")
    with pytest.raises(ValueError):
        to_cents("NaN")


@given(st.decimals(min_value=-(10**6), max_value=10**6, allow_nan=False, places=4))
def test_rounding_moves_an_amount_by_half_a_cent_at_most(amount: Decimal) -> None:
    rounded = to_cents(amount)
    assert abs(rounded - amount) <= Decimal("0.005")
    assert rounded == rounded.quantize(Decimal("0.01"))
