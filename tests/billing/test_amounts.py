from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from flotte.billing.amounts import LineInput, line_amounts, totals, vat_breakdown

rates = st.sampled_from(
    [Decimal("0"), Decimal("2.1"), Decimal("5.5"), Decimal("10"), Decimal("20")]
)
prices = st.decimals(min_value=Decimal("-500"), max_value=Decimal("5000"), places=4)
quantities = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("1000"), places=4)


@given(st.lists(st.tuples(quantities, prices, rates), min_size=1, max_size=12))
def test_each_line_adds_up_and_the_totals_are_the_sums_of_the_lines(
    entries: list[tuple[Decimal, Decimal, Decimal]],
) -> None:
    lines = [line_amounts(q, p, r) for q, p, r in entries]
    for line in lines:
        assert line.amount_excl_vat + line.vat_amount == line.amount_incl_vat
        assert line.amount_incl_vat == line.amount_incl_vat.quantize(Decimal("0.01"))
        assert line.vat_amount == line.vat_amount.quantize(Decimal("0.01"))
    total = totals(lines)
    assert total.excl_vat + total.vat == total.incl_vat
    assert total.incl_vat == sum(line.amount_incl_vat for line in lines)
    breakdown = vat_breakdown(lines)
    assert sum(t.incl_vat for t in breakdown.values()) == total.incl_vat
    assert sum(t.vat for t in breakdown.values()) == total.vat


@given(quantities, prices, rates)
def test_the_vat_of_a_line_is_within_half_a_cent_of_the_exact_share(
    quantity: Decimal, price: Decimal, rate: Decimal
) -> None:
    line = line_amounts(quantity, price, rate)
    exact = line.amount_incl_vat * rate / (100 + rate)
    assert abs(line.vat_amount - exact) <= Decimal("0.005")


def test_a_line_priced_by_the_engine_keeps_its_rounded_amount() -> None:
    # 2 h 40 at 4.00 an hour: 10.666... billed 10.67 by the engine.
    line = line_amounts(
        Decimal("2.6667"), Decimal("4.00"), Decimal("20"), amount_incl_vat=Decimal("10.67")
    )
    assert (line.amount_incl_vat, line.vat_amount, line.amount_excl_vat) == (
        Decimal("10.67"),
        Decimal("1.78"),
        Decimal("8.89"),
    )
    assert line.unit_price_excl_vat == Decimal("3.3333")


def test_a_manager_line_is_checked_and_trimmed() -> None:
    line = LineInput("  Plein de carburant ", "62.50", kind="fuel").checked()  # type: ignore[arg-type]
    assert line.label == "Plein de carburant" and line.unit_price_incl_vat == Decimal("62.50")
