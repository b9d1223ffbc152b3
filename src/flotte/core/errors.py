"""Errors raised by services. Doors (API, web, tasks) turn them into a clear
answer: an HTTP status, a code, a message and field errors."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        figures: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields or {}
        # The numbers the message names (a limit, a delay), so that a door
        # can word the error in its reader's language from the code.
        self.figures = figures or {}


class ValidationFailed(ServiceError):
    status = 400
    code = "invalid"


class PermissionDenied(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"
