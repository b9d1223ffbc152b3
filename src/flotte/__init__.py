"""Flotte: shared fleet of cars (autopartage) for local authorities and companies."""

from flotte.celery import app as celery_app

__all__ = ["celery_app"]
