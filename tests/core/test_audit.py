from __future__ import annotations

from flotte.core.audit import audit
from flotte.core.context import origin
from flotte.core.models import AuditEntry
from tests.conftest import Api, Tenant


def test_an_entry_records_actor_object_organisation_and_origin(alice: Tenant) -> None:
    with origin("scheduler", "10.0.0.1"):
        entry = audit("vehicle.checked", alice.vehicle, actor=alice.manager, data={"k": 1})
    assert entry.organisation_id == alice.organisation.pk
    assert entry.actor == alice.manager
    assert entry.actor_label == alice.manager.email
    assert (entry.source, entry.ip) == ("scheduler", "10.0.0.1")
    assert (entry.object_type, entry.object_id) == ("fleet.vehicle", str(alice.vehicle.pk))
    assert entry.data == {"k": 1}


def test_an_api_change_is_audited_with_the_api_as_source(alice: Tenant) -> None:
    Api(alice.manager).post(
        f"vehicles/{alice.vehicle.pk}/status", {"status": "maintenance", "note": "pneus"}
    )
    entry = AuditEntry.objects.get(action="vehicle.status_changed")
    assert entry.source == "api"
    assert entry.ip == "127.0.0.1"
    assert entry.data == {"from": "available", "to": "maintenance", "note": "pneus"}
