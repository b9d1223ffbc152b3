"""Invoice arithmetic, pure: lines from prices incl. VAT, totals as sums.

Tariffs and penalties are priced including VAT (what a member pays is what
was quoted), so a line's amount incl. VAT is rounded to the cent first, its
VAT is taken out of it and rounded once, and the amount excl. VAT is the
difference: each line adds up exactly, and so do the totals, which are
sums of lines. The unit price excl. VAT is shown to four decimals, as
Factur-X allows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Protocol

from flotte.core.errors import ValidationFailed
from flotte.core.money import to_cents
from flotte.pricing.engine import STANDARD_VAT_RATE

ZERO = Decimal("0")
UNIT = Decimal("0.0001")
# The rates in force in mainland France and Corsica, overseas included.
FRENCH_VAT_RATES = frozenset(Decimal(r) for r in ("0", "2.1", "5.5", "10", "20", "8.5", "0.9"))


@dataclass(frozen=True)
class LineAmounts:
    unit_price_incl_vat: Decimal
    unit_price_excl_vat: Decimal
    amount_excl_vat: Decimal
    vat_amount: Decimal
    amount_incl_vat: Decimal
    vat_rate: Decimal


def line_amounts(
    quantity: Decimal,
    unit_price_incl_vat: Decimal,
    vat_rate: Decimal,
    *,
    amount_incl_vat: Decimal | None = None,
) -> LineAmounts:
    """A line's amounts. ``amount_incl_vat`` is given when the pricing
    engine already rounded it (its unit price may itself be rounded)."""
    incl = to_cents(quantity * unit_price_incl_vat if amount_incl_vat is None else amount_incl_vat)
    vat = to_cents(incl * vat_rate / (100 + vat_rate))
    unit_excl = (unit_price_incl_vat * 100 / (100 + vat_rate)).quantize(UNIT, ROUND_HALF_UP)
    return LineAmounts(
        unit_price_incl_vat.quantize(UNIT, ROUND_HALF_UP),
        unit_excl,
        incl - vat,
        vat,
        incl,
        vat_rate,
    )


class HasAmounts(Protocol):
    @property
    def vat_rate(self) -> Decimal: ...
    @property
    def amount_excl_vat(self) -> Decimal: ...
    @property
    def vat_amount(self) -> Decimal: ...
    @property
    def amount_incl_vat(self) -> Decimal: ...


@dataclass(frozen=True)
class Totals:
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal


def totals(lines: Iterable[HasAmounts]) -> Totals:
    excl = vat = incl = ZERO
    for line in lines:
        excl += line.amount_excl_vat
        vat += line.vat_amount
        incl += line.amount_incl_vat
    return Totals(excl, vat, incl)


def vat_breakdown(lines: Iterable[HasAmounts]) -> dict[Decimal, Totals]:
    """Per VAT rate (normalised, so 20 and 20.00 are one rate), sorted."""
    by_rate: dict[Decimal, list[HasAmounts]] = defaultdict(list)
    for line in lines:
        by_rate[rate_key(line.vat_rate)].append(line)
    return {rate: totals(by_rate[rate]) for rate in sorted(by_rate)}


def rate_key(rate: Decimal) -> Decimal:
    return rate.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class LineInput:
    """A line a manager enters: a penalty, a damage excess, a credit."""

    label: str
    unit_price_incl_vat: Decimal
    quantity: Decimal = Decimal("1")
    vat_rate: Decimal = STANDARD_VAT_RATE
    kind: str = "other"

    def checked(self) -> LineInput:
        from flotte.billing.models import InvoiceLine

        label = self.label.strip()
        if not label or len(label) > 200:
            raise ValidationFailed(
                "a line needs a label of 1 to 200 characters", fields=_f("label")
            )
        quantity = _decimal(self.quantity, "quantity")
        unit = _decimal(self.unit_price_incl_vat, "unit_price_incl_vat")
        rate = _decimal(self.vat_rate, "vat_rate")
        if quantity <= 0:
            raise ValidationFailed("the quantity must be positive", fields=_f("quantity"))
        if rate_key(rate) not in {rate_key(r) for r in FRENCH_VAT_RATES}:
            raise ValidationFailed(
                f"{rate} % is not a French VAT rate", fields={"vat_rate": "unknown rate"}
            )
        if self.kind not in InvoiceLine.Kind.values:
            raise ValidationFailed(f"no line kind {self.kind!r}", fields=_f("kind"))
        if abs(quantity * unit) >= Decimal("1e9"):
            raise ValidationFailed("this amount is too large", fields=_f("unit_price_incl_vat"))
        return LineInput(label, unit, quantity, rate, self.kind)


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, float | bool):
        raise ValidationFailed(f"{name} must be a decimal written as text", fields=_f(name))
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed(f"{name} must be a number", fields=_f(name)) from None
    if not number.is_finite() or abs(number) >= Decimal("1e9"):
        raise ValidationFailed(f"{name} is out of range", fields=_f(name))
    if number != number.quantize(UNIT, ROUND_HALF_UP):
        raise ValidationFailed(f"{name} has at most four decimals", fields=_f(name))
    return number


def _f(name: str) -> dict[str, str]:
    return {name: "invalid"}
