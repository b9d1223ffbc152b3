"""A member's personal data (GDPR): the export of everything Flotte holds
about them (right of access and portability, articles 15 and 20) and the
erasure of their account (right to erasure, article 17).

A person's data spans every organisation they belong to, so both services
run in a visible cross-tenant scope, bounded to that one person's rows."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.fields.files import FieldFile

from flotte.accounts.models import (
    ApiToken,
    DriverApproval,
    DriverProfile,
    Invitation,
    Membership,
    OrganisationManager,
    Suspension,
    User,
)
from flotte.accounts.selectors import is_operator
from flotte.billing.privacy import billing_data_erase, billing_data_export
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, PermissionDenied
from flotte.core.models import AuditEntry
from flotte.core.tenancy import cross_tenant
from flotte.fleet.models import Badge
from flotte.inspections.privacy import inspection_data_erase, inspection_data_export
from flotte.notify.privacy import notification_data_erase, notification_data_export
from flotte.telematics.models import Command, DigitalKey, PrivateModeSwitch, Telemetry, Trip

ERASED_NAME = "Erased"

ABOUT: dict[str, dict[str, str]] = {
    "fr": {
        "generated_at": "Date et heure de cet export.",
        "account": "Votre compte : e-mail, nom, téléphone, langue et dates.",
        "driver_profile": (
            "Votre profil de conducteur : date de naissance, permis, et les documents "
            "déposés (leur nom et leur date de dépôt, pas leur contenu, que vous pouvez "
            "télécharger depuis votre profil)."
        ),
        "manager_roles": "Les organisations dont vous êtes gestionnaire de flotte.",
        "memberships": "Les communautés dont vous êtes membre, avec votre rôle et votre groupe.",
        "approvals": "Les décisions de chaque organisation sur votre profil de conducteur.",
        "suspensions": "Les suspensions décidées à votre égard.",
        "badges": "Les badges qui vous sont attribués.",
        "invitations": "Les invitations envoyées à votre adresse e-mail.",
        "bookings": "Vos réservations : horaires, véhicule, état, kilomètres et montants.",
        "trips": (
            "Vos trajets : horaires, compteur et énergie ; les positions de départ et "
            "d'arrivée seulement si elles sont encore conservées."
        ),
        "private_mode_switches": "Les heures où vous avez activé ou coupé le mode privé.",
        "digital_keys": "Les clés numériques émises pour vos réservations.",
        "commands": "Les commandes (ouverture, fermeture...) que vous avez demandées.",
        "audit_entries": "Les actions que vous avez faites, telles que le journal les trace.",
        "api_tokens": "Vos jetons d'accès à l'API (jamais le secret).",
        "invoices": "Vos factures et avoirs émis.",
        "payment_cards": (
            "Les cartes enregistrées : marque, quatre derniers chiffres et expiration "
            "(la carte elle-même reste chez le prestataire de paiement)."
        ),
        "payments": "Vos paiements et pré-autorisations, avec leur état.",
        "refunds": "Les remboursements faits sur vos paiements.",
        "notifications": "Les messages envoyés (e-mail, SMS, notification) et leur état.",
        "notification_choices": "Vos choix de canaux pour chaque événement.",
        "push_devices": "Les appareils qui reçoivent vos notifications.",
        "trip_surveys": "Vos réponses aux questionnaires de satisfaction.",
        "mailing_opt_outs": "Les organisations dont vous ne recevez plus les envois groupés.",
        "inspections": (
            "Vos états des lieux : marques de dégâts, énergie, compteur, propreté, "
            "commentaire et la liste de vos photos."
        ),
        "incidents": "Les incidents que vous avez signalés, avec leur suite et vos photos.",
    },
    "en": {
        "generated_at": "When this export was made.",
        "account": "Your account: e-mail, name, phone, language and dates.",
        "driver_profile": (
            "Your driver profile: birth date, licence, and the documents you uploaded "
            "(their names and upload dates, not their content, which you can download "
            "from your profile)."
        ),
        "manager_roles": "The organisations whose fleet you manage.",
        "memberships": "The communities you belong to, with your role and group.",
        "approvals": "Each organisation's decision on your driver profile.",
        "suspensions": "The suspensions decided about you.",
        "badges": "The badges issued to you.",
        "invitations": "The invitations sent to your e-mail address.",
        "bookings": "Your bookings: times, vehicle, state, kilometres and amounts.",
        "trips": (
            "Your trips: times, odometer and energy; start and end positions only while "
            "they are still kept."
        ),
        "private_mode_switches": "When you switched private mode on or off.",
        "digital_keys": "The digital keys issued for your bookings.",
        "commands": "The commands (unlock, lock...) you asked for.",
        "audit_entries": "What you did, as the audit log records it.",
        "api_tokens": "Your API tokens (never their secret).",
        "invoices": "Your issued invoices and credit notes.",
        "payment_cards": (
            "Your saved cards: brand, last four digits and expiry (the card itself stays "
            "with the payment provider)."
        ),
        "payments": "Your payments and pre-authorisations, with their states.",
        "refunds": "The refunds made on your payments.",
        "notifications": "The messages sent to you (e-mail, SMS, push) and their states.",
        "notification_choices": "Your choice of channels for each event.",
        "push_devices": "The devices that receive your notifications.",
        "trip_surveys": "Your answers to the trip surveys.",
        "mailing_opt_outs": "The organisations whose mailings you no longer receive.",
        "inspections": (
            "Your inspections: damage marks, energy, odometer, cleanliness, comment and "
            "the list of your photos."
        ),
        "incidents": "The incidents you reported, with what became of them and your photos.",
    },
}


def _plain(value: Any) -> Any:
    """JSON-ready: ISO dates and times, decimals and UUIDs as strings."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def _document(field: FieldFile) -> dict[str, Any] | None:
    name = field.name
    if not name:
        return None
    try:
        uploaded_at: dt.datetime | None = field.storage.get_modified_time(name)
    except (NotImplementedError, OSError):
        uploaded_at = None
    return {"file": name.rsplit("/", 1)[-1], "uploaded_at": uploaded_at}


def _position(latitude: float | None, longitude: float | None) -> dict[str, float] | None:
    if latitude is None or longitude is None:
        return None
    return {"latitude": latitude, "longitude": longitude}


def member_data_export(user: User) -> dict[str, Any]:
    """Everything Flotte holds about ``user``, as JSON-ready data.

    Left out on purpose: secrets (password hash, API token hashes, the
    calendar feed's token), the documents' bytes (downloadable from the
    profile), and the ``data`` of the audit entries, which may name other
    people (a manager's invitation names the person invited)."""
    with cross_tenant("a member's own data export, across their organisations"):
        profile = DriverProfile.objects.filter(user=user).first()
        driver_profile = None
        if profile is not None:
            driver_profile = {
                **{name: getattr(profile, name) for name in DriverProfile.DATA_FIELDS},
                **{
                    name: _document(getattr(profile, name))
                    for name in DriverProfile.DOCUMENT_FIELDS
                },
                "updated_at": profile.updated_at,
            }
        data: dict[str, Any] = {
            "generated_at": clock.now(),
            "about": ABOUT,
            "account": {
                "id": user.pk,
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "phone": user.phone,
                "language": user.language,
                "email_verified_at": user.email_verified_at,
                "date_joined": user.date_joined,
                "last_login": user.last_login,
                "is_active": user.is_active,
                "is_operator": user.is_operator,
                "has_calendar_feed": bool(user.calendar_token),
            },
            "driver_profile": driver_profile,
            "manager_roles": [
                {"organisation": role.organisation.name, "since": role.since}
                for role in OrganisationManager.objects.filter(user=user)
                .select_related("organisation")
                .order_by("since")
            ],
            "memberships": [
                {
                    "organisation": m.community.organisation.name,
                    "community": m.community.name,
                    "community_slug": m.community.slug,
                    "role": m.role,
                    "group": m.group.name if m.group else None,
                    "cost_centre": m.cost_centre,
                    "joined_at": m.joined_at,
                }
                for m in Membership.objects.filter(user=user)
                .select_related("community__organisation", "group")
                .order_by("joined_at")
            ],
            "approvals": [
                {
                    "organisation": a.organisation.name,
                    "status": a.status,
                    "reason": a.reason,
                    "submitted_at": a.submitted_at,
                    "decided_at": a.decided_at,
                    "licence_expires_on": a.licence_expires_on,
                }
                for a in DriverApproval.objects.filter(user=user)
                .select_related("organisation")
                .order_by("submitted_at")
            ],
            "suspensions": [
                {
                    "organisation": s.organisation.name,
                    "kind": s.kind,
                    "reason": s.reason,
                    "starts_at": s.starts_at,
                    "ends_at": s.ends_at,
                    "lifted_at": s.lifted_at,
                }
                for s in Suspension.objects.filter(user=user)
                .select_related("organisation")
                .order_by("starts_at")
            ],
            "badges": [
                {
                    "organisation": b.organisation.name,
                    "uid": b.uid,
                    "label": b.label,
                    "active": b.active,
                    "issued_at": b.issued_at,
                    "deactivated_at": b.deactivated_at,
                }
                for b in Badge.objects.filter(user=user)
                .select_related("organisation")
                .order_by("issued_at")
            ],
            "invitations": [
                {
                    "organisation": i.community.organisation.name,
                    "community": i.community.name,
                    "role": i.role,
                    "created_at": i.created_at,
                    "expires_at": i.expires_at,
                    "accepted_at": i.accepted_at,
                }
                for i in Invitation.objects.filter(email__iexact=user.email)
                .select_related("community__organisation")
                .order_by("created_at")
            ],
            "bookings": [
                {
                    "id": b.pk,
                    "organisation": b.organisation.name,
                    "community": b.community.name,
                    "vehicle": b.vehicle.plate,
                    "vehicle_model": f"{b.vehicle.make} {b.vehicle.model}",
                    "start": b.start,
                    "end": b.end,
                    "state": b.state,
                    "use": b.use,
                    "purpose": b.purpose,
                    "destination": b.destination,
                    "cost_centre": b.cost_centre,
                    "declared_km": b.declared_km,
                    "actual_km": b.actual_km,
                    "quoted_total": b.quoted_total,
                    "final_total": b.final_total,
                    "cancellation_fee": b.cancellation_fee,
                    "late_penalty": b.late_penalty,
                    "created_at": b.created_at,
                    "started_at": b.started_at,
                    "ended_at": b.ended_at,
                    "cancelled_at": b.cancelled_at,
                }
                for b in Booking.objects.filter(member=user)
                .select_related("organisation", "community", "vehicle")
                .order_by("start")
            ],
            "trips": [
                {
                    "booking_id": t.booking_id,
                    "vehicle": t.vehicle.plate,
                    "started_at": t.started_at,
                    "ended_at": t.ended_at,
                    "start_odometer_km": t.start_odometer_km,
                    "end_odometer_km": t.end_odometer_km,
                    "km": t.km,
                    "start_energy_pct": t.start_energy_pct,
                    "end_energy_pct": t.end_energy_pct,
                    "private_mode": t.private_mode,
                    "start_position": _position(t.start_latitude, t.start_longitude),
                    "end_position": _position(t.end_latitude, t.end_longitude),
                }
                for t in Trip.objects.filter(booking__member=user)
                .select_related("vehicle")
                .order_by("started_at")
            ],
            "private_mode_switches": [
                {"booking_id": s.trip.booking_id, "on": s.on, "at": s.at}
                for s in PrivateModeSwitch.objects.filter(trip__booking__member=user)
                .select_related("trip")
                .order_by("at")
            ],
            "digital_keys": [
                {
                    "booking_id": k.booking_id,
                    "key_id": k.key_id,
                    "not_before": k.not_before,
                    "not_after": k.not_after,
                    "issued_at": k.issued_at,
                }
                for k in DigitalKey.objects.filter(booking__member=user).order_by("issued_at")
            ],
            "commands": [
                {
                    "organisation": c.organisation.name,
                    "vehicle": c.vehicle.plate if c.vehicle else None,
                    "booking_id": c.booking_id,
                    "kind": c.kind,
                    "state": c.state,
                    "issued_at": c.issued_at,
                    "answered_at": c.answered_at,
                }
                for c in Command.objects.filter(requested_by=user)
                .select_related("organisation", "vehicle")
                .order_by("issued_at")
            ],
            "audit_entries": [
                {
                    "organisation": e.organisation.name if e.organisation else None,
                    "action": e.action,
                    "object_type": e.object_type,
                    "object_id": e.object_id,
                    "source": e.source,
                    "ip": e.ip,
                    "created_at": e.created_at,
                }
                for e in AuditEntry.objects.filter(actor=user)
                .select_related("organisation")
                .order_by("created_at", "id")
            ],
            **billing_data_export(user),
            **notification_data_export(user),
            **inspection_data_export(user),
            "api_tokens": [
                {
                    "name": t.name,
                    "kind": t.kind,
                    "prefix": t.prefix,
                    "created_at": t.created_at,
                    "expires_at": t.expires_at,
                    "last_used_at": t.last_used_at,
                    "revoked_at": t.revoked_at,
                }
                for t in ApiToken.objects.filter(user=user).order_by("created_at")
            ],
        }
    return _plain(data)  # type: ignore[no-any-return]


def erased_email(user: User) -> str:
    return f"erased-{user.pk}@invalid"


@transaction.atomic
def member_erase(*, actor: User, user: User) -> None:
    """Erase ``user``'s personal data, at their own request (or the
    operator's). Refused while they have a booking confirmed or started:
    cancel or end it first.

    Erased: the account is anonymised (e-mail ``erased-<id>@invalid``, names
    "Erased", phone blank, unusable password, inactive, calendar feed
    closed); the driver profile is blanked (birth date, licence) and its
    uploaded documents deleted from storage once the transaction commits;
    the licence expiry copied onto each organisation's approval is blanked;
    API tokens are deleted; badges are deactivated and unassigned; pending
    invitations to the e-mail are deleted (accepted ones get the anonymised
    address); the positions of their trips, and of the telemetry recorded
    during them, are blanked; private-mode switches and digital keys are
    deleted; saved cards are forgotten (and the payment provider's customer
    deleted after commit); notifications, channel choices, push devices and
    mailing opt-outs are deleted and survey comments blanked; the positions
    of the incidents they reported are blanked. Audit entries
    that named the e-mail in their data
    (``email``/``user`` keys: invitations, manager appointments) get the
    anonymised address.

    Kept, because the organisations must keep them: bookings with their
    amounts, purposes and kilometres, invoices, payments and refunds,
    inspections and incident reports with their photos (the vehicles'
    condition, on which a damage excess rests), still linked to the anonymised
    account — they back invoices and accounting records, which French law
    requires to be kept 10 years (Code de commerce, article L123-22);
    memberships, approvals and suspensions (the organisations' own
    decisions); commands they requested; and the audit log, whose entries
    keep their link to the account while their ``actor_label`` becomes the
    anonymised e-mail. None of these names the person any more.

    Each organisation the person belonged to gets a ``member.erased`` audit
    entry holding no personal data. No box access list changes: without a
    confirmed or started booking the member is on none."""
    if actor.pk != user.pk and not is_operator(actor):
        raise PermissionDenied("only the member themself or the operator may erase an account")
    with cross_tenant("erasure of a member's personal data, across their organisations"):
        locked = User.objects.select_for_update().get(pk=user.pk)
        anonymised = erased_email(user)
        if locked.email == anonymised:
            raise Conflict("this account is already erased", code="already_erased")
        active = Booking.objects.filter(member=user, state__in=Booking.BLOCKING).count()
        if active:
            raise Conflict(
                f"{active} booking(s) confirmed or under way: cancel or end them before "
                "erasing the account",
                code="active_bookings",
            )
        now = clock.now()
        old_email = locked.email
        organisation_ids = _organisations_of(user)

        # The account.
        user.email = anonymised
        user.first_name = user.last_name = ERASED_NAME
        user.phone = ""
        user.email_verified_at = None
        user.last_login = None
        user.calendar_token = ""
        user.is_active = False
        user.is_staff = user.is_superuser = user.is_operator = False
        user.set_unusable_password()
        user.save()
        user.groups.clear()
        user.user_permissions.clear()

        # The driver profile and its documents.
        documents = []
        profile = DriverProfile.objects.filter(user=user).first()
        if profile is not None:
            for name in DriverProfile.DOCUMENT_FIELDS:
                field = getattr(profile, name)
                if field:
                    documents.append((field.storage, field.name))
                setattr(profile, name, "")
            profile.birth_date = None
            profile.licence_number = ""
            profile.licence_issued_on = None
            profile.licence_expires_on = None
            profile.save()
        for storage, name in documents:
            transaction.on_commit(functools.partial(storage.delete, name))
        DriverApproval.objects.filter(user=user).update(licence_expires_on=None)

        ApiToken.objects.filter(user=user).delete()

        badges = list(Badge.objects.filter(user=user))
        for badge in badges:
            was_active = badge.active
            badge.user = None
            badge.active = False
            badge.deactivated_at = badge.deactivated_at or now
            badge.save(update_fields=["user", "active", "deactivated_at"])
            if was_active:
                audit(
                    "badge.deactivated",
                    badge,
                    actor=actor if actor.pk != user.pk else user,
                    data={"reason": "member erased"},
                )

        Invitation.objects.filter(email__iexact=old_email, accepted_at__isnull=True).delete()
        Invitation.objects.filter(email__iexact=old_email).update(email=anonymised)

        trips = Trip.objects.filter(booking__member=user)
        for trip in trips.select_related("booking"):
            until = trip.ended_at or trip.booking.ended_at or trip.booking.blocked_until
            Telemetry.objects.filter(
                vehicle_id=trip.vehicle_id,
                ts__gte=trip.started_at,
                ts__lte=until,
                latitude__isnull=False,
            ).update(latitude=None, longitude=None, accuracy_m=None)
        trips.update(
            start_latitude=None, start_longitude=None, end_latitude=None, end_longitude=None
        )
        PrivateModeSwitch.objects.filter(trip__booking__member=user).delete()
        DigitalKey.objects.filter(booking__member=user).delete()
        billing_data_erase(user)
        notification_data_erase(user)
        inspection_data_erase(user)

        AuditEntry.objects.filter(actor=user).update(actor_label=anonymised)
        for entry in AuditEntry.objects.filter(Q(data__email=old_email) | Q(data__user=old_email)):
            entry.data = {
                key: anonymised if key in {"email", "user"} and value == old_email else value
                for key, value in entry.data.items()
            }
            entry.save(update_fields=["data"])

        by = "member" if actor.pk == user.pk else "operator"
        kept: dict[int | None, int] = dict(
            Booking.objects.filter(member=user)
            .values("organisation_id")
            .annotate(n=Count("pk"))
            .values_list("organisation_id", "n")
        )
        targets: list[int | None] = [*organisation_ids] or [None]
        for organisation_id in targets:
            audit(
                "member.erased",
                user,
                actor=user if actor.pk == user.pk else actor,
                organisation_id=organisation_id,
                data={"requested_by": by, "bookings_kept": kept.get(organisation_id, 0)},
            )


def _organisations_of(user: User) -> list[int]:
    """Every organisation that holds something of the person."""
    ids: set[int] = set()
    ids.update(
        Membership.objects.filter(user=user).values_list("community__organisation_id", flat=True)
    )
    for queryset in (
        OrganisationManager.objects.filter(user=user),
        DriverApproval.objects.filter(user=user),
        Suspension.objects.filter(user=user),
        Badge.objects.filter(user=user),
        Booking.objects.filter(member=user),
    ):
        ids.update(queryset.values_list("organisation_id", flat=True))
    return sorted(ids)
