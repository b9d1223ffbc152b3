"""The audit log: every state change that matters writes one entry."""

from __future__ import annotations

from typing import Any

from django.db import models

from flotte.core import clock
from flotte.core.context import current_origin
from flotte.core.models import AuditEntry
from flotte.core.tenancy import organisation_id_of


def audit(
    action: str,
    obj: models.Model,
    *,
    actor: Any = None,
    organisation_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record ``action`` (``vehicle.created``, ``member.suspended``...) on ``obj``.

    The organisation is taken from the object's tenant path unless given; the
    source and IP come from the current origin (web, api, scheduler...)."""
    if organisation_id is None and hasattr(obj, "tenant_path"):
        organisation_id = organisation_id_of(obj)
    origin = current_origin()
    user = actor if actor is not None and getattr(actor, "pk", None) else None
    label = user.email if user is not None else (str(actor) if actor else origin.source)
    return AuditEntry.objects.create(
        organisation_id=organisation_id,
        actor=user,
        actor_label=label[:200],
        source=origin.source,
        ip=origin.ip,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data or {},
        created_at=clock.now(),
    )
