"""Domain errors: services raise these; the API layer turns them into the contract's error JSON."""

from typing import Any


class ApplicationError(Exception):
    """Base of every domain error. Subclasses set a stable `code` and an HTTP `status_code`."""

    code = "APPLICATION_ERROR"
    status_code = 422

    def __init__(self, message: str, *, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details


class ConflictError(ApplicationError):
    code = "CONFLICT"
    status_code = 409


class ObjectNotFound(ApplicationError):
    code = "NOT_FOUND"
    status_code = 404


class ServiceUnavailable(ApplicationError):
    code = "SERVICE_UNAVAILABLE"
    status_code = 503
