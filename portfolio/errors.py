"""Domain errors of the portfolio."""

from kernel.errors import ApplicationError, ObjectNotFound


class PositionNotFound(ObjectNotFound):
    code = "POSITION_NOT_FOUND"


class InvalidAmount(ApplicationError):
    code = "INVALID_AMOUNT"
    status_code = 400


class CurrencyMismatch(ApplicationError):
    code = "CURRENCY_MISMATCH"
    status_code = 409
