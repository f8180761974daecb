"""The money harness on PostgreSQL with real threads racing: clients against the venue.

Client threads place, modify (moving limits away while orders fill) and cancel; a venue thread
matches a moving market with the venue's own book, and halfway through a second venue takes the
lead (the leader-overlap window) while the first still runs. Afterwards the books are
recomputed from the fills, exactly.
"""

import random
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from access.tests.factories import AccountFactory
from kernel.errors import ApplicationError
from marketdata.services import market_state_store
from marketdata.simulator import Quote
from marketdata.tests.factories import InstrumentFactory
from orders.errors import VenueFenced
from orders.models import Fill, Order
from orders.services import order_cancel, order_modify, order_submit
from portfolio.models import LedgerEntry
from portfolio.services import balance_deposit
from tests.money.reference import Expectations, Fees, account_check
from venue.book import VenueBook

D = Decimal
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
CLIENTS = 4
OPERATIONS = 60
QUOTES = 160


class Tape:
    """One market for every thread: the latest quote, in the cache and for the venue."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.mid = D("190.00")
        self.now = timezone.now().replace(microsecond=0)
        self.lock = threading.Lock()

    def next(self) -> Quote:
        with self.lock:
            step = self.random.choice([-25, -3, -1, 0, 1, 3, 25]) * D("0.01")
            if self.random.random() < 0.03:
                step *= 40  # a gap
            self.mid = max(self.mid + step, D("50.00"))
            self.now += timedelta(milliseconds=200)
            size = D(self.random.choice([1, 5, 20, 80]))
            quote = Quote(
                symbol="AAPL",
                bid=self.mid - D("0.01"),
                ask=self.mid + D("0.01"),
                bid_size=size,
                ask_size=size,
                last=self.mid,
                volume=D(0),
                timestamp=self.now,
                source="simulator",
            )
            market_state_store(quotes=[quote.as_dict()], books=[], ttl_s=600)
            return quote


def _client(account, tape: Tape, seed: int, errors: list) -> None:
    rng = random.Random(seed)
    try:
        for _ in range(OPERATIONS):
            action = rng.choice(["place", "place", "modify", "modify", "cancel"])
            try:
                if action == "place":
                    side = rng.choice(["buy", "sell"])
                    order_type = rng.choice(["limit", "limit", "market"])
                    offset = D(rng.randint(-30, 30)) / 100
                    order_submit(
                        account=account,
                        symbol="AAPL",
                        side=side,
                        order_type=order_type,
                        quantity=D(rng.randint(1, 40)),
                        limit_price=(tape.mid + offset) if order_type == "limit" else None,
                    )
                    continue
                working = list(
                    Order.objects.filter(
                        account=account, status__in=["open", "partially_filled"]
                    ).values_list("id", "side", "limit_price", "order_type")
                )
                if not working:
                    continue
                order_id, side, limit, order_type = rng.choice(working)
                if action == "cancel":
                    order_cancel(order_id=order_id)
                elif order_type == "limit":
                    # Move the limit away from the market while the venue may be filling it.
                    away = D(rng.randint(1, 80)) / 100
                    order_modify(
                        order_id=order_id,
                        limit_price=max(limit - away, D("1.00")) if side == "buy" else limit + away,
                    )
            except ApplicationError:
                pass
    except Exception as exc:  # surfaced by the test's assertion
        errors.append(exc)
    finally:
        connection.close()


def _venue(book: VenueBook, tape: Tape, quotes: int, errors: list, fenced: list) -> None:
    try:
        for index in range(quotes):
            book.step(quotes=[tape.next()], now=tape.now)
            if index % 4 == 0:
                book.sweep()
    except VenueFenced:
        fenced.append(book.epoch)
    except Exception as exc:
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_racing_clients_and_a_leader_overlap_keep_the_books_exact(seed, settings):
    assert connections["default"].vendor == "postgresql"
    settings.VENUE_FEES = {
        "default": {"maker": "0.0010", "taker": "0.0020"},
        "BTCUSD": {"taker": "0.0005"},
    }
    InstrumentFactory(symbol="AAPL", tick_size=D("0.01"), lot_size=D("1"))
    accounts = [AccountFactory() for _ in range(2)]
    for account in accounts:
        balance_deposit(account=account, currency="USD", amount=D("30000"))
    tape = Tape(seed)
    tape.next()
    first = VenueBook()
    first.start(holder="first")
    errors: list = []
    fenced: list = []
    threads = [
        threading.Thread(target=_client, args=(accounts[i % 2], tape, seed * 100 + i, errors))
        for i in range(CLIENTS)
    ]
    # The first venue would run long; its successor cuts it short.
    threads.append(threading.Thread(target=_venue, args=(first, tape, QUOTES * 10, errors, fenced)))
    for thread in threads:
        thread.start()
    # Halfway through the first venue's run, a successor takes the lead beside it.
    while first.fills < 3 and threads[-1].is_alive():
        threads[-1].join(timeout=0.05)
    second = VenueBook()
    second.start(holder="second")
    successor = threading.Thread(target=_venue, args=(second, tape, QUOTES, errors, fenced))
    successor.start()
    for thread in [*threads, successor]:
        thread.join(timeout=600)

    assert errors == []
    assert fenced == [first.epoch], "the first venue must be fenced, and only it"
    fees = Fees(settings.VENUE_FEES)
    total_fills = 0
    for account in accounts:
        orders = Order.objects.filter(account=account)
        expectations = Expectations(
            lock_price={o.pk: o.lock_price for o in orders},
            protection={o.pk: o.protection_price for o in orders},
        )
        deposits = {"USD": D("30000")}
        assert (
            account_check(
                account=account,
                fees=fees,
                deposits=deposits,
                expectations=expectations,
                band_pct=None,
            )
            == []
        )
        # Booking order is fill order: the ledger rows of the fills come in the fills' order,
        # and the venue's market time never runs backwards along them.
        fills = list(Fill.objects.filter(account=account).order_by("id"))
        ledger_fill_ids = list(
            LedgerEntry.objects.filter(account=account, kind="trade")
            .order_by("id")
            .values_list("fill_id", flat=True)
        )
        assert ledger_fill_ids == [fill.pk for fill in fills]
        times = [fill.executed_at for fill in fills]
        assert times == sorted(times)
        total_fills += len(fills)
    assert total_fills > 0
