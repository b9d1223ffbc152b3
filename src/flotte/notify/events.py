"""The events that notify members, with the channels each starts with.

A mandatory event always goes out by e-mail, whatever the member chose;
they may add SMS or push to it. Each event has a subject, a body (the
e-mail) and a short text (SMS, and the push message under the subject) in
French and English: ``templates/notify/<event>/{subject,body,short}.<lang>.txt``.
``sample`` names every value the templates may use; the tests render each
template with it, and check that the hooks give those values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flotte.core.errors import ValidationFailed
from flotte.notify.models import Channel

EMAIL, SMS, PUSH = Channel.EMAIL.value, Channel.SMS.value, Channel.PUSH.value
PARTS = ("subject", "body", "short")

_START = dt.datetime(2026, 3, 12, 8, 30, tzinfo=dt.UTC)
_BOOKING: dict[str, Any] = {
    "booking_id": 42,
    "start": _START,
    "end": _START + dt.timedelta(hours=3),
    "vehicle": "Renault Zoe",
    "plate": "AB-123-CD",
    "station": "Gare",
    "station_address": "1 place de la Gare, 26000 Valence",
    "community": "Agents de la ville",
    "url": "https://flotte.example.org/c/agents/bookings/42/",
}

_CARPOOL: dict[str, Any] = {
    "offer_id": 5,
    "driver": "Dominique",
    "origin_station": "Gare",
    "destination": "Mairie de Bourg-lès-Valence",
    "departure_at": _START,
    "return_at": _START + dt.timedelta(hours=3),
    "vehicle": "Renault Zoe",
    "community": "Agents de la ville",
    "contribution": Decimal("2.40"),
}


@dataclass(frozen=True)
class Event:
    key: str
    mandatory: bool
    defaults: frozenset[str]
    fr: str
    en: str
    sample: dict[str, Any] = field(default_factory=dict)
    # An event told to the organisation's managers about their fleet, not to
    # members about their own bookings: only managers see it among their
    # choices.
    for_managers: bool = False

    def label(self, language: str) -> str:
        return self.fr if language.startswith("fr") else self.en


def _event(key: str, mandatory: bool, defaults: set[str], fr: str, en: str, **sample: Any) -> Event:
    return Event(key, mandatory, frozenset(defaults), fr, en, sample)


def _manager_event(key: str, defaults: set[str], fr: str, en: str, **sample: Any) -> Event:
    """Mandatory: a manager always gets it by e-mail, and may add channels."""
    return Event(key, True, frozenset(defaults), fr, en, sample, for_managers=True)


EVENTS: dict[str, Event] = {
    event.key: event
    for event in [
        _event(
            "booking_confirmed",
            False,
            {EMAIL},
            "Réservation confirmée",
            "Booking confirmed",
            **_BOOKING,
        ),
        _event(
            "booking_changed",
            False,
            {EMAIL, PUSH},
            "Réservation modifiée",
            "Booking changed",
            **_BOOKING,
        ),
        _event(
            "booking_cancelled",
            False,
            {EMAIL, PUSH},
            "Réservation annulée",
            "Booking cancelled",
            **_BOOKING,
            fee=Decimal("5.00"),
            by_member=True,
        ),
        _event(
            "booking_reminder",
            False,
            {EMAIL, PUSH},
            "Rappel avant le départ",
            "Reminder before departure",
            **_BOOKING,
        ),
        _event(
            "booking_transferred",
            True,
            {EMAIL, PUSH},
            "Réservation transférée sur un autre véhicule",
            "Booking moved to another vehicle",
            **_BOOKING,
            previous_vehicle="Peugeot 208",
            previous_plate="EF-456-GH",
            reason="late_return",
        ),
        _event(
            "vehicle_late_driver",
            True,
            {EMAIL, PUSH},
            "Retour en retard (à vous, conducteur)",
            "Late return (to you, the driver)",
            **_BOOKING,
            waiting=True,
        ),
        _event(
            "vehicle_late_waiting",
            True,
            {EMAIL, PUSH},
            "Le véhicule que vous attendez est en retard",
            "The vehicle you are waiting for is late",
            **_BOOKING,
            support_phone="04 75 00 00 00",
        ),
        _event(
            "booking_no_show",
            False,
            {EMAIL},
            "Réservation non utilisée",
            "Booking not used (no-show)",
            **_BOOKING,
        ),
        _event(
            "invoice_issued",
            False,
            {EMAIL},
            "Facture émise",
            "Invoice issued",
            invoice_id=7,
            number="F-2026-000123",
            credit_note=False,
            total=Decimal("24.50"),
            due_date=dt.date(2026, 4, 11),
            url="https://flotte.example.org/api/v1/invoices/7/pdf",
        ),
        _event(
            "payment_failed",
            True,
            {EMAIL},
            "Paiement refusé",
            "Payment failed",
            payment_id=9,
            amount=Decimal("24.50"),
            number="F-2026-000123",
            reason="Your card was declined.",
        ),
        _event(
            "preauth_failed",
            True,
            {EMAIL, PUSH},
            "Réservation annulée : carte non pré-autorisée",
            "Booking cancelled: card not pre-authorised",
            **_BOOKING,
            payment_id=9,
            amount=Decimal("150.00"),
            reason="Your card was declined.",
        ),
        _event(
            "licence_expiring",
            False,
            {EMAIL},
            "Permis bientôt expiré",
            "Driving licence about to expire",
            expires_on=dt.date(2026, 4, 1),
            days=20,
            url="https://flotte.example.org/profile/",
        ),
        _event(
            "trip_survey",
            False,
            {EMAIL},
            "Questionnaire de satisfaction après un trajet",
            "Satisfaction survey after a trip",
            **_BOOKING,
            survey_url="https://flotte.example.org/n/survey/abc/",
            answer_days=14,
        ),
        _event(
            "carpool_request_received",
            False,
            {EMAIL, PUSH},
            "Covoiturage : une demande pour votre trajet",
            "Carpooling: someone asks to join your trip",
            **_CARPOOL,
            passenger="Camille",
            seats=1,
            message="Je peux vous attendre devant la gare.",
        ),
        _event(
            "carpool_request_accepted",
            False,
            {EMAIL, PUSH},
            "Covoiturage : demande acceptée",
            "Carpooling: request accepted",
            **_CARPOOL,
            seats=1,
        ),
        _event(
            "carpool_request_declined",
            False,
            {EMAIL, PUSH},
            "Covoiturage : demande refusée",
            "Carpooling: request declined",
            **_CARPOOL,
            seats=1,
        ),
        _event(
            "carpool_offer_cancelled",
            False,
            {EMAIL, PUSH},
            "Covoiturage annulé",
            "Carpool trip cancelled",
            **_CARPOOL,
            seats=1,
        ),
        _manager_event(
            "incident_reported",
            {EMAIL, PUSH},
            "Incident signalé sur un véhicule (gestionnaires)",
            "Incident reported on a vehicle (managers)",
            incident_id=17,
            kind="damage",
            description="Rayure sur la portière avant droite, constatée au départ.",
            vehicle="Renault Zoe",
            plate="AB-123-CD",
            station="Gare",
            reporter="Camille Martin",
            reporter_email="camille.martin@example.org",
            reported_at=_START,
            booking_id=42,
            booking_start=_START,
            url="https://flotte.example.org/manage/3/incidents/17/",
        ),
    ]
}


def get_event(key: str) -> Event:
    try:
        return EVENTS[key]
    except KeyError:
        raise ValidationFailed(
            f"no event is called {key!r}", code="unknown_event", fields={"event": "unknown"}
        ) from None
