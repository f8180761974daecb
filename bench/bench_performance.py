"""Benchmark: /performance latency for 30 days out of one year of trades (100k fills).

Run: `.venv/bin/python bench/bench_performance.py` (SQLite, a temporary file) or with
DATABASE_URL=postgres://... set (a temporary test database on that server). One account gets a
year of closed round trips (two fills each, 100k fills by default) bulk-inserted as trade rows
(the read side is what is measured; building them at fill time is covered by the tests), then
GET /performance is timed in-process through the API for 30 days, 7 days and the whole year,
first from the trades alone and then with hourly equity snapshots. Prints median and p99 in ms.
"""

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
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
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

D = Decimal
END = datetime(2026, 1, 1, tzinfo=UTC)


def prepare(fills: int):
    """A funded account, a trader key, and a year of closed trades (two fills each)."""
    from access.models import Account
    from access.tests.factories import MembershipFactory, UserFactory
    from access.tests.helpers import key_make, simple_client
    from analytics.models import Trade
    from marketdata.models import Instrument
    from portfolio.services import balance_deposit

    account = Account.objects.create(name="Bench", base_currency="USD")
    balance_deposit(account=account, currency="USD", amount=D("10000000"))
    user = UserFactory(username="bench", roles=["trader"])
    MembershipFactory(user=user, account=account, is_default=True)
    api_key, secret = key_make(user=user, account=account, scopes=("read",))
    instrument = Instrument.objects.create(
        symbol="BENCH", name="Bench", asset_class="equity", currency="USD",
        tick_size=D("0.01"), lot_size=D("1"), min_quantity=D("1"), sim_initial_price=D("100"),
        sim_volatility=D("0.2"), sim_spread_bps=D("2"),
    )  # fmt: skip
    trades = fills // 2
    step = timedelta(days=365) / trades
    start = END - timedelta(days=365)
    rows = []
    for n in range(trades):
        opened = start + step * n
        exit_price = D(100) + D((n * 37) % 21 - 10)
        pnl = (exit_price - D(100)) * 10
        rows.append(
            Trade(
                account=account, instrument=instrument, side="buy", quantity=D(10),
                open_quantity=0, entry_quantity=D(10), entry_value=D(1000),
                entry_price=D(100), average_cost=D(100), exit_quantity=D(10),
                exit_value=exit_price * 10, exit_price=exit_price, gross_pnl=pnl, pnl=pnl,
                pnl_pct=pnl / 10, initial_stop=D(95), r_multiple=pnl / 50,
                opened_at=opened, closed_at=opened + step / 2,
            )
        )  # fmt: skip
    Trade.objects.bulk_create(rows, batch_size=5000)
    return account, simple_client(api_key, secret)


def snapshots_add(account) -> int:
    from portfolio.models import EquitySnapshot

    hours = 365 * 24
    start = END - timedelta(days=365)
    EquitySnapshot.objects.bulk_create(
        [
            EquitySnapshot(
                account=account, timestamp=start + timedelta(hours=h),
                equity=D(10000000) + D((h * 13) % 2001 - 1000), cash=D(10000000),
                positions_value=0, peak_equity=D(10001000), drawdown_pct=D("0.01"),
            )
            for h in range(hours)
        ],
        batch_size=5000,
    )  # fmt: skip
    return hours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fills", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    settings.RATE_LIMITS = {"data": "1000000/s", "trading": "1000000/s"}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    database = settings.DATABASES["default"]
    workdir = tempfile.mkdtemp(prefix="bench-performance-")
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(Path(workdir) / "bench.sqlite3")
    old = setup_databases(verbosity=0, interactive=False)
    results = []
    try:
        account, client = prepare(args.fills)
        periods = [("30 days", 30), ("7 days", 7), ("365 days", 365)]
        for source in ("trades", "hourly snapshots"):
            if source == "hourly snapshots":
                snapshots_add(account)
            for label, days in periods:
                since = (END - timedelta(days=days)).isoformat().replace("+00:00", "Z")
                path = f"/api/v1/performance?from={since}&to=2026-01-01T00:00:00Z"

                def get(path=path):
                    response = client.get(path)
                    assert response.status_code == 200, response.content

                get()
                trades = client.get(path).json()["trades"]
                results.append((source, label, trades, *timed(get, args.runs)))
    finally:
        teardown_databases(old, verbosity=0)

    print()
    print(f"GET /performance, {args.fills} fills over one year ({connection.vendor}, ms)")
    print(f"{'curves from':18} {'period':>9} {'trades':>7} {'median':>9} {'p99':>9}")
    for source, label, trades, median, p99 in results:
        print(f"{source:18} {label:>9} {trades:>7} {median:9.2f} {p99:9.2f}")


if __name__ == "__main__":
    main()
