"""Gapless numbering under concurrency, on PostgreSQL (the production
database): CI's second pass runs this against a real server."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from flotte.billing.amounts import LineInput
from flotte.billing.corrections import invoice_exceptional_create
from flotte.billing.models import Invoice, InvoiceCounter
from flotte.core.tenancy import cross_tenant
from tests.conftest import make_tenant

PARALLEL = 50


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_fifty_invoices_issued_in_parallel_are_numbered_1_to_50_each_once() -> None:
    if connection.vendor != "postgresql":
        pytest.fail("the concurrency test needs PostgreSQL (DATABASE_URL)")
    tenant = make_tenant("race")
    other = make_tenant("calm")
    # No counter row yet: the first issues also race to create it.
    assert not InvoiceCounter.objects.exists()
    barrier = threading.Barrier(PARALLEL)
    errors: list[BaseException] = []

    def issue(number: int) -> None:
        try:
            with cross_tenant("test thread"):
                barrier.wait()
                invoice_exceptional_create(
                    actor=tenant.manager,
                    organisation=tenant.organisation,
                    buyer=tenant.member,
                    lines=[LineInput(f"Badge perdu {number}", Decimal("15.00"), kind="lost_badge")],
                    reason="Badge perdu",
                )
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    issued = Invoice.objects.filter(organisation=tenant.organisation, state="issued")
    assert sorted(issued.values_list("sequence", flat=True)) == list(range(1, PARALLEL + 1))
    numbers = sorted(number.rsplit("-", 1)[1] for number in issued.values_list("number", flat=True))
    assert numbers == [f"{n:06d}" for n in range(1, PARALLEL + 1)]
    assert InvoiceCounter.objects.get(organisation=tenant.organisation).last_number == PARALLEL
    assert not Invoice.objects.filter(organisation=other.organisation).exists()
