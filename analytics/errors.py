"""Domain errors of the analytics app."""

from trading_api.errors import ApplicationError


class InvalidPeriod(ApplicationError):
    code = "INVALID_PERIOD"
    status_code = 400
