"""Flotte settings, read from the environment.

Defaults give a working laptop setup (SQLite under ``var/``, e-mails on the
console, background tasks in process). Production sets ``DEBUG=false`` and the
variables documented in ``docs/operations.md``; a bad value stops start-up.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from flotte.core.env import Env, database_from_url, email_from_url
from flotte.notify.config import push_from_env, sms_from_url

env = Env()

BASE_DIR = Path(env.text("FLOTTE_HOME", str(Path.cwd()))).resolve()
VAR_DIR = BASE_DIR / "var"

DEBUG = env.flag("DEBUG", True)
SECRET_KEY = env.text("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    SECRET_KEY = "insecure-development-key-only-for-debug"
elif len(SECRET_KEY) < 32 and not DEBUG:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long")

ALLOWED_HOSTS = env.items("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.items("CSRF_TRUSTED_ORIGINS", [])
TIME_ZONE = env.time_zone("TIME_ZONE", "Europe/Paris")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [Path(__file__).parent / "locale"]

DATABASES = {
    "default": database_from_url(
        env.text("DATABASE_URL", "sqlite:///var/flotte.sqlite3"), base_dir=BASE_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_URL = env.text("EMAIL_URL", "console://")
globals().update(email_from_url(EMAIL_URL))
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", "Flotte <no-reply@flotte.localhost>")

# Background work: empty means tasks run in process after commit and periodic
# jobs run in the scheduler loop of `flotte run`.
CELERY_BROKER_URL = env.url("CELERY_BROKER_URL", "", schemes={"redis", "rediss", "amqp", "memory"})
REDIS_URL = env.url("REDIS_URL", "", schemes={"redis", "rediss"})
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Telematics (MQTT): empty means an in-process broker for the demo and tests.
MQTT_URL = env.url("MQTT_URL", "", schemes={"mqtt", "mqtts"})
# Gateways share the boxes' messages through this MQTT shared subscription
# group. A box that guessed it could join the group and swallow its share of
# the others' messages (Mosquitto checks no subscription), so by default the
# name derives from SECRET_KEY, the same for every gateway of one platform.
GATEWAY_SHARE_GROUP = env.text(
    "GATEWAY_SHARE_GROUP",
    "gw-" + hashlib.sha256(f"flotte-gateway:{SECRET_KEY}".encode()).hexdigest()[:20],
)
GATEWAY_BATCH_SIZE = env.number("GATEWAY_BATCH_SIZE", 2000, minimum=1)
GATEWAY_BATCH_WAIT_MS = env.number("GATEWAY_BATCH_WAIT_MS", 20, minimum=1)
# Payments: empty means card payment is not offered.
STRIPE_SECRET_KEY = env.text("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env.text("STRIPE_WEBHOOK_SECRET")
if STRIPE_SECRET_KEY and not STRIPE_SECRET_KEY.startswith(("sk_", "rk_")):
    raise ImproperlyConfigured("STRIPE_SECRET_KEY must start with sk_ or rk_")

# Notifications (flotte.notify, docs/notifications.md). E-mail needs nothing
# more than EMAIL_URL. SMS: empty means none is sent, console:// writes them
# to the log, brevo://API_KEY@api.brevo.com?sender=Flotte sends them through
# Brevo. Push: a VAPID P-256 private key (base64url of its 32 bytes, or PEM)
# and a contact for the push services; no key means no push.
SMS_URL = env.text("SMS_URL", "")
sms_from_url(SMS_URL)
VAPID_PRIVATE_KEY = env.text("VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = env.text("VAPID_SUBJECT", "")
push_from_env(VAPID_PRIVATE_KEY, VAPID_SUBJECT)
# Push endpoints must be public https URLs; only the tests' local fake
# push service needs this off.
WEB_PUSH_ALLOW_LOCAL_ENDPOINTS = False
# E-mails of a mailing sent by one background task.
MAILING_BATCH_SIZE = env.number("MAILING_BATCH_SIZE", 100, minimum=1)

# Public base URL, used in e-mails (verification and invitation links).
PUBLIC_URL = env.url("PUBLIC_URL", "http://127.0.0.1:8000", schemes={"http", "https"}).rstrip("/")

# Map tiles of the station maps, as a Leaflet URL template; `none` shows the
# stations on a plain background (no request leaves the platform).
MAP_TILE_URL = env.text("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
if MAP_TILE_URL.lower() == "none":
    MAP_TILE_URL = ""
MAP_TILE_ATTRIBUTION = env.text("MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")
if MAP_TILE_URL and not (
    MAP_TILE_URL.startswith(("https://", "http://", "/")) and "{z}" in MAP_TILE_URL
):
    raise ImproperlyConfigured("MAP_TILE_URL must be an http(s) URL template with {z}, {x} and {y}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "flotte.core",
    "flotte.accounts",
    "flotte.fleet",
    "flotte.pricing",
    "flotte.booking",
    "flotte.telematics",
    "flotte.billing",
    "flotte.notify",
    "flotte.stats",
    "flotte.carpool",
    "flotte.opendata",
    "flotte.inspections",
    "flotte.api",
    "flotte.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "flotte.core.middleware.TenantScopeMiddleware",
]

ROOT_URLCONF = "flotte.urls"
WSGI_APPLICATION = "flotte.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.text("MEDIA_ROOT", str(VAR_DIR / "media")))
# Identity documents are personal data: at most 5 MiB each, a few types.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

SESSION_COOKIE_SECURE = env.flag("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.flag("BEHIND_TLS_PROXY", False) else None
)

LOG_LEVEL = env.text("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not DEBUG, INFO, WARNING or ERROR")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own loggers have handlers of their own: give them the level too.
    "loggers": {
        "django": {"level": LOG_LEVEL},
        "django.db.backends": {"level": "WARNING"},
        # The Stripe client logs every request at INFO.
        "stripe": {"level": "WARNING"},
    },
}

# How often the in-process scheduler of `flotte run` looks for due jobs.
SCHEDULER_TICK_SECONDS = env.number("SCHEDULER_TICK_SECONDS", 30, minimum=1)
API_PAGE_SIZE = env.number("API_PAGE_SIZE", 50, minimum=1)
NINJA_PAGINATION_PER_PAGE = API_PAGE_SIZE
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 200

# Card payments (billing/payments). The provider is switched on per
# organisation by the `payment_card_enabled` parameter; these are the
# platform's credentials with it. STRIPE_API_BASE points the official client
# elsewhere (the tests' local fake Stripe).
PAYMENT_PROVIDER = env.text("PAYMENT_PROVIDER", "stripe")
if PAYMENT_PROVIDER not in {"stripe"}:
    raise ImproperlyConfigured(f"PAYMENT_PROVIDER={PAYMENT_PROVIDER!r} is not stripe")
STRIPE_SECRET_KEY = env.text("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env.text("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env.text("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = env.url("STRIPE_API_BASE", "https://api.stripe.com", schemes={"https", "http"})
