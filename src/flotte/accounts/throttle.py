"""Slows down password guessing: after too many failed logins for one
address, or from one IP address, within a window, logins are refused for
the rest of the window. Counts live in the cache (Redis in production, so
every web process shares them)."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_EMAIL = 10
MAX_FAILURES_PER_IP = 50


def _keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    keys = [(f"flotte:login-fail:email:{digest}", MAX_FAILURES_PER_EMAIL)]
    if ip:
        keys.append((f"flotte:login-fail:ip:{ip}", MAX_FAILURES_PER_IP))
    return keys


def login_blocked(email: str, ip: str | None) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _keys(email, ip))


def login_failed(email: str, ip: str | None) -> None:
    for key, _ in _keys(email, ip):
        if not cache.add(key, 1, WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, WINDOW_SECONDS)


def login_succeeded(email: str, ip: str | None) -> None:
    cache.delete(_keys(email, None)[0][0])
