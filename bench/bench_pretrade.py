"""Benchmark: pre-trade check cost per order with every rule on and 1,000 open positions.

Run: `.venv/bin/python bench/bench_pretrade.py` (SQLite, a temporary file) or with
DATABASE_URL=postgres://... set (a temporary test database on that server). Prints the median and
p99 of the order validation alone, of gate + all risk rules, their ratio, and queries per check.
"""

import argparse
import os
import sys
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading_api.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from common import timed  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

D = Decimal


def prepare(positions: int):
    """An account with cash, `positions` open positions, open orders, and every rule configured."""
    from access.models import Account
    from marketdata.models import Instrument
    from orders.services import order_submit
    from orders.tests.helpers import quote_set
    from portfolio.models import Position
    from portfolio.services import balance_deposit
    from risk.services import risk_config_update, risk_override_create

    account = Account.objects.create(name="Bench", base_currency="USD")
    balance_deposit(account=account, currency="USD", amount=D("100000000"))
    common = {
        "asset_class": "equity", "currency": "USD", "tick_size": D("0.01"), "lot_size": D("1"),
        "min_quantity": D("1"), "sim_initial_price": D("100"), "sim_volatility": D("0.2"),
        "sim_spread_bps": D("2"),
    }  # fmt: skip
    instruments = Instrument.objects.bulk_create(
        [Instrument(symbol=f"B{n:04d}", name=f"Bench {n}", **common) for n in range(positions + 1)]
    )
    target = instruments[0]
    Position.objects.bulk_create(
        [
            Position(
                account=account,
                instrument=instrument,
                quantity=D(10 if n % 2 else -10),
                average_entry_price=D("100"),
            )
            for n, instrument in enumerate(instruments[1:])
        ]
    )
    quote_set(target.symbol, bid="99.99", ask="100.01")
    for _ in range(20):
        order_submit(
            account=account, symbol=target.symbol, side="buy", order_type="limit",
            quantity=D("1"), limit_price=D("95"),
        )  # fmt: skip
    risk_config_update(
        account=account,
        changes={
            "max_order_quantity": "100000", "max_order_notional": "10000000",
            "max_position_notional": "10000000", "max_gross_exposure": "100000000",
            "max_open_orders": 10000, "price_band_pct": "10",
            "allowed_symbols": [i.symbol for i in instruments[:50]],
            "blocked_symbols": ["ZZZZ"], "risk_per_trade_pct": "5",
            "max_orders_per_second": 100000, "daily_loss_limit": "100000",
            "max_drawdown_pct": "20",
        },
    )  # fmt: skip
    risk_override_create(
        account=account, kind="limit", target="max_order_quantity", value="200000",
        reason="bench", expires_at=timezone.now() + timedelta(hours=1),
    )  # fmt: skip
    return account, target


def bench(positions: int, runs: int) -> dict:
    from orders.services.entry import order_intent, order_validate
    from risk.pretrade import pretrade_assess, trading_gate

    account, target = prepare(positions)
    fields = {
        "symbol": target.symbol, "side": "buy", "order_type": "limit", "time_in_force": "gtc",
        "quantity": D("10"), "limit_price": D("100.00"), "stop_price": None, "expire_at": None,
        "stop_loss": D("95.00"),
    }  # fmt: skip

    def intent():
        # What order entry builds: the order and the account's other orders (one query).
        return order_intent(
            account_id=account.pk, instrument=target, side="buy", order_type="limit",
            quantity=D("10"), limit_price=D("100.00"), stop_price=None, stop_loss=D("95.00"),
            reference_price=D("100.00"),
        )  # fmt: skip

    def validate():
        order_validate(**fields)

    def check():
        order = intent()
        trading_gate(intent=order)
        violations = pretrade_assess(intent=order).violations
        assert violations == [], violations

    validate()
    check()
    with CaptureQueriesContext(connection) as queries:
        check()
    validate_median, validate_p99 = timed(validate, runs)
    check_median, check_p99 = timed(check, runs)
    return {
        "validate": (validate_median, validate_p99),
        "check": (check_median, check_p99),
        "queries": len(queries.captured_queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--positions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()

    database = settings.DATABASES["default"]
    workdir = tempfile.mkdtemp(prefix="bench-pretrade-")
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(Path(workdir) / "bench.sqlite3")
    old = setup_databases(verbosity=0, interactive=False)
    try:
        result = bench(args.positions, args.runs)
    finally:
        teardown_databases(old, verbosity=0)

    vendor = connection.vendor
    print()
    print(f"pre-trade check, {args.positions} open positions, all rules on ({vendor}, ms)")
    print(f"{'':32} {'median':>8} {'p99':>8}")
    print(
        f"{'order validation alone':32} {result['validate'][0]:8.3f} {result['validate'][1]:8.3f}"
    )
    print(f"{'gate + every risk rule':32} {result['check'][0]:8.3f} {result['check'][1]:8.3f}")
    ratio = result["check"][0] / result["validate"][0]
    print(
        f"ratio (risk / validation), median: {ratio:.1f}x; queries per check: {result['queries']}"
    )


if __name__ == "__main__":
    main()
