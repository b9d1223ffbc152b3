"""Payouts and exports, for the organisation's managers: payout statements
(list, make, read, CSV and PDF, Stripe Connect transfer), the monthly
internal chargeback statement, the accounting export."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import PageNumberPagination, paginate

from flotte.api.common import actor, organisation
from flotte.api.schemas import (
    ErrorOut,
    PayoutStatementDetailOut,
    PayoutStatementIn,
    PayoutStatementOut,
)
from flotte.billing.chargeback import chargeback_csv, chargeback_statement, parse_month
from flotte.billing.exports import accounting_export, payout_statement_csv
from flotte.billing.models import PayoutStatement
from flotte.billing.payouts import (
    payout_statement_create,
    payout_statement_of,
    payout_statements_of,
    payout_transfer,
)
from flotte.billing.statement_pdf import chargeback_pdf, payout_statement_pdf

router = Router(tags=["payouts"])

REFUSED = {403: ErrorOut, 404: ErrorOut}


def _file(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _csv(content: bytes, name: str) -> HttpResponse:
    return _file(content, "text/csv; charset=utf-8", f"{name}.csv")


def _pdf(content: bytes, name: str) -> HttpResponse:
    return _file(content, "application/pdf", f"{name}.pdf")


def _statement(request: HttpRequest, org_id: int, statement_id: int) -> PayoutStatement:
    return payout_statement_of(
        actor=actor(request), organisation=organisation(org_id), statement_id=statement_id
    )


def _name(statement: PayoutStatement) -> str:
    return f"reversement-{statement.period_start.isoformat()}-{statement.period_end.isoformat()}"


@router.get("/organisations/{org_id}/payouts", response={200: list[PayoutStatementOut], **REFUSED})
@paginate(PageNumberPagination)
def payout_list(request: HttpRequest, org_id: int) -> QuerySet[PayoutStatement]:
    """The organisation's payout statements, latest period first."""
    return payout_statements_of(actor=actor(request), organisation=organisation(org_id))


@router.post(
    "/organisations/{org_id}/payouts",
    response={201: PayoutStatementDetailOut, 400: ErrorOut, 409: ErrorOut, **REFUSED},
)
def payout_create(
    request: HttpRequest, org_id: int, payload: PayoutStatementIn
) -> Status[PayoutStatement]:
    """Make the statement of a period that has ended (the scheduler makes
    them too, for organisations that take cards). Asking again for the
    same period gives the same statement: a statement never changes."""
    return Status(
        201,
        payout_statement_create(
            actor=actor(request),
            organisation=organisation(org_id),
            period_start=payload.period_start,
        ),
    )


@router.get(
    "/organisations/{org_id}/payouts/{statement_id}",
    response={200: PayoutStatementDetailOut, **REFUSED},
)
def payout_detail(request: HttpRequest, org_id: int, statement_id: int) -> PayoutStatement:
    """A statement with its invoice list."""
    return _statement(request, org_id, statement_id)


@router.get("/organisations/{org_id}/payouts/{statement_id}/csv", response={200: None, **REFUSED})
def payout_csv(request: HttpRequest, org_id: int, statement_id: int) -> HttpResponse:
    """The statement's invoice list as CSV (French: ``;``, decimal comma,
    UTF-8 with BOM)."""
    statement = _statement(request, org_id, statement_id)
    return _csv(payout_statement_csv(statement), _name(statement))


@router.get("/organisations/{org_id}/payouts/{statement_id}/pdf", response={200: None, **REFUSED})
def payout_pdf(request: HttpRequest, org_id: int, statement_id: int) -> HttpResponse:
    """The statement as PDF, with its invoice list."""
    statement = _statement(request, org_id, statement_id)
    return _pdf(payout_statement_pdf(statement), _name(statement))


@router.post(
    "/organisations/{org_id}/payouts/{statement_id}/transfer",
    response={200: PayoutStatementOut, 400: ErrorOut, 409: ErrorOut, 503: ErrorOut, **REFUSED},
)
def payout_transfer_post(request: HttpRequest, org_id: int, statement_id: int) -> PayoutStatement:
    """Transfer the statement's net to the organisation's Stripe Connect
    account (parameter ``payout_connect_account``). Never twice: a
    statement already transferred, or with nothing to transfer, comes back
    as it is."""
    statement = _statement(request, org_id, statement_id)
    return payout_transfer(actor=actor(request), statement=statement)


@router.get(
    "/organisations/{org_id}/chargeback/csv",
    response={200: None, 400: ErrorOut, 409: ErrorOut, **REFUSED},
)
def chargeback_csv_get(request: HttpRequest, org_id: int, month: str) -> HttpResponse:
    """The internal chargeback statement of a month (``month=YYYY-MM``):
    business invoices less their credit notes, by cost centre."""
    statement = chargeback_statement(
        actor=actor(request), organisation=organisation(org_id), month=parse_month(month)
    )
    return _csv(chargeback_csv(statement), f"refacturation-{statement.month:%Y-%m}")


@router.get(
    "/organisations/{org_id}/chargeback/pdf",
    response={200: None, 400: ErrorOut, 409: ErrorOut, **REFUSED},
)
def chargeback_pdf_get(request: HttpRequest, org_id: int, month: str) -> HttpResponse:
    """The internal chargeback statement of a month as PDF."""
    statement = chargeback_statement(
        actor=actor(request), organisation=organisation(org_id), month=parse_month(month)
    )
    return _pdf(chargeback_pdf(statement), f"refacturation-{statement.month:%Y-%m}")


@router.get(
    "/organisations/{org_id}/exports/accounting",
    response={200: None, 400: ErrorOut, **REFUSED},
)
def accounting_export_get(
    request: HttpRequest, org_id: int, start: dt.date, end: dt.date
) -> HttpResponse:
    """Invoices, credit notes, payments and refunds from ``start`` to
    ``end`` (both included, in the organisation's time zone), one row each,
    as CSV (French: ``;``, decimal comma, dates dd/mm/yyyy, UTF-8 with
    BOM). Credit notes and refunds are negative."""
    content = accounting_export(
        actor=actor(request), organisation=organisation(org_id), start=start, end=end
    )
    return _csv(content, f"export-comptable-{start.isoformat()}-{end.isoformat()}")
