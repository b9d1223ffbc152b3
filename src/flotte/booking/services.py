"""Booking services: search, create, cancel. Each one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet

from flotte.accounts.drivers import membership_refusals
from flotte.accounts.models import Community, Membership, User
from flotte.accounts.parameters import (
    ParamContext,
    param_snapshot,
    param_value,
    param_values_per_vehicle,
)
from flotte.accounts.selectors import manages_community
from flotte.billing import params as billing_params
from flotte.billing.tasks import draft_for_booking, preauthorise_booking
from flotte.booking import params
from flotte.booking.models import Booking
from flotte.booking.rules import (
    blocked_until,
    blocked_until_per_vehicle,
    cancellation_fee,
    check_member_limits,
    check_times,
)
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.fleet.models import Vehicle
from flotte.notify import hooks
from flotte.pricing.engine import Quote
from flotte.pricing.services import quote_if_priced


def membership_of(member: User, community: Community) -> Membership:
    membership = (
        Membership.objects.filter(user=member, community=community)
        .select_related("community__organisation", "group", "user")
        .first()
    )
    if membership is None:
        raise NotFound("this person is not a member of the community", code="not_member")
    return membership


def bookable_vehicles(membership: Membership) -> QuerySet[Vehicle]:
    """Vehicles shared with the community, open to the member's group and of
    a category the group may book, in service."""
    open_to = Q(allowed_groups=None)
    if membership.group_id is not None:
        open_to |= Q(allowed_groups=membership.group_id)
    vehicles = Vehicle.objects.filter(
        Q(communities=membership.community) & open_to, status=Vehicle.Status.AVAILABLE
    )
    community = membership.community
    categories = ParamContext(community.organisation, community, membership.group).value(
        params.ALLOWED_CATEGORIES.key
    )
    if categories:
        vehicles = vehicles.filter(category__in=categories)
    return vehicles.distinct()


def conflicting(
    vehicle_ids: QuerySet[Vehicle] | list[int], start: dt.datetime, until: dt.datetime
) -> QuerySet[Booking]:
    """Blocking bookings whose blocked time overlaps [start, until)."""
    return Booking.objects.filter(
        vehicle__in=vehicle_ids,
        state__in=Booking.BLOCKING,
        start__lt=until,
        blocked_until__gt=start,
    )


def covering(vehicles: list[Vehicle], community: Community, km: int) -> list[Vehicle]:
    """The vehicles whose range covers the declared trip plus the safety
    margin (read for all of them in one query)."""
    if not km:
        return vehicles
    margins = param_values_per_vehicle(
        [params.RANGE_MARGIN.key],
        context=ParamContext(community.organisation, community),
        vehicles=vehicles,
    )[params.RANGE_MARGIN.key]
    return [v for v in vehicles if v.range_km * 100 >= km * (100 + margins[v.pk])]


def free_vehicles(
    vehicles: list[Vehicle],
    community: Community,
    start: dt.datetime,
    end: dt.datetime,
    *,
    ignoring: Booking | None = None,
) -> list[Vehicle]:
    """The vehicles with no blocking booking over [start, end + their buffer),
    in two queries whatever their number; ``ignoring`` is a booking being
    moved, which does not count against itself."""
    until = blocked_until_per_vehicle(vehicles, community, end)
    rows = conflicting([v.pk for v in vehicles], start, max(until.values(), default=end))
    if ignoring is not None:
        rows = rows.exclude(pk=ignoring.pk)
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for vehicle_id, busy_start, busy_until in rows.values_list(
        "vehicle_id", "start", "blocked_until"
    ):
        busy.setdefault(vehicle_id, []).append((busy_start, busy_until))
    return [
        v for v in vehicles if not any(s < until[v.pk] and b > start for s, b in busy.get(v.pk, []))
    ]


def _seconds_used(vehicle_ids: list[int]) -> dict[int, float]:
    """Booked seconds of each vehicle over the last 30 days."""
    since = clock.now() - dt.timedelta(days=30)
    used: dict[int, float] = {}
    for vehicle_id, start, end in Booking.objects.filter(
        vehicle__in=vehicle_ids,
        start__gte=since,
        state__in=[*Booking.BLOCKING, Booking.State.ENDED, Booking.State.CLOSED],
    ).values_list("vehicle_id", "start", "end"):
        used[vehicle_id] = used.get(vehicle_id, 0.0) + (end - start).total_seconds()
    return used


def assign(offers: list[Offer], community: Community) -> list[Offer]:
    """Free vehicles in the order the platform picks them, by the
    community's priority rule."""
    rule = ParamContext(community.organisation, community).value(params.ASSIGNMENT.key)
    if rule == "electric_first":
        # Every offer covers the trip (search filters on range): electric
        # first, then the longest range.
        def key(offer: Offer) -> tuple[Any, ...]:
            return (offer.vehicle.energy != Vehicle.Energy.ELECTRIC, -offer.vehicle.range_km)

    elif rule == "carpool_first":

        def key(offer: Offer) -> tuple[Any, ...]:
            return (not offer.vehicle.carpool_friendly, offer.vehicle.pk)

    else:
        used = _seconds_used([o.vehicle.pk for o in offers])

        def key(offer: Offer) -> tuple[Any, ...]:
            return (used.get(offer.vehicle.pk, 0.0), offer.vehicle.pk)

    return sorted(offers, key=key)


@dataclass(frozen=True)
class Offer:
    vehicle: Vehicle
    quote: Quote | None
    tariff_id: int | None


def availability(
    *,
    member: User,
    community: Community,
    start: dt.datetime,
    end: dt.datetime,
    station_ids: list[int] | None = None,
    category: str | None = None,
    energy: str | None = None,
    seats: int | None = None,
    declared_km: int = 0,
    business_use: bool = False,
    record_failed: bool = True,
) -> list[Offer]:
    """Vehicles free for the whole window (their buffer included), with a
    quote each. A member's search that finds none is recorded for the
    statistics (busy days, fleet-size advice); the platform's own searches
    say ``record_failed=False``."""
    # The fleet's rules in one query, the vehicles' own buffers and margins
    # with them.
    with param_snapshot(all_vehicles=True):
        return _availability(
            member=member,
            community=community,
            start=start,
            end=end,
            station_ids=station_ids,
            category=category,
            energy=energy,
            seats=seats,
            declared_km=declared_km,
            business_use=business_use,
            record_failed=record_failed,
        )


def _availability(
    *,
    member: User,
    community: Community,
    start: dt.datetime,
    end: dt.datetime,
    station_ids: list[int] | None,
    category: str | None,
    energy: str | None,
    seats: int | None,
    declared_km: int,
    business_use: bool,
    record_failed: bool,
) -> list[Offer]:
    membership = membership_of(member, community)
    check_times(membership, None, start, end)
    vehicles = bookable_vehicles(membership).select_related("home_station")
    if station_ids:
        vehicles = vehicles.filter(home_station_id__in=station_ids)
    if category:
        vehicles = vehicles.filter(category=category)
    if energy:
        vehicles = vehicles.filter(energy=energy)
    if seats:
        vehicles = vehicles.filter(seats__gte=seats)
    candidates = free_vehicles(
        covering(list(vehicles), community, declared_km), community, start, end
    )
    if not candidates and record_failed:
        from flotte.stats.services import failed_search_record

        failed_search_record(
            member=member,
            community=community,
            start=start,
            end=end,
            station_ids=station_ids,
            category=category,
            energy=energy,
        )
    tariff, q = quote_if_priced(
        community=community,
        group=membership.group,
        start=start,
        end=end,
        km=declared_km,
        business_use=business_use,
    )
    return [Offer(vehicle, q, tariff.pk if tariff else None) for vehicle in candidates]


def booking_create(
    *,
    actor: User,
    member: User,
    community: Community,
    vehicle: Vehicle,
    start: dt.datetime,
    end: dt.datetime,
    use: str = Booking.Use.BUSINESS,
    purpose: str = "",
    cost_centre: str = "",
    destination: str = "",
    declared_km: int = 0,
) -> Booking:
    """Book a vehicle. Refuses a member who may not book, a vehicle they may
    not use, times outside the rules, and any overlap (409)."""
    if actor.pk != member.pk and not manages_community(actor, community):
        raise PermissionDenied("only a manager books on behalf of someone else")
    # A slot taken even without its buffer is taken whatever the rules say:
    # answering at once spares the eligibility checks and the transaction
    # (the many requests that race for a popular car mostly end here). Free
    # slots are checked again under the vehicle's lock.
    if conflicting([vehicle.pk], start, end).exists():
        raise Conflict("this vehicle is already booked at that time", code="vehicle_taken")
    # A dozen rules read in one query, the vehicle's own among them.
    with param_snapshot(vehicle_ids=[vehicle.pk]):
        return _booking_create(
            actor=actor,
            member=member,
            community=community,
            vehicle=vehicle,
            start=start,
            end=end,
            use=use,
            purpose=purpose,
            cost_centre=cost_centre,
            destination=destination,
            declared_km=declared_km,
        )


def lock_vehicle(vehicle_id: int) -> None:
    """One booking change at a time per vehicle, until the transaction ends:
    concurrent requests for the vehicle wait instead of deadlocking on the
    exclusion constraint. On PostgreSQL a transaction-level advisory lock on
    the vehicle's id (its row stays free for everything else, such as the
    state the boxes report); SQLite's write lock does it already."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [VEHICLE_LOCK_SPACE, vehicle_id % 2**31],
            )


# The first key of the vehicles' advisory locks ("FLOT"), so that they cannot
# be taken for another kind of object's lock with the same id.
VEHICLE_LOCK_SPACE = 0x464C4F54


@transaction.atomic
def _booking_create(
    *,
    actor: User,
    member: User,
    community: Community,
    vehicle: Vehicle,
    start: dt.datetime,
    end: dt.datetime,
    use: str,
    purpose: str,
    cost_centre: str,
    destination: str,
    declared_km: int,
) -> Booking:
    membership = membership_of(member, community)
    refusals = membership_refusals(membership)
    if refusals:
        raise PermissionDenied("; ".join(r.message for r in refusals), code=refusals[0].code)
    if not bookable_vehicles(membership).filter(pk=vehicle.pk).exists():
        raise NotFound(
            "this vehicle cannot be booked in this community", code="vehicle_unavailable"
        )
    check_times(membership, vehicle, start, end)
    _check_use(membership, use, purpose, cost_centre)
    check_member_limits(membership, start, end)
    until = blocked_until(vehicle, community, end)
    tariff, q = quote_if_priced(
        community=community,
        group=membership.group,
        start=start,
        end=end,
        km=declared_km,
        business_use=use == Booking.Use.BUSINESS,
    )
    lock_vehicle(vehicle.pk)
    if conflicting([vehicle.pk], start, until).exists():
        raise Conflict("this vehicle is already booked at that time", code="vehicle_taken")
    now = clock.now()
    booking = Booking(
        organisation=community.organisation,
        community=community,
        vehicle=vehicle,
        member=member,
        booked_by=actor,
        start=start,
        end=end,
        blocked_until=until,
        original_start=start,
        use=use,
        purpose=purpose.strip(),
        cost_centre=cost_centre.strip(),
        destination=destination.strip(),
        declared_km=declared_km,
        tariff=tariff,
        quoted_total=q.total if q else None,
        created_at=now,
    )
    try:
        # No savepoint: a refused insert ends this transaction anyway.
        booking.save()
    except IntegrityError:
        raise Conflict(
            "this vehicle is already booked at that time", code="vehicle_taken"
        ) from None
    audit(
        "booking.created",
        booking,
        actor=actor,
        data={
            "vehicle": vehicle.pk,
            "member": member.pk,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "on_behalf": actor.pk != member.pk,
        },
    )
    access_changed(vehicle.pk)
    # The task would find nothing to hold where cards are not taken (read
    # with the other rules, without a query).
    if ParamContext(community.organisation).value(billing_params.CARD_PAYMENTS.key):
        preauthorise_booking.enqueue(booking.pk)
    hooks.booking_confirmed(booking)
    return booking


def access_changed(*vehicle_ids: int) -> None:
    """The boxes of these vehicles get a new access list after commit (the
    bookings they let in offline changed)."""
    from flotte.telematics.access import vehicles_access_changed

    vehicles_access_changed(vehicle_ids)


@dataclass(frozen=True)
class UseRules:
    """What a member says about a trip's use: whether private use is open to
    them, and whether a business trip needs a purpose or cost centre (none
    is asked when their membership carries a cost centre)."""

    private_allowed: bool
    purpose_required: bool


def use_rules(membership: Membership) -> UseRules:
    group = membership.group
    community = membership.community
    required = param_value(
        params.BUSINESS_PURPOSE_REQUIRED.key,
        organisation=community.organisation,
        community=community,
        group=group,
    )
    return UseRules(
        private_allowed=bool(group and group.private_use_allowed),
        purpose_required=bool(required) and not membership.cost_centre,
    )


def _check_use(membership: Membership, use: str, purpose: str, cost_centre: str) -> None:
    if use not in Booking.Use.values:
        raise ValidationFailed(
            f"use is business or private, not {use!r}", fields={"use": "unknown"}
        )
    rules = use_rules(membership)
    if use == Booking.Use.PRIVATE and not rules.private_allowed:
        raise PermissionDenied(
            "private use is not allowed for your group", code="private_use_refused"
        )
    if (
        use == Booking.Use.BUSINESS
        and rules.purpose_required
        and not (purpose.strip() or cost_centre.strip())
    ):
        raise ValidationFailed(
            "give the trip's purpose or cost centre",
            code="purpose_required",
            fields={"purpose": "required for business use"},
        )


def booking_cancellation_fee(booking: Booking) -> Decimal:
    """What cancelling the booking now would cost: shown to the member before
    they confirm, and charged by ``booking_cancel``."""
    membership = (
        Membership.objects.filter(user_id=booking.member_id, community=booking.community)
        .select_related("group")
        .first()
    )
    return cancellation_fee(booking, membership)


def _carpool_cancelled(booking: Booking) -> None:
    """Its carpool offer goes with the booking; passengers are told."""
    from flotte.carpool.services import carpool_booking_cancelled

    carpool_booking_cancelled(booking)


@transaction.atomic
def booking_cancel(*, actor: User, booking: Booking) -> Booking:
    """Cancel a booking not started yet; a late cancellation costs the fee."""
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if actor.pk != booking.member_id and not manages_community(actor, booking.community):
        raise PermissionDenied("only the member or a manager cancels a booking")
    if booking.state != Booking.State.CONFIRMED:
        raise Conflict(
            f"a {booking.get_state_display()} booking cannot be cancelled", code="not_cancellable"
        )
    booking.cancellation_fee = booking_cancellation_fee(booking)
    booking.state = Booking.State.CANCELLED
    booking.cancelled_at = clock.now()
    booking.sequence += 1
    booking.save()
    audit("booking.cancelled", booking, actor=actor, data={"fee": str(booking.cancellation_fee)})
    access_changed(booking.vehicle_id)
    if booking.cancellation_fee:
        draft_for_booking.enqueue(booking.pk)
    hooks.booking_cancelled(booking, by_member=actor.pk == booking.member_id)
    _carpool_cancelled(booking)
    return booking


@transaction.atomic
def booking_cancel_by_platform(*, booking: Booking, reason: str) -> Booking | None:
    """Cancel a booking not started yet on the platform's own decision (its
    card could not be pre-authorised, say): no fee. None when it is no
    longer confirmed."""
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if booking.state != Booking.State.CONFIRMED:
        return None
    booking.cancellation_fee = Decimal("0")
    booking.state = Booking.State.CANCELLED
    booking.cancelled_at = clock.now()
    booking.sequence += 1
    booking.save()
    audit("booking.cancelled", booking, data={"fee": "0", "reason": reason})
    access_changed(booking.vehicle_id)
    _carpool_cancelled(booking)
    return booking


def booking_create_assigned(
    *,
    actor: User,
    member: User,
    community: Community,
    station_id: int,
    category: str | None,
    start: dt.datetime,
    end: dt.datetime,
    declared_km: int = 0,
    use: str = Booking.Use.BUSINESS,
    **details: str,
) -> Booking:
    """Book "a car at this station": the platform picks the vehicle by the
    community's priority rule. When the first choice is taken meanwhile, the
    next one is tried."""
    offers = availability(
        member=member,
        community=community,
        start=start,
        end=end,
        station_ids=[station_id],
        category=category,
        declared_km=declared_km,
        business_use=use == Booking.Use.BUSINESS,
        record_failed=False,
    )
    for offer in assign(offers, community):
        try:
            return booking_create(
                actor=actor,
                member=member,
                community=community,
                vehicle=offer.vehicle,
                start=start,
                end=end,
                use=use,
                declared_km=declared_km,
                **details,
            )
        except Conflict:
            continue
    raise Conflict("no vehicle of this station and category is free then", code="no_vehicle_free")


def calendar_token_of(user: User, *, reset: bool = False) -> str:
    """The secret in the member's calendar URL; a reset makes the old URL
    stop working (for a link shared by mistake)."""
    import secrets

    if reset or not user.calendar_token:
        user.calendar_token = secrets.token_urlsafe(32)
        user.save(update_fields=["calendar_token"])
        audit(
            "user.calendar_token_reset" if reset else "user.calendar_token_created",
            user,
            actor=user,
        )
    return user.calendar_token


def calendar_bookings(token: str) -> tuple[User, list[Booking]] | None:
    """The member and their bookings behind a calendar URL, or None."""
    from flotte.core.tenancy import cross_tenant

    if len(token) < 32:
        return None
    user = User.objects.filter(calendar_token=token, is_active=True).first()
    if user is None:
        return None
    with cross_tenant("a member's own calendar, across their organisations"):
        bookings = list(
            Booking.objects.filter(member=user, start__gte=clock.now() - dt.timedelta(days=90))
            .select_related("vehicle__home_station", "community")
            .order_by("start")
        )
    return user, bookings
