"""The accounting export of a period, and the payout statement's own files
(its invoice list as CSV, the statement as PDF)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from flotte.accounts.models import User
from flotte.billing.amounts import LineInput
from flotte.billing.corrections import credit_note_issue
from flotte.billing.csvfile import csv_bytes, fr_cell
from flotte.billing.exports import accounting_export, accounting_rows, payout_statement_csv
from flotte.billing.models import Invoice
from flotte.billing.payouts import payout_statement_create
from flotte.billing.statement_pdf import payout_statement_pdf
from flotte.core import clock
from flotte.core.errors import PermissionDenied, ValidationFailed
from tests.billing.conftest import exceptional
from tests.billing.movements import paid, paris, refunded
from tests.billing.test_pdf import text_of
from tests.conftest import Tenant

NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
D = Decimal


def issued(tenant: Tenant, when: dt.datetime, *lines: LineInput, **extra: object) -> Invoice:
    with clock.frozen(when):
        return exceptional(tenant, lines=list(lines), **extra)  # type: ignore[arg-type]


def rows_of(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8-sig")
    assert text.endswith("\r\n")
    return [line.split(";") for line in text.split("\r\n") if line]


@pytest.fixture
def month(alice: Tenant, bob: Tenant) -> dict[str, object]:
    """Alice's November: a business invoice at two VAT rates, paid, partly
    credited and refunded; a private invoice left unpaid; and what is not
    November or not Alice's."""
    mixed = issued(
        alice,
        paris(2026, 11, 3),
        LineInput("Location", D("120.00")),
        LineInput("Transport", D("11.00"), vat_rate=D("10")),
        business=True,
        cost_centre="Voirie",
    )
    private = issued(alice, paris(2026, 11, 4), LineInput("Franchise", D("60.00")))
    payment = paid(mixed, at=paris(2026, 11, 5), fee="2.22", estimate=True)
    with clock.frozen(paris(2026, 11, 6)):
        note = credit_note_issue(
            actor=alice.manager,
            invoice=mixed,
            reason="erreur",
            lines=[LineInput("Geste", D("24.00"))],
        )
    refund = refunded(payment, "24.00", at=paris(2026, 11, 7), credit_note=note)
    issued(alice, paris(2026, 12, 1, 0, 30), LineInput("Décembre", D("5.00")))
    issued(bob, paris(2026, 11, 3), LineInput("Chez Bob", D("99.00")))
    return {"mixed": mixed, "private": private, "payment": payment, "note": note, "refund": refund}


def test_one_row_per_document_and_movement_of_the_period_in_date_order(
    alice: Tenant, month: dict[str, object]
) -> None:
    rows = accounting_rows(
        actor=alice.manager, organisation=alice.organisation, start=NOVEMBER[0], end=NOVEMBER[1]
    )
    assert [(r.day.day, r.kind) for r in rows] == [
        (3, "Facture"),
        (4, "Facture"),
        (5, "Paiement"),
        (6, "Avoir"),
        (7, "Remboursement"),
    ]
    invoice, private, payment, note, refund = rows
    assert invoice.totals is not None and invoice.totals.incl_vat == D("131.00")
    assert invoice.by_rate[D("20.00")].excl_vat == D("100.00")
    assert invoice.by_rate[D("10.00")].vat == D("1.00")
    assert invoice.status == "payée"  # 131 paid, 24 refunded, 24 credited
    assert private.status == "non payée"
    assert note.totals is not None and note.totals.incl_vat == D("-24.00")
    assert note.related == invoice.number
    assert (payment.amount, payment.fee, payment.fee_is_estimate) == (D("131.00"), D("2.22"), True)
    assert refund.amount == D("-24.00")
    assert refund.related == f"{invoice.number} {note.number}"


def test_the_csv_is_what_a_french_spreadsheet_opens(
    alice: Tenant, month: dict[str, object]
) -> None:
    content = accounting_export(
        actor=alice.manager, organisation=alice.organisation, start=NOVEMBER[0], end=NOVEMBER[1]
    )

    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    header, *rows = rows_of(content)
    assert header[:10] == [
        "Date",
        "Type",
        "Numéro",
        "Pièce liée",
        "Client",
        "Client professionnel",
        "Centre de coût",
        "Total HT",
        "TVA",
        "Total TTC",
    ]
    assert header[10:14] == ["Base HT 10 %", "TVA 10 %", "Base HT 20 %", "TVA 20 %"]
    by_type: dict[str, dict[str, str]] = {}
    for row in rows:  # the first of each type
        by_type.setdefault(row[1], dict(zip(header, row, strict=True)))
    invoice = by_type["Facture"]
    assert invoice["Date"] == "03/11/2026"
    assert (invoice["Total HT"], invoice["TVA"], invoice["Total TTC"]) == (
        "110,00",
        "21,00",
        "131,00",
    )
    assert (invoice["Client professionnel"], invoice["Centre de coût"]) == ("oui", "Voirie")
    assert (invoice["Base HT 10 %"], invoice["TVA 10 %"]) == ("10,00", "1,00")
    note = by_type["Avoir"]
    assert (note["Total HT"], note["TVA"], note["Total TTC"]) == ("-20,00", "-4,00", "-24,00")
    assert note["Base HT 10 %"] == ""
    payment = by_type["Paiement"]
    assert (payment["Montant encaissé ou remboursé"], payment["Frais de paiement"]) == (
        "131,00",
        "2,22",
    )
    assert payment["Frais estimés"] == "oui"
    assert by_type["Remboursement"]["Montant encaissé ou remboursé"] == "-24,00"


def test_text_a_spreadsheet_would_run_as_a_formula_is_defused(alice: Tenant) -> None:
    User.objects.filter(pk=alice.member.pk).update(first_name="=HYPERLINK(1)", last_name="")
    alice.member.refresh_from_db()
    issued(alice, paris(2026, 11, 3), LineInput("Location", D("12.00")))
    content = accounting_export(
        actor=alice.manager, organisation=alice.organisation, start=NOVEMBER[0], end=NOVEMBER[1]
    )
    assert "'=HYPERLINK(1)" in content.decode("utf-8-sig")
    assert fr_cell(D("-3.5")) == "-3,50"  # numbers keep their sign


def test_a_row_must_match_the_header() -> None:
    with pytest.raises(ValueError):
        csv_bytes(["a", "b"], [["only one"]])


def test_the_period_is_checked_and_the_export_is_for_managers_only(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(ValidationFailed):
        accounting_export(
            actor=alice.manager,
            organisation=alice.organisation,
            start=NOVEMBER[1],
            end=NOVEMBER[0],
        )
    for intruder in (bob.manager, alice.member):
        with pytest.raises(PermissionDenied):
            accounting_export(
                actor=intruder, organisation=alice.organisation, start=NOVEMBER[0], end=NOVEMBER[1]
            )


def test_the_statements_invoice_list_adds_up_to_its_totals(
    alice: Tenant, month: dict[str, object]
) -> None:
    statement = payout_statement_create(
        actor=alice.manager, organisation=alice.organisation, period_start=NOVEMBER[0]
    )
    header, *rows = rows_of(payout_statement_csv(statement))
    assert header == [
        "Facture",
        "Date de facture",
        "Client",
        "Avoirs",
        "Total TTC de la facture",
        "Encaissé",
        "Remboursé",
        "Frais de paiement",
        "Net",
    ]
    mixed, note = month["mixed"], month["note"]
    assert isinstance(mixed, Invoice) and isinstance(note, Invoice)
    assert rows == [
        [
            mixed.number,
            "03/11/2026",
            alice.member.full_name,
            note.number,
            "131,00",
            "131,00",
            "24,00",
            "2,22",
            "104,78",
        ]
    ]
    assert (statement.gross, statement.refunds, statement.fees, statement.net) == (
        D("131.00"),
        D("24.00"),
        D("2.22"),
        D("104.78"),
    )


def test_the_statement_pdf_shows_the_sums_and_the_invoices(
    alice: Tenant, month: dict[str, object]
) -> None:
    statement = payout_statement_create(
        actor=alice.manager, organisation=alice.organisation, period_start=NOVEMBER[0]
    )
    text = text_of(payout_statement_pdf(statement))
    assert "RELEVE DE REVERSEMENT" in text.upper().replace("É", "E")
    assert "du 01/11/2026 au 30/11/2026" in text
    assert "Net dû à l'organisation 104,78" in text
    mixed = month["mixed"]
    assert isinstance(mixed, Invoice)
    assert f"{mixed.number} 03/11/2026" in text
