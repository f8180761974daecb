"""Domain errors of the analytics app."""

from kernel.errors import ApplicationError, ObjectNotFound


class InvalidPeriod(ApplicationError):
    code = "INVALID_PERIOD"
    status_code = 400


class SignalOrderNotFound(ObjectNotFound):
    """The order a signal names is not one of the account's (another account's is a 404 too)."""

    code = "ORDER_NOT_FOUND"
