"""Domain errors of market data."""

from kernel.errors import ApplicationError, ServiceUnavailable


class SymbolNotFound(ApplicationError):
    code = "SYMBOL_NOT_FOUND"
    status_code = 404


class MarketDataUnavailable(ServiceUnavailable):
    """No live quote or order book: the feed is not running or has not ticked this symbol yet."""
