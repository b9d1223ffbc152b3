from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import File, Router, Status
from ninja.files import UploadedFile

from flotte.accounts.drivers import (
    booking_refusals,
    missing_for,
    profile_of,
    profile_submit,
    profile_update,
)
from flotte.accounts.models import DriverApproval, DriverProfile, Membership, User
from flotte.accounts.privacy import member_data_export, member_erase
from flotte.api.common import actor, provided
from flotte.api.schemas import (
    EraseIn,
    ErrorOut,
    MemberExportOut,
    MeOut,
    MePatch,
    ProfileIn,
    ProfileOut,
)
from flotte.core.audit import audit
from flotte.core.errors import NotFound, ValidationFailed

router = Router(tags=["me"])
DOCUMENTS = DriverProfile.DOCUMENT_FIELDS


def me_out(user: User) -> dict[str, Any]:
    memberships = list(
        Membership.objects.filter(user=user).select_related("community__organisation")
    )
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "language": user.language,
        "email_verified": user.email_verified_at is not None,
        "is_operator": user.is_operator,
        "memberships": memberships,
        "can_book": {
            m.community.slug: [r.message for r in booking_refusals(user, m.community)]
            for m in memberships
        },
    }


def profile_out(
    profile: DriverProfile, *, organisation_ids: set[int] | None = None
) -> dict[str, Any]:
    approvals = DriverApproval.objects.filter(user=profile.user).select_related("organisation")
    if organisation_ids is not None:
        approvals = approvals.filter(organisation_id__in=organisation_ids)
    missing = profile.missing_fields()
    first = approvals.first()
    if first is not None:
        missing = missing_for(profile, first.organisation)
    return {
        "birth_date": profile.birth_date,
        "licence_number": profile.licence_number,
        "licence_issued_on": profile.licence_issued_on,
        "licence_expires_on": profile.licence_expires_on,
        "has_licence_document": bool(profile.licence_document),
        "has_identity_document": bool(profile.identity_document),
        "missing": missing,
        "approvals": [
            {
                "organisation_id": a.organisation_id,
                "organisation": a.organisation.name,
                "status": a.status,
                "reason": a.reason,
            }
            for a in approvals
        ],
    }


@router.get("", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    return me_out(actor(request))


@router.patch("", response={200: MeOut, 400: ErrorOut, 422: ErrorOut})
def me_update(request: HttpRequest, payload: MePatch) -> dict[str, Any]:
    user = actor(request)
    fields = provided(payload)
    if "language" in fields and fields["language"] not in {"fr", "en"}:
        raise ValidationFailed("language must be fr or en", fields={"language": "fr or en"})
    for name, value in fields.items():
        setattr(user, name, value.strip() if isinstance(value, str) else value)
    user.save(update_fields=list(fields) or None)
    return me_out(user)


@router.get("/profile", response=ProfileOut)
def profile(request: HttpRequest) -> dict[str, Any]:
    return profile_out(profile_of(actor(request)))


@router.put("/profile", response={200: ProfileOut, 400: ErrorOut, 422: ErrorOut})
def profile_put(request: HttpRequest, payload: ProfileIn) -> dict[str, Any]:
    fields = {name: value for name, value in provided(payload).items()}
    if "licence_number" in fields and fields["licence_number"] is None:
        fields["licence_number"] = ""
    return profile_out(profile_update(user=actor(request), data=fields))


@router.post("/profile/documents/{kind}", response={200: ProfileOut, 400: ErrorOut, 404: ErrorOut})
def document_upload(request: HttpRequest, kind: str, file: File[UploadedFile]) -> dict[str, Any]:
    """Upload the driving licence or the identity document (PDF or image, 5 MiB)."""
    if kind not in DOCUMENTS:
        raise NotFound(f"documents are {', '.join(DOCUMENTS)}")
    return profile_out(profile_update(user=actor(request), data={}, files={kind: file}))


@router.get("/profile/documents/{kind}", response={200: None, 404: ErrorOut})
def document_download(request: HttpRequest, kind: str) -> FileResponse:
    if kind not in DOCUMENTS:
        raise NotFound(f"documents are {', '.join(DOCUMENTS)}")
    return document_response(profile_of(actor(request)), kind, actor(request))


def document_response(
    profile: DriverProfile, kind: str, viewer: User, organisation_id: int | None = None
) -> FileResponse:
    """A document as an attachment. A view by someone else (a manager) is
    audited in the manager's organisation."""
    document = getattr(profile, kind)
    if not document:
        raise NotFound("no such document uploaded")
    if viewer.pk != profile.user_id:
        audit(
            "driver_profile.document_viewed",
            profile,
            actor=viewer,
            organisation_id=organisation_id,
            data={"kind": kind, "member": profile.user_id},
        )
    return FileResponse(
        document.open("rb"),
        as_attachment=True,
        filename=f"{kind}.{document.name.rsplit('.', 1)[-1]}",
    )


@router.post("/profile/submit", response={200: ProfileOut, 400: ErrorOut})
def submit(request: HttpRequest) -> dict[str, Any]:
    """Send the completed profile to the organisations for validation."""
    user = actor(request)
    profile_submit(user=user)
    return profile_out(profile_of(user))


@router.get("/export", response=MemberExportOut)
def export(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    """Everything Flotte holds about you, as a JSON file (GDPR access and
    portability)."""
    response["Content-Disposition"] = 'attachment; filename="flotte-data.json"'
    return member_data_export(actor(request))


ERASE_CONFIRMATION = "ERASE"


@router.post("/erase", response={204: None, 400: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def erase(request: HttpRequest, payload: EraseIn) -> Status[None]:
    """Erase your account and personal data (GDPR). Send
    ``{"confirm": "ERASE"}``. Refused while you have a booking confirmed or
    under way. Bookings and their amounts are kept, anonymised, for the
    organisations' accounting. You are logged out."""
    if payload.confirm != ERASE_CONFIRMATION:
        raise ValidationFailed(
            f'send {{"confirm": "{ERASE_CONFIRMATION}"}} to erase your account',
            code="confirmation_required",
            fields={"confirm": f'type "{ERASE_CONFIRMATION}"'},
        )
    user = actor(request)
    member_erase(actor=user, user=user)
    logout(request)
    return Status(204, None)
