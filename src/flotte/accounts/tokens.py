"""API tokens for mobile apps and integrations: ``flt_<prefix>_<secret>``.
Only the prefix and a SHA-256 of the whole token are stored; the token is
shown once, when created."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import transaction

from flotte.accounts.models import ApiToken, User
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import NotFound, ValidationFailed

PREFIX_LENGTH = 10
LAST_USED_PRECISION = dt.timedelta(minutes=5)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, name: str, kind: str = ApiToken.Kind.PERSONAL, valid_days: int | None = None
) -> tuple[ApiToken, str]:
    if kind not in ApiToken.Kind.values:
        raise ValidationFailed(f"unknown token kind {kind!r}", fields={"kind": "unknown"})
    if not name.strip():
        raise ValidationFailed(
            "name the token (the device or integration)", fields={"name": "required"}
        )
    if valid_days is not None and not 1 <= valid_days <= 3650:
        raise ValidationFailed(
            "a token lasts 1 to 3650 days", fields={"valid_days": "out of range"}
        )
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    raw = f"flt_{prefix}_{secrets.token_urlsafe(32)}"
    at = clock.now()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        kind=kind,
        prefix=prefix,
        secret_hash=_digest(raw),
        created_at=at,
        expires_at=at + dt.timedelta(days=valid_days) if valid_days else None,
    )
    audit("api_token.created", token, actor=user, data={"name": token.name, "kind": kind})
    return token, raw


def api_token_authenticate(raw: str) -> User | None:
    """The user of a valid token, or None."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "flt" or len(parts[1]) != PREFIX_LENGTH:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(raw)):
        return None
    at = clock.now()
    if token.revoked_at is not None or (token.expires_at and token.expires_at <= at):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or at - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=at)
    return token.user


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id, user=user, revoked_at=None).first()
    if token is None:
        raise NotFound("no such active token")
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    audit("api_token.revoked", token, actor=user)
    return token
