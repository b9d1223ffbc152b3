"""Invoices and credit notes: members read theirs, managers run the
validation queue, add penalties, issue exceptional invoices and credit
notes."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import PageNumberPagination, paginate

from flotte.accounts.selectors import member_of_organisation
from flotte.api.common import actor, organisation
from flotte.api.schemas import (
    CreditNoteIn,
    ErrorOut,
    ExceptionalInvoiceIn,
    InvoiceLineIn,
    InvoiceLineOut,
    InvoiceOut,
)
from flotte.billing.amounts import LineInput
from flotte.billing.corrections import credit_note_issue, invoice_exceptional_create
from flotte.billing.models import Invoice, InvoiceLine
from flotte.billing.pdf import invoice_pdf
from flotte.billing.selectors import invoice_visible, invoices_visible_to, validation_queue
from flotte.billing.services import (
    invoice_line_add,
    invoice_line_change,
    invoice_line_remove,
    invoice_validate,
)

router = Router(tags=["billing"])


def _line(payload: InvoiceLineIn) -> LineInput:
    return LineInput(
        label=payload.label,
        unit_price_incl_vat=payload.unit_price_incl_vat,
        quantity=payload.quantity,
        vat_rate=payload.vat_rate,
        kind=payload.kind,
    )


@router.get("/invoices", response=list[InvoiceOut])
@paginate(PageNumberPagination)
def invoice_list(request: HttpRequest) -> QuerySet[Invoice]:
    """Your invoices and credit notes; for a manager, every invoice of the
    organisations they manage."""
    return invoices_visible_to(actor(request)).order_by("-created_at")


@router.get("/invoices/{invoice_id}", response={200: InvoiceOut, 404: ErrorOut})
def invoice_detail(request: HttpRequest, invoice_id: int) -> Invoice:
    return invoice_visible(actor(request), invoice_id)


@router.get("/invoices/{invoice_id}/pdf", response={200: None, 404: ErrorOut})
def invoice_download(request: HttpRequest, invoice_id: int, facturx: bool = True) -> HttpResponse:
    """The invoice as a PDF, with its Factur-X (CII) XML embedded unless
    ``facturx=false``."""
    invoice = invoice_visible(actor(request), invoice_id)
    name = (invoice.number or f"brouillon-{invoice.pk}").replace("/", "-")
    response = HttpResponse(invoice_pdf(invoice, facturx=facturx), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@router.get(
    "/organisations/{org_id}/invoices/queue",
    response={200: list[InvoiceOut], 403: ErrorOut, 404: ErrorOut},
)
@paginate(PageNumberPagination)
def invoice_queue(request: HttpRequest, org_id: int) -> QuerySet[Invoice]:
    """Invoices waiting for a manager's validation, oldest first."""
    return validation_queue(actor=actor(request), organisation=organisation(org_id))


@router.post(
    "/invoices/{invoice_id}/validate",
    response={200: InvoiceOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def invoice_validate_post(request: HttpRequest, invoice_id: int) -> Invoice:
    invoice = invoice_visible(actor(request), invoice_id)
    return invoice_validate(actor=actor(request), invoice=invoice)


@router.post(
    "/invoices/{invoice_id}/lines",
    response={201: InvoiceLineOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def invoice_line_post(
    request: HttpRequest, invoice_id: int, payload: InvoiceLineIn
) -> Status[InvoiceLine]:
    """Add a line (cleaning, fuel, lost badge, damage...) to an invoice not
    yet issued: it then waits for validation."""
    invoice = invoice_visible(actor(request), invoice_id)
    return Status(201, invoice_line_add(actor=actor(request), invoice=invoice, line=_line(payload)))


@router.put(
    "/invoices/{invoice_id}/lines/{position}",
    response={200: InvoiceLineOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def invoice_line_put(
    request: HttpRequest, invoice_id: int, position: int, payload: InvoiceLineIn
) -> InvoiceLine:
    invoice = invoice_visible(actor(request), invoice_id)
    return invoice_line_change(
        actor=actor(request), invoice=invoice, position=position, line=_line(payload)
    )


@router.delete(
    "/invoices/{invoice_id}/lines/{position}",
    response={200: InvoiceOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def invoice_line_delete(request: HttpRequest, invoice_id: int, position: int) -> Invoice:
    invoice = invoice_visible(actor(request), invoice_id)
    return invoice_line_remove(actor=actor(request), invoice=invoice, position=position)


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    response={201: InvoiceOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def credit_note_post(
    request: HttpRequest, invoice_id: int, payload: CreditNoteIn
) -> Status[Invoice]:
    """Correct an issued invoice, in full (no lines) or in part."""
    invoice = invoice_visible(actor(request), invoice_id)
    lines = [_line(line) for line in payload.lines] if payload.lines is not None else None
    return Status(
        201,
        credit_note_issue(
            actor=actor(request), invoice=invoice, reason=payload.reason, lines=lines
        ),
    )


@router.post(
    "/organisations/{org_id}/invoices",
    response={201: InvoiceOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def exceptional_invoice_post(
    request: HttpRequest, org_id: int, payload: ExceptionalInvoiceIn
) -> Status[Any]:
    """An exceptional invoice, such as a damage excess, issued at once."""
    org = organisation(org_id)
    buyer = member_of_organisation(org, actor(request), payload.buyer_id)
    return Status(
        201,
        invoice_exceptional_create(
            actor=actor(request),
            organisation=org,
            buyer=buyer,
            lines=[_line(line) for line in payload.lines],
            reason=payload.reason,
            business=payload.business,
            cost_centre=payload.cost_centre,
        ),
    )
