"""The monthly internal chargeback statement: business invoices less their
credit notes of the month, by cost centre."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from flotte.billing.amounts import LineInput, Totals
from flotte.billing.chargeback import (
    NO_COST_CENTRE,
    chargeback_csv,
    chargeback_statement,
    parse_month,
)
from flotte.billing.corrections import credit_note_issue
from flotte.billing.models import Invoice
from flotte.billing.statement_pdf import chargeback_pdf
from flotte.core import clock
from flotte.core.errors import Conflict, PermissionDenied, ValidationFailed
from tests.billing.conftest import exceptional, set_param
from tests.billing.movements import paris
from tests.billing.test_pdf import text_of
from tests.conftest import Tenant

NOVEMBER = dt.date(2026, 11, 1)
D = Decimal


def business(tenant: Tenant, when: dt.datetime, amount: str, cost_centre: str = "") -> Invoice:
    with clock.frozen(when):
        return exceptional(tenant, amount, business=True, cost_centre=cost_centre)


def credit(invoice: Invoice, when: dt.datetime, amount: str | None = None) -> Invoice:
    lines = None if amount is None else [LineInput("Geste commercial", D(amount))]
    with clock.frozen(when):
        return credit_note_issue(
            actor=invoice.organisation.managers.get().user,
            invoice=invoice,
            reason="erreur de saisie",
            lines=lines,
        )


@pytest.fixture
def november(alice: Tenant, bob: Tenant) -> dict[str, Invoice]:
    """Alice charges back internal use; her November has business invoices
    for two departments and one without a cost centre, credit notes, and
    things that do not belong in the statement."""
    set_param(alice, "billing_internal_chargeback", True)
    set_param(bob, "billing_internal_chargeback", True)
    docs = {
        "voirie": business(alice, paris(2026, 11, 3), "120.00", "Voirie"),
        "ecoles": business(alice, paris(2026, 11, 5), "60.00", "Écoles"),
        "ecoles_late": business(alice, paris(2026, 11, 30, 23, 30), "24.00", "Écoles"),
        "none": business(alice, paris(2026, 11, 6), "12.00"),
        # Not November in Paris, though still November in UTC.
        "december": business(alice, paris(2026, 12, 1, 0, 30), "36.00", "Voirie"),
        "october": business(alice, paris(2026, 10, 31, 23, 30), "48.00", "Voirie"),
    }
    with clock.frozen(paris(2026, 11, 8)):
        docs["private"] = exceptional(alice, "30.00")
    docs["bob"] = business(bob, paris(2026, 11, 3), "500.00", "Voirie")
    docs["ecoles_credit"] = credit(docs["ecoles"], paris(2026, 11, 20), "30.00")
    # An October invoice credited in November is charged back in November.
    docs["october_credit"] = credit(docs["october"], paris(2026, 11, 2))
    docs["voirie_credit_december"] = credit(docs["voirie"], paris(2026, 12, 1, 9), "10.00")
    return docs


def test_the_months_business_invoices_less_credit_notes_by_cost_centre(
    alice: Tenant, november: dict[str, Invoice]
) -> None:
    statement = chargeback_statement(
        actor=alice.manager, organisation=alice.organisation, month=NOVEMBER
    )

    assert [c.name for c in statement.centres] == ["Écoles", "Voirie", NO_COST_CENTRE]
    ecoles, voirie, nothing = statement.centres
    assert [d.invoice for d in ecoles.documents] == [
        november["ecoles"],
        november["ecoles_late"],
        november["ecoles_credit"],
    ]
    assert ecoles.totals == Totals(D("45.00"), D("9.00"), D("54.00"))
    assert [d.invoice for d in voirie.documents] == [
        november["voirie"],
        november["october_credit"],
    ]
    assert voirie.totals == Totals(D("60.00"), D("12.00"), D("72.00"))
    assert nothing.totals == Totals(D("10.00"), D("2.00"), D("12.00"))
    assert statement.totals == Totals(D("115.00"), D("23.00"), D("138.00"))
    assert not statement.provisional


def test_the_parts_add_up_to_the_totals(alice: Tenant, november: dict[str, Invoice]) -> None:
    statement = chargeback_statement(
        actor=alice.manager, organisation=alice.organisation, month=NOVEMBER
    )
    for centre in statement.centres:
        assert centre.totals.excl_vat + centre.totals.vat == centre.totals.incl_vat
        assert sum((d.incl_vat for d in centre.documents), D("0")) == centre.totals.incl_vat
    assert sum((c.totals.incl_vat for c in statement.centres), D("0")) == (
        statement.totals.incl_vat
    )


def test_without_internal_chargeback_there_is_no_statement(alice: Tenant) -> None:
    business(alice, paris(2026, 11, 3), "120.00", "Voirie")
    with pytest.raises(Conflict) as refused:
        chargeback_statement(actor=alice.manager, organisation=alice.organisation, month=NOVEMBER)
    assert refused.value.code == "chargeback_off"
    set_param(alice, "billing_internal_chargeback", True)
    statement = chargeback_statement(
        actor=alice.manager, organisation=alice.organisation, month=NOVEMBER
    )
    assert statement.totals.incl_vat == D("120.00")


def test_the_month_in_progress_is_provisional_and_a_future_month_refused(alice: Tenant) -> None:
    set_param(alice, "billing_internal_chargeback", True)
    current = chargeback_statement(
        actor=alice.manager, organisation=alice.organisation, month=dt.date(2026, 12, 1)
    )
    assert current.provisional
    with pytest.raises(ValidationFailed):
        chargeback_statement(
            actor=alice.manager, organisation=alice.organisation, month=dt.date(2027, 1, 1)
        )


def test_only_a_manager_of_the_organisation_gets_it(alice: Tenant, bob: Tenant) -> None:
    set_param(alice, "billing_internal_chargeback", True)
    for intruder in (bob.manager, alice.member):
        with pytest.raises(PermissionDenied):
            chargeback_statement(actor=intruder, organisation=alice.organisation, month=NOVEMBER)


def test_the_csv_is_french_with_a_total_per_cost_centre(
    alice: Tenant, november: dict[str, Invoice]
) -> None:
    statement = chargeback_statement(
        actor=alice.manager, organisation=alice.organisation, month=NOVEMBER
    )
    content = chargeback_csv(statement)

    assert content.startswith(b"\xef\xbb\xbf")
    rows = [line.split(";") for line in content.decode("utf-8-sig").split("\r\n") if line]
    assert rows[0][0] == "Centre de coût" and rows[0][-1] == "Total TTC"
    credit_row = next(r for r in rows if r[3] == november["ecoles_credit"].number)
    assert credit_row == [
        "Écoles",
        "20/11/2026",
        "Avoir",
        november["ecoles_credit"].number,
        november["ecoles"].number,
        credit_row[5],
        "-25,00",
        "-5,00",
        "-30,00",
    ]
    assert ["Écoles", "", "Total", "", "", "", "45,00", "9,00", "54,00"] in rows
    assert rows[-1] == ["Total du mois", "", "Total", "", "", "", "115,00", "23,00", "138,00"]


def test_the_pdf_shows_each_cost_centre_and_the_months_total(
    alice: Tenant, november: dict[str, Invoice]
) -> None:
    statement = chargeback_statement(
        actor=alice.manager, organisation=alice.organisation, month=NOVEMBER
    )
    text = text_of(chargeback_pdf(statement))
    assert "REFACTURATION INTERNE" in text
    assert "novembre 2026" in text
    for name in ("Écoles", "Voirie", NO_COST_CENTRE, november["ecoles_credit"].number):
        assert name in text
    assert "Total du mois 115,00 23,00 138,00" in text
    assert "PROVISOIRE" not in text


def test_a_month_is_written_yyyy_mm() -> None:
    assert parse_month("2026-11") == NOVEMBER
    with pytest.raises(ValidationFailed):
        parse_month("11/2026")
