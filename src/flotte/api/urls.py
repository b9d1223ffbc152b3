"""REST API v1: ``/api/v1/``, schema at ``/api/v1/openapi.json``, docs at ``/api/v1/docs``."""

from ninja import NinjaAPI

from flotte.api import errors
from flotte.api.auth import auth
from flotte.api.routers import auth as auth_routes
from flotte.api.routers import (
    billing,
    bookings,
    carpool,
    communities,
    fleet,
    inspections,
    me,
    members,
    notify,
    organisations,
    payments,
    payouts,
    pricing,
    stats,
    telematics,
)

api = NinjaAPI(
    title="Flotte API",
    version="1",
    description=(
        "Car sharing for local authorities and companies. Authenticate with the web "
        "session, or with a token from `POST /api/v1/auth/token` sent as "
        "`Authorization: Bearer <token>`. Errors are JSON: `code`, `message`, `fields`."
    ),
    auth=auth,
    urls_namespace="api-v1",
)
errors.install(api)
api.add_router("/auth", auth_routes.router)
api.add_router("/me", me.router)
api.add_router("/communities", communities.router)
api.add_router("/organisations", organisations.router)
api.add_router("/organisations", communities.org_router)
api.add_router("/organisations", members.router)
api.add_router("/organisations", fleet.org_router)
api.add_router("", fleet.router)
api.add_router("", pricing.router)
api.add_router("", bookings.router)
api.add_router("", telematics.router)
api.add_router("", billing.router)
api.add_router("", payments.router)
api.add_router("", payments.webhooks)
api.add_router("", payouts.router)
api.add_router("", notify.router)
api.add_router("", stats.router)
api.add_router("", carpool.router)
api.add_router("", inspections.router)
