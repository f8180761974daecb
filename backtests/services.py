"""Backtest writes: start a backtest or a sweep, run one (inside its task), store its results."""

import hashlib
import itertools
import json
import time
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction

from access.models import Account
from backtests.costs import backtest_costs
from backtests.dataset import Dataset, dataset_estimate, dataset_load, dataset_load_for_sweep
from backtests.engine import Costs, Simulation, simulate
from backtests.errors import BacktestNoData, BacktestValidationError
from backtests.models import Backtest, Sweep
from backtests.payloads import iso, number_text, trade_payload
from backtests.selectors import RANKABLE
from backtests.statistics import (
    curve_sample_indices,
    drawdown_pct,
    statistics_compute,
)
from backtests.strategies import STRATEGIES, ParameterError, Strategy
from backtests.tasks import backtest_run_task
from kernel.runtime import task_enqueue
from marketdata.enums import CandleInterval
from marketdata.models import Instrument
from marketdata.selectors import candle_list
from operations.models import Operation
from operations.runner import Checkpoint, Outcome, operation_run
from operations.services import operation_create, operation_parent_start

OPERATION_TYPE = "backtest"
SWEEP_OPERATION_TYPE = "backtest_sweep"
_MAX_COMMISSION = Decimal("0.1")
_MAX_SLIPPAGE_BPS = Decimal(1000)


def _strategy_class(name: str) -> type[Strategy]:
    try:
        return STRATEGIES[name]
    except KeyError:
        known = ", ".join(sorted(STRATEGIES))
        raise BacktestValidationError(
            {"strategy": [f"Unknown strategy {name!r} (known: {known})."]}
        ) from None


def _parameters(cls: type[Strategy], parameters: Any, *, prefix: str = "parameters") -> dict:
    try:
        return cls.parameters_validate(parameters if parameters is not None else {})
    except ParameterError as error:
        raise BacktestValidationError(
            {f"{prefix}.{name}": messages for name, messages in error.fields.items()}
        ) from None


def _inputs(
    *,
    strategy: str,
    symbol: str,
    interval: str,
    start: datetime | None,
    end: datetime | None,
    initial_capital: Decimal,
    commission: Decimal | None,
    slippage_bps: Decimal | None,
) -> tuple[type[Strategy], Instrument, Costs]:
    """Validate what a backtest and a sweep share; raise BacktestValidationError naming fields."""
    cls = _strategy_class(strategy)
    errors: dict[str, list[str]] = {}
    instrument = Instrument.objects.filter(symbol=str(symbol).upper()).first()
    if instrument is None:
        errors["symbol"] = [f"Unknown symbol {symbol!r}."]
    if interval not in CandleInterval.values:
        errors["interval"] = [f"Must be one of {', '.join(CandleInterval.values)}."]
    if start is not None and end is not None and start >= end:
        errors["start"] = ["Must be before end."]
    if initial_capital <= 0:
        errors["initial_capital"] = ["Must be greater than 0."]
    if commission is not None and not 0 <= commission < _MAX_COMMISSION:
        errors["commission"] = [f"Must be a rate from 0 up to (not including) {_MAX_COMMISSION}."]
    if slippage_bps is not None and not 0 <= slippage_bps <= _MAX_SLIPPAGE_BPS:
        errors["slippage_bps"] = [f"Must be from 0 to {_MAX_SLIPPAGE_BPS} basis points."]
    if errors:
        raise BacktestValidationError(errors)
    assert instrument is not None, "an unknown symbol is a validation error"
    costs = backtest_costs(instrument=instrument, commission=commission, slippage_bps=slippage_bps)
    if not candle_list(instrument=instrument, interval=interval, start=start, end=end, limit=1):
        raise BacktestNoData(
            f"No {interval} candles of {instrument.symbol} in the requested range",
            details={"symbol": instrument.symbol, "interval": interval},
        )
    return cls, instrument, costs


def _dispatch_on_commit(operation: Operation, backtest_id: int) -> None:
    """After commit, hand the backtest's task to Celery under the operation's task id."""

    def dispatch() -> None:
        if current_app.conf.task_always_eager:
            task_enqueue(backtest_run_task, backtest_id)
        else:
            backtest_run_task.apply_async(args=[backtest_id], task_id=operation.task_id)

    transaction.on_commit(dispatch)


def _create(
    *,
    account: Account,
    cls: type[Strategy],
    parameters: dict,
    instrument: Instrument,
    interval: str,
    start: datetime | None,
    end: datetime | None,
    initial_capital: Decimal,
    costs: Costs,
    estimate: int,
    parent: Operation | None = None,
    sweep: Sweep | None = None,
) -> Backtest:
    operation = operation_create(
        account=account, type=OPERATION_TYPE, parent=parent, items_total=2 * estimate
    )
    backtest = Backtest.objects.create(
        account=account,
        operation=operation,
        sweep=sweep,
        strategy=cls.name,
        parameters=parameters,
        instrument=instrument,
        interval=interval,
        start=start,
        end=end,
        initial_capital=initial_capital,
        commission=costs.commission_rate,
        slippage_bps=costs.slippage_bps,
    )
    _dispatch_on_commit(operation, backtest.pk)
    return backtest


def backtest_start(
    *,
    account: Account,
    strategy: str,
    symbol: str,
    interval: str = CandleInterval.D1,
    start: datetime | None = None,
    end: datetime | None = None,
    initial_capital: Decimal = Decimal("10000"),
    parameters: Mapping[str, Any] | None = None,
    commission: Decimal | None = None,
    slippage_bps: Decimal | None = None,
) -> Backtest:
    """Create a backtest and its pending operation; its task starts after commit.

    Raises BacktestValidationError (400, naming each bad field or `parameters.<name>`) and
    BacktestNoData (422) when no candles lie in the range.
    """
    cls, instrument, costs = _inputs(
        strategy=strategy,
        symbol=symbol,
        interval=interval,
        start=start,
        end=end,
        initial_capital=initial_capital,
        commission=commission,
        slippage_bps=slippage_bps,
    )
    clean = _parameters(cls, parameters)
    estimate = dataset_estimate(instrument=instrument, interval=interval, start=start, end=end)
    with transaction.atomic():
        return _create(
            account=account,
            cls=cls,
            parameters=clean,
            instrument=instrument,
            interval=interval,
            start=start,
            end=end,
            initial_capital=initial_capital,
            costs=costs,
            estimate=estimate,
        )


def _combinations(
    cls: type[Strategy], grid: Any, fixed: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    if not isinstance(grid, Mapping) or not grid:
        raise BacktestValidationError({"grid": ["Must be an object of parameter: [values]."]})
    errors: dict[str, list[str]] = {}
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            errors[f"grid.{name}"] = ["Must be a non-empty list of values."]
    if errors:
        raise BacktestValidationError(errors)
    names = list(grid)
    count = 1
    for name in names:
        count *= len(grid[name])
    limit = settings.BACKTEST_SWEEP_MAX_COMBINATIONS
    if count > limit:
        raise BacktestValidationError(
            {"grid": [f"{count} combinations; at most {limit} may run in one sweep."]}
        )
    combinations = []
    for values in itertools.product(*(grid[name] for name in names)):
        combination = {**(fixed or {}), **dict(zip(names, values, strict=True))}
        try:
            combinations.append(cls.parameters_validate(combination))
        except ParameterError as error:
            raise BacktestValidationError(
                {
                    (f"grid.{name}" if name in grid else f"parameters.{name}"): [
                        f"{message} (combination {json.dumps(combination, default=str)})"
                        for message in messages
                    ]
                    for name, messages in error.fields.items()
                }
            ) from None
    unique = {json.dumps(c, sort_keys=True): c for c in combinations}
    return list(unique.values())


def _json_safe(value: Any) -> Any:
    """Return a grid value JSON can store (request numbers arrive as Decimals)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def sweep_start(
    *,
    account: Account,
    strategy: str,
    symbol: str,
    grid: Mapping[str, list],
    interval: str = CandleInterval.D1,
    start: datetime | None = None,
    end: datetime | None = None,
    initial_capital: Decimal = Decimal("10000"),
    parameters: Mapping[str, Any] | None = None,
    commission: Decimal | None = None,
    slippage_bps: Decimal | None = None,
    rank_by: str = "sharpe_ratio",
) -> Sweep:
    """Create a sweep: a running parent operation and one backtest (and task) per combination.

    `grid` maps parameter names to the values to try; `parameters` fixes the others. Raises
    BacktestValidationError naming the first combination a parameter rule refuses.
    """
    cls, instrument, costs = _inputs(
        strategy=strategy,
        symbol=symbol,
        interval=interval,
        start=start,
        end=end,
        initial_capital=initial_capital,
        commission=commission,
        slippage_bps=slippage_bps,
    )
    if rank_by not in RANKABLE:
        raise BacktestValidationError({"rank_by": [f"Must be one of {', '.join(RANKABLE)}."]})
    combinations = _combinations(cls, grid, parameters)
    estimate = dataset_estimate(instrument=instrument, interval=interval, start=start, end=end)
    with transaction.atomic():
        parent = operation_create(account=account, type=SWEEP_OPERATION_TYPE)
        parent = operation_parent_start(operation_id=parent.pk)
        sweep = Sweep.objects.create(
            account=account,
            operation=parent,
            strategy=cls.name,
            instrument=instrument,
            interval=interval,
            start=start,
            end=end,
            grid={name: [_json_safe(v) for v in values] for name, values in grid.items()},
            rank_by=rank_by,
        )
        for combination in combinations:
            _create(
                account=account,
                cls=cls,
                parameters=combination,
                instrument=instrument,
                interval=interval,
                start=start,
                end=end,
                initial_capital=initial_capital,
                costs=costs,
                estimate=estimate,
                parent=parent,
                sweep=sweep,
            )
    return sweep


def backtest_execute(*, backtest_id: int) -> str:
    """Run a backtest as its operation's job (inside its task); return how the run ended.

    Safe to run twice: an operation that finished, or runs on a live worker, is not run again.
    """
    backtest = Backtest.objects.select_related("instrument").get(pk=backtest_id)
    return operation_run(
        operation_id=backtest.operation_id, job=lambda checkpoint: _job(backtest, checkpoint)
    )


def _job(backtest: Backtest, checkpoint: Checkpoint) -> Outcome:
    started = time.perf_counter()
    estimate = max(
        dataset_estimate(
            instrument=backtest.instrument,
            interval=backtest.interval,
            start=backtest.start,
            end=backtest.end,
        ),
        1,
    )
    checkpoint(items_done=0, items_total=2 * estimate, phase="loading")

    def loaded(count: int) -> None:
        total = 2 * max(estimate, count)
        checkpoint(
            items_done=count, items_total=total, phase="loading", metrics={"bars_loaded": count}
        )

    source: dict[str, Any] = {
        "instrument": backtest.instrument,
        "interval": backtest.interval,
        "start": backtest.start,
        "end": backtest.end,
        "on_chunk": loaded,
    }
    if backtest.sweep_id is not None:
        dataset = dataset_load_for_sweep(sweep_id=backtest.sweep_id, **source)
    else:
        dataset = dataset_load(**source)
    n = len(dataset.bars)
    if n == 0:
        raise BacktestNoData(
            f"No {backtest.interval} candles of {backtest.instrument.symbol} in the range",
            details={"symbol": backtest.instrument.symbol, "interval": backtest.interval},
        )
    load_ms = (time.perf_counter() - started) * 1000
    strategy = STRATEGIES[backtest.strategy](**backtest.parameters)
    costs = backtest_costs(
        instrument=backtest.instrument,
        commission=backtest.commission,
        slippage_bps=backtest.slippage_bps,
    )
    simulate_started = time.perf_counter()

    def progressed(done: int, total: int, equity: Decimal, trades: int) -> None:
        checkpoint(
            items_done=total + done,
            items_total=2 * total,
            phase="simulating",
            metrics={
                "bars_total": total,
                "bars_processed": done,
                "equity": number_text(equity),
                "trades": trades,
                "elapsed_ms": round((time.perf_counter() - started) * 1000),
            },
        )

    checkpoint(items_done=n, items_total=2 * n, phase="simulating")
    simulation = simulate(
        bars=dataset.bars,
        strategy=strategy,
        initial_capital=backtest.initial_capital,
        costs=costs,
        on_progress=progressed,
    )
    simulate_ms = (time.perf_counter() - simulate_started) * 1000
    checkpoint(items_done=2 * n - 1, items_total=2 * n, phase="storing")
    summary = backtest_results_store(
        backtest=backtest, dataset=dataset, simulation=simulation, costs=costs
    )
    metrics = {
        "bars_total": n,
        "bars_processed": n,
        "equity": summary["final_equity"],
        "trades": summary["total_trades"],
        "load_ms": round(load_ms),
        "simulate_ms": round(simulate_ms),
        "bars_per_second": round(n / (simulate_ms / 1000)) if simulate_ms > 0 else None,
        "elapsed_ms": round((time.perf_counter() - started) * 1000),
    }
    return Outcome(
        result={"backtest_id": backtest.pk, "result_hash": summary["result_hash"], **summary},
        metrics=metrics,
    )


def _costs_payload(costs: Costs) -> dict[str, Any]:
    return {
        "commission_rate": number_text(costs.commission_rate),
        "slippage_bps": number_text(costs.slippage_bps),
        "tick_size": number_text(costs.tick_size),
        "lot_size": number_text(costs.lot_size),
        "fee_quantum": number_text(costs.fee_quantum),
    }


def result_hash_compute(*, inputs: dict[str, Any], outputs: dict[str, Any]) -> str:
    """Return the sha256 of the canonical JSON (sorted keys, strings) of inputs and outputs."""
    text = json.dumps(
        {"inputs": inputs, "outputs": outputs},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def backtest_results_store(
    *, backtest: Backtest, dataset: Dataset, simulation: Simulation, costs: Costs
) -> dict[str, Any]:
    """Compute statistics, curves and trades of a run, store them on the backtest; return the
    statistics (plain strings) with the result hash."""
    bars = dataset.bars
    timestamps = bars.timestamps
    drawdown = drawdown_pct(simulation.equity_floats)
    statistics = statistics_compute(
        simulation=simulation,
        timestamps=timestamps,
        initial_capital=backtest.initial_capital,
        drawdown=drawdown,
    )
    indices = curve_sample_indices(len(bars), max_points=settings.BACKTEST_CURVE_MAX_POINTS)
    equity_curve = [
        {"timestamp": iso(timestamps[i]), "equity": number_text(simulation.equity[i])}
        for i in indices
    ]
    drawdown_curve = [
        {
            "timestamp": iso(timestamps[i]),
            "drawdown_pct": number_text(
                Decimal(repr(float(drawdown[i]))).quantize(Decimal("1E-6"))
            ),
        }
        for i in indices
    ]
    trades = [trade_payload(t, timestamps=timestamps) for t in simulation.trades]
    open_trade = (
        trade_payload(simulation.open_trade, timestamps=timestamps, mark=bars.close[-1])
        if simulation.open_trade is not None
        else None
    )
    text = {name: number_text(value) for name, value in statistics.items()}
    result_hash = result_hash_compute(
        inputs={
            "dataset_fingerprint": dataset.fingerprint,
            "strategy": backtest.strategy,
            "parameters": backtest.parameters,
            "symbol": backtest.instrument.symbol,
            "interval": backtest.interval,
            "initial_capital": number_text(backtest.initial_capital),
            "costs": _costs_payload(costs),
        },
        outputs={
            "statistics": text,
            "trades": trades,
            "open_trade": open_trade,
            "equity_curve": equity_curve,
        },
    )
    Backtest.objects.filter(pk=backtest.pk).update(
        bars=len(bars),
        first_bar_at=dataset.first,
        last_bar_at=dataset.last,
        dataset_fingerprint=dataset.fingerprint,
        result_hash=result_hash,
        equity_curve=equity_curve,
        drawdown_curve=drawdown_curve,
        trades=trades,
        open_trade=open_trade,
        **statistics,
    )
    return {**text, "result_hash": result_hash}
