"""The registry, parameter schemas, and the same decisions live (bar by bar) as in a backtest."""

from decimal import Decimal

import pytest

from backtests.engine import Costs, simulate
from backtests.strategies import STRATEGIES, ParameterError, StrategyRunner
from backtests.tests.helpers import bars_of, goog_rows

D = Decimal


def test_the_registry_holds_the_four_built_in_strategies():
    assert sorted(STRATEGIES) == [
        "bollinger_breakout",
        "buy_and_hold",
        "rsi_mean_reversion",
        "sma_crossover",
    ]
    for cls in STRATEGIES.values():
        description = cls.describe()
        assert description["name"] == cls.name
        assert description["description"]
        schema = description["parameters_schema"]
        assert schema["type"] == "object"
        assert schema["additionalProperties"] is False
        for name, spec in schema["properties"].items():
            assert "default" in spec, name
            assert description["defaults"][name] == spec["default"]
            if spec["type"] in ("integer", "number"):
                assert spec["minimum"] < spec["maximum"]
        # the defaults are valid parameters
        assert cls.parameters_validate({}) == description["defaults"]


@pytest.mark.parametrize(
    ("parameters", "fields"),
    [
        ({"fast": 0}, {"fast": ["Must be at least 1."]}),
        ({"slow": 5000}, {"slow": ["Must be at most 2000."]}),
        ({"fast": "ten"}, {"fast": ["Must be an integer."]}),
        ({"fast": 2.5}, {"fast": ["Must be an integer."]}),
        ({"allow_short": "yes"}, {"allow_short": ["Must be true or false."]}),
        ({"fast": 30, "slow": 20}, {"fast": ["Must be less than slow (20)."]}),
        (
            {"speed": 3},
            {"speed": ["Unknown parameter (known: fast, slow, allow_short)."]},
        ),
    ],
)
def test_sma_parameter_errors_name_the_parameter(parameters, fields):
    with pytest.raises(ParameterError) as refused:
        STRATEGIES["sma_crossover"].parameters_validate(parameters)
    assert refused.value.fields == fields


def test_numbers_are_coerced_and_bounded():
    cls = STRATEGIES["bollinger_breakout"]
    assert cls.parameters_validate({"num_std": D("2.5"), "period": "30"})["num_std"] == 2.5
    assert cls.parameters_validate({"period": D("30")})["period"] == 30
    with pytest.raises(ParameterError) as refused:
        cls.parameters_validate({"num_std": 0})
    assert refused.value.fields == {"num_std": ["Must be at least 0.1."]}
    with pytest.raises(ParameterError) as refused:
        cls.parameters_validate({"num_std": "NaN"})
    assert refused.value.fields == {"num_std": ["Must be a finite number."]}


CASES = [
    ("sma_crossover", {"fast": 10, "slow": 20, "allow_short": True}),
    ("sma_crossover", {"fast": 5, "slow": 50}),
    ("rsi_mean_reversion", {}),
    ("rsi_mean_reversion", {"period": 7, "oversold": 25, "overbought": 75, "allow_short": True}),
    ("bollinger_breakout", {}),
    ("bollinger_breakout", {"period": 10, "num_std": 1.5, "allow_short": True}),
    ("buy_and_hold", {}),
]


@pytest.mark.parametrize(("name", "parameters"), CASES)
def test_live_bar_by_bar_decisions_equal_the_backtests(name, parameters):
    # given: the GOOG history
    rows = goog_rows()
    bars = bars_of(rows)
    costs = Costs(
        commission_rate=D("0.001"),
        slippage_bps=D(0),
        tick_size=D("0.01"),
        lot_size=D(1),
        fee_quantum=D("0.01"),
    )
    # when: a backtest, and a live runner fed one closed candle at a time
    backtest = simulate(
        bars=bars,
        strategy=STRATEGIES[name](**parameters),
        initial_capital=D(10000),
        costs=costs,
    )
    runner = StrategyRunner(STRATEGIES[name](**parameters))
    live = []
    for i, row in enumerate(rows):
        bar = {"open": row.open, "high": row.high, "low": row.low, "close": row.close}
        decision = runner.on_closed_bar({**bar, "volume": row.volume})
        if decision is not None:
            live.append((i, decision))
    # then: the same decisions on the same bars
    assert backtest.decisions
    assert live == backtest.decisions


@pytest.mark.parametrize(("name", "parameters"), CASES)
def test_skipping_the_non_candidate_bars_changes_no_decision(name, parameters):
    bars = bars_of(goog_rows())
    costs = Costs(
        commission_rate=D("0.001"),
        slippage_bps=D(0),
        tick_size=D("0.01"),
        lot_size=D(1),
        fee_quantum=D("0.01"),
    )
    cls = STRATEGIES[name]

    class EveryBar(cls):
        def candidates(self, arrays):
            return None

    fast = simulate(bars=bars, strategy=cls(**parameters), initial_capital=D(10000), costs=costs)
    slow = simulate(
        bars=bars, strategy=EveryBar(**parameters), initial_capital=D(10000), costs=costs
    )
    assert fast.decisions == slow.decisions
    assert fast.equity == slow.equity
