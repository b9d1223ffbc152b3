"""Payouts and exports in the console: the payout statements with their CSV
and PDF, and the accounting export of a period."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from flotte.billing.exports import accounting_export, payout_statement_csv
from flotte.billing.payouts import payout_statement_of, payout_statements_of
from flotte.billing.statement_pdf import payout_statement_pdf
from flotte.core.errors import NotFound, ServiceError
from flotte.core.errors import PermissionDenied as Refused
from flotte.web.errors import add_to_form
from flotte.web.manage_forms import ExportForm
from flotte.web.views.manage import Console, manager_page


def _file(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@manager_page
def payouts(request: HttpRequest, console: Console) -> HttpResponse:
    """The statements; with ``start`` and ``end``, the accounting export."""
    try:
        statements = list(
            payout_statements_of(actor=console.user, organisation=console.organisation).order_by(
                "-period_start"
            )[:50]
        )
    except Refused:
        raise PermissionDenied from None
    form = ExportForm(request.GET or None)
    status = 200
    if form.is_bound:
        if form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
            try:
                content = accounting_export(
                    actor=console.user, organisation=console.organisation, start=start, end=end
                )
            except ServiceError as error:
                add_to_form(form, error)
            else:
                name = f"export-comptable-{start.isoformat()}-{end.isoformat()}.csv"
                return _file(content, "text/csv; charset=utf-8", name)
        status = 400
    return render(
        request,
        "web/manage/payouts.html",
        console.context(section="invoices", statements=statements, form=form),
        status=status,
    )


@manager_page
def payout_file(
    request: HttpRequest, console: Console, statement_id: int, fmt: str
) -> HttpResponse:
    try:
        statement = payout_statement_of(
            actor=console.user, organisation=console.organisation, statement_id=statement_id
        )
    except NotFound:
        raise Http404 from None
    except Refused:
        raise PermissionDenied from None
    name = f"reversement-{statement.period_start.isoformat()}-{statement.period_end.isoformat()}"
    if fmt == "csv":
        return _file(payout_statement_csv(statement), "text/csv; charset=utf-8", f"{name}.csv")
    if fmt == "pdf":
        return _file(payout_statement_pdf(statement), "application/pdf", f"{name}.pdf")
    raise Http404
