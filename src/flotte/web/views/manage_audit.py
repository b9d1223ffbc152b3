"""The organisation's audit log in the console, newest first, by kind."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from flotte.accounts.selectors import manages_organisation
from flotte.core.models import AuditEntry
from flotte.web.views.manage import Console, manager_page

PER_PAGE = 50


@manager_page
def audit_log(request: HttpRequest, console: Console) -> HttpResponse:
    """Organisation managers only, as on the REST route."""
    if not manages_organisation(console.user, console.organisation.pk):
        raise PermissionDenied
    entries = AuditEntry.objects.filter(organisation=console.organisation)
    kinds = sorted(
        {action.split(".")[0] for action in entries.values_list("action", flat=True).distinct()}
    )
    kind = request.GET.get("kind", "")
    if kind in kinds:
        entries = entries.filter(action__startswith=f"{kind}.")
    else:
        kind = ""
    page = Paginator(
        entries.select_related("actor").order_by("-created_at", "-pk"), PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "web/manage/audit.html",
        console.context(section="audit", page=page, kinds=kinds, kind=kind),
    )
