from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Router, Status

from flotte.accounts.models import ApiToken
from flotte.accounts.throttle import login_blocked, login_failed, login_succeeded
from flotte.accounts.tokens import api_token_create, api_token_revoke
from flotte.api.common import actor
from flotte.api.schemas import ErrorOut, TokenCreatedOut, TokenIn, TokenOut
from flotte.core.errors import ServiceError
from flotte.core.middleware import client_ip

router = Router(tags=["auth"])


class BadCredentials(ServiceError):
    status = 401
    code = "bad_credentials"


class TooManyAttempts(ServiceError):
    status = 429
    code = "too_many_attempts"


@router.post(
    "/token",
    auth=None,
    response={201: TokenCreatedOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
)
def token_create(request: HttpRequest, payload: TokenIn) -> Status[dict[str, object]]:
    """Exchange an e-mail and password for a token (shown once)."""
    ip = client_ip(request)
    if login_blocked(payload.email, ip):
        raise TooManyAttempts("too many failed attempts: try again in 15 minutes")
    user = authenticate(request, email=payload.email.strip().lower(), password=payload.password)
    if user is None or not user.is_active:
        login_failed(payload.email, ip)
        raise BadCredentials("wrong e-mail or password")
    login_succeeded(payload.email, ip)
    token, raw = api_token_create(
        user=user,
        name=payload.name,
        kind=payload.kind,  # type: ignore[arg-type]
        valid_days=payload.valid_days,
    )
    return Status(
        201,
        {
            "id": token.pk,
            "token": raw,
            "prefix": token.prefix,
            "name": token.name,
            "kind": token.kind,
            "expires_at": token.expires_at,
        },
    )


@router.get("/tokens", response=list[TokenOut])
def token_list(request: HttpRequest) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=actor(request)).order_by("-created_at"))


@router.delete("/tokens/{token_id}", response={204: None, 404: ErrorOut})
def token_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    api_token_revoke(user=actor(request), token_id=token_id)
    return Status(204, None)
