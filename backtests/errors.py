"""Domain errors of strategies and backtests."""

from kernel.errors import ApplicationError


class BacktestValidationError(ApplicationError):
    """A field or strategy parameter is invalid; `details.fields` names each one."""

    code = "VALIDATION_ERROR"
    status_code = 400

    def __init__(self, fields: dict[str, list[str]]):
        first = next(iter(fields))
        super().__init__(f"{first}: {fields[first][0]}", details={"fields": fields})


class StrategyNotFound(ApplicationError):
    code = "STRATEGY_NOT_FOUND"
    status_code = 404


class BacktestNotFound(ApplicationError):
    code = "BACKTEST_NOT_FOUND"
    status_code = 404


class SweepNotFound(ApplicationError):
    code = "SWEEP_NOT_FOUND"
    status_code = 404


class BacktestNoData(ApplicationError):
    """No candles of the symbol and interval lie in the requested range."""

    code = "BACKTEST_NO_DATA"
    status_code = 422


class BacktestTooLarge(ApplicationError):
    code = "BACKTEST_TOO_LARGE"
    status_code = 422
