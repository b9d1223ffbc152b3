"""Who sees which invoices and payments."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from flotte.accounts.models import Organisation, OrganisationManager, User
from flotte.accounts.selectors import is_operator, require_manager_of_organisation
from flotte.billing.models import Invoice, Payment
from flotte.core.errors import NotFound


def invoices_visible_to(user: User) -> QuerySet[Invoice]:
    """A member sees the invoices and credit notes issued to them; a manager
    every invoice of the organisations they manage, drafts and queue
    included. Still scoped by the request's tenant scope."""
    invoices = Invoice.objects.select_related("organisation", "credits")
    if is_operator(user):
        return invoices
    managed = OrganisationManager.objects.filter(user=user).values("organisation_id")
    return invoices.filter(
        Q(buyer=user, state=Invoice.State.ISSUED) | Q(organisation_id__in=managed)
    )


def invoice_visible(user: User, invoice_id: int) -> Invoice:
    """One invoice the user may see; 404 otherwise (another organisation's
    invoice is not acknowledged to exist)."""
    try:
        return invoices_visible_to(user).get(pk=invoice_id)
    except Invoice.DoesNotExist:
        raise NotFound("no such invoice") from None


def validation_queue(*, actor: User, organisation: Organisation) -> QuerySet[Invoice]:
    """Invoices waiting for a manager's validation, oldest first."""
    require_manager_of_organisation(actor, organisation)
    return (
        Invoice.objects.filter(organisation=organisation, state=Invoice.State.PENDING_VALIDATION)
        .select_related("buyer", "booking")
        .order_by("created_at", "id")
    )


def payments_visible_to(user: User) -> QuerySet[Payment]:
    """A member sees their own payments; a manager every payment of the
    organisations they manage."""
    payments = Payment.objects.all()
    if is_operator(user):
        return payments
    managed = OrganisationManager.objects.filter(user=user).values("organisation_id")
    return payments.filter(Q(user=user) | Q(organisation_id__in=managed))
