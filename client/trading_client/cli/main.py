"""`trading`: the command line, built on `trading_client.Client`.

Exit status: 0 success; 1 unexpected failure (a bug, an unreadable answer); 2 usage or
configuration error (bad arguments, missing or unsafe config); 3 the server refused (an API
error, or at least one item of a bulk cancel/close); 4 the server could not be reached
(connection failed, timed out) after the retries.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from trading_client._version import __version__
from trading_client.cli.config import SettingsError, load_settings
from trading_client.cli.render import cell, pairs, table, to_json
from trading_client.client import AsyncClient, Client
from trading_client.errors import (
    APIError,
    ConfigurationError,
    NetworkError,
    ResponseFormatError,
    RiskRejectedError,
    ValidationError,
)
from trading_client.models.orders import CancelResult, Order
from trading_client.models.portfolio import Position
from trading_client.stream import ACCOUNT_CHANNELS, Subscription

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_API = 3
EXIT_NETWORK = 4


@dataclass(frozen=True)
class Output:
    """What a command produced: `data` for --json, `text` for people, and its exit status."""

    data: Any
    text: str
    status: int = EXIT_OK


Command = Callable[[Client, argparse.Namespace], Output]


# --- argument types -------------------------------------------------------------------------


def decimal_arg(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal number: {text!r}") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def datetime_arg(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- commands -------------------------------------------------------------------------------


def _health(client: Client, args: argparse.Namespace) -> Output:
    health = client.system.health()
    return Output(health.to_dict(), health.status)


def _status(client: Client, args: argparse.Namespace) -> Output:
    status = client.system.status()
    connections = status.connections
    workers = connections.workers
    text = pairs(
        [
            ("mode", status.mode),
            ("version", status.version),
            ("engine", status.engine.state),
            ("engine started", status.engine.started_at),
            ("database", connections.database),
            ("cache", connections.cache),
            ("channel layer", connections.channel_layer),
            ("broker", connections.broker),
            ("workers", workers.state if workers else None),
            ("market data", connections.market_data),
        ]
    )
    return Output(status.to_dict(), text)


def _me(client: Client, args: argparse.Namespace) -> Output:
    me = client.system.me()
    accounts = ", ".join(f"{a.name} ({a.id}, {a.base_currency})" for a in me.accounts)
    text = pairs(
        [
            ("user", me.user.username),
            (
                "credential",
                " ".join(
                    filter(None, [me.credential.type, me.credential.scheme, me.credential.key_id])
                ),
            ),
            ("roles", ", ".join(me.roles)),
            ("scopes", ", ".join(me.scopes)),
            ("accounts", accounts),
        ]
    )
    return Output(me.to_dict(), text)


def _instruments(client: Client, args: argparse.Namespace) -> Output:
    items = list(client.market.instruments(asset_class=args.asset_class))
    rows = [
        [i.symbol, i.name, i.asset_class, i.currency, i.tick_size, i.lot_size, i.status]
        for i in items
    ]
    headers = ["symbol", "name", "class", "ccy", "tick", "lot", "status"]
    return Output([i.to_dict() for i in items], table(headers, rows))


def _quotes(client: Client, args: argparse.Namespace) -> Output:
    quotes = client.market.quotes(args.symbols or None)
    rows = [
        [q.symbol, q.bid_size, q.bid, q.ask, q.ask_size, q.last, q.volume, q.timestamp]
        for q in quotes.quotes
    ]
    text = table(["symbol", "bid size", "bid", "ask", "ask size", "last", "volume", "time"], rows)
    if quotes.unavailable:
        text += f"\nno live quote: {', '.join(quotes.unavailable)}"
    return Output(quotes.to_dict(), text)


def _candles(client: Client, args: argparse.Namespace) -> Output:
    candles = client.market.candles(
        args.symbol, interval=args.interval, start=args.start, end=args.end, limit=args.limit
    )
    rows = [[c.timestamp, c.open, c.high, c.low, c.close, c.volume] for c in candles.candles]
    text = f"{candles.symbol} {candles.interval}\n" + table(
        ["time", "open", "high", "low", "close", "volume"], rows
    )
    return Output(candles.to_dict(), text)


def _book(client: Client, args: argparse.Namespace) -> Output:
    book = client.market.order_book(args.symbol, depth=args.depth)
    depth = max(len(book.bids), len(book.asks))
    rows = []
    for index in range(depth):
        bid = book.bids[index] if index < len(book.bids) else None
        ask = book.asks[index] if index < len(book.asks) else None
        rows.append(
            [
                bid.count if bid else None,
                bid.size if bid else None,
                bid.price if bid else None,
                ask.price if ask else None,
                ask.size if ask else None,
                ask.count if ask else None,
            ]
        )
    text = f"{book.symbol} at {cell(book.timestamp)}\n" + table(
        ["orders", "bid size", "bid", "ask", "ask size", "orders"], rows
    )
    return Output(book.to_dict(), text)


def _order_text(order: Order) -> str:
    lines = pairs(
        [
            ("order", order.id),
            ("client order id", order.client_order_id),
            ("symbol", order.symbol),
            ("side", order.side),
            ("type", order.order_type),
            ("time in force", order.time_in_force),
            ("quantity", order.quantity),
            ("filled", order.filled_quantity),
            ("limit price", order.limit_price),
            ("stop price", order.stop_price),
            ("average fill price", order.average_fill_price),
            ("status", order.status),
            ("rejected", f"{order.reject_code} {order.reject_reason}".strip() or None),
            ("version", order.version),
            ("locked", order.locked_amount),
            ("created", order.created_at),
        ]
    )
    if order.fills:
        rows = [[f.executed_at, f.quantity, f.price, f.fee, f.liquidity] for f in order.fills]
        lines += "\n\n" + table(["filled at", "quantity", "price", "fee", "liquidity"], rows)
    return lines


def _type_of(args: argparse.Namespace) -> str | None:
    """The order type given, else inferred from the prices (limit, stop, stop_limit, market)."""
    if args.order_type:
        return args.order_type
    if args.limit_price is not None and args.stop_price is not None:
        return "stop_limit"
    if args.limit_price is not None:
        return "limit"
    if args.stop_price is not None:
        return "stop"
    return "market"


def _place(client: Client, args: argparse.Namespace) -> Output:
    order = client.orders.submit(
        args.symbol,
        args.side,
        args.quantity,
        order_type=_type_of(args),
        time_in_force=args.tif,
        limit_price=args.limit_price,
        stop_price=args.stop_price,
        expire_at=args.expire_at,
        stop_loss=args.stop_loss,
        client_order_id=args.client_order_id,
        strategy=args.strategy,
        idempotency_key=args.idempotency_key,
    )
    return Output(order.to_dict(), _order_text(order))


def _preview(client: Client, args: argparse.Namespace) -> Output:
    preview = client.orders.preview(
        args.symbol,
        args.side,
        args.quantity,
        order_type=_type_of(args),
        time_in_force=args.tif,
        limit_price=args.limit_price,
        stop_price=args.stop_price,
        expire_at=args.expire_at,
        stop_loss=args.stop_loss,
    )
    text = pairs(
        [
            ("verdict", preview.verdict),
            ("symbol", preview.symbol),
            ("estimated price", preview.estimated_price),
            ("notional", preview.notional),
            ("fee", preview.fee),
            ("would lock", preview.locked_amount),
            ("available", preview.available),
            ("currency", preview.currency),
        ]
    )
    if preview.violations:
        rows = [[v.rule, v.limit, v.value, v.message] for v in preview.violations]
        text += "\n\n" + table(["rule", "limit", "value", "message"], rows)
    return Output(preview.to_dict(), text)


def _modify(client: Client, args: argparse.Namespace) -> Output:
    if args.quantity is None and args.limit_price is None and args.stop_price is None:
        raise UsageError("give at least one of --quantity, --limit-price, --stop-price")
    order = client.orders.modify(
        args.order_id,
        quantity=args.quantity,
        limit_price=args.limit_price,
        stop_price=args.stop_price,
        version=args.version,
    )
    return Output(order.to_dict(), _order_text(order))


def _cancel(client: Client, args: argparse.Namespace) -> Output:
    order = client.orders.cancel(args.order_id)
    return Output(order.to_dict(), _order_text(order))


def _bulk_status(items: Sequence[Any]) -> int:
    return EXIT_OK if all(item.ok for item in items) else EXIT_API


def _cancel_rows(items: Sequence[CancelResult]) -> list[list[Any]]:
    return [[r.order_id, r.status_code, r.status, r.error.code if r.error else None] for r in items]


def _cancel_all(client: Client, args: argparse.Namespace) -> Output:
    results = client.orders.cancel_all(symbol=args.symbol)
    text = table(["order", "status code", "status", "error"], _cancel_rows(results))
    return Output([r.to_dict() for r in results], text, _bulk_status(results))


def _order_get(client: Client, args: argparse.Namespace) -> Output:
    order = client.orders.get(args.order_id)
    return Output(order.to_dict(), _order_text(order))


def _orders(client: Client, args: argparse.Namespace) -> Output:
    page = client.orders.list(
        status=args.status, symbol=args.symbol, side=args.side, limit=args.limit
    ).page()
    rows = [
        [
            o.id,
            o.symbol,
            o.side,
            o.order_type,
            o.quantity,
            o.filled_quantity,
            o.limit_price,
            o.stop_price,
            o.status,
            o.created_at,
        ]
        for o in page.items
    ]
    headers = [
        "id",
        "symbol",
        "side",
        "type",
        "qty",
        "filled",
        "limit",
        "stop",
        "status",
        "created",
    ]
    text = table(headers, rows)
    if page.has_next:
        text += "\n(more: raise --limit)"
    return Output([o.to_dict() for o in page.items], text)


def _position_rows(positions: Sequence[Position]) -> list[list[Any]]:
    return [
        [
            p.symbol,
            p.side,
            p.quantity,
            p.average_entry_price,
            p.market_price,
            p.market_value,
            p.unrealized_pnl,
            p.realized_pnl,
        ]
        for p in positions
    ]


_POSITION_HEADERS = [
    "symbol",
    "side",
    "qty",
    "avg entry",
    "mark",
    "value",
    "unrealized",
    "realized",
]


def _positions(client: Client, args: argparse.Namespace) -> Output:
    positions = client.portfolio.positions()
    text = table(_POSITION_HEADERS, _position_rows(positions))
    return Output([p.to_dict() for p in positions], text)


def _balances(client: Client, args: argparse.Namespace) -> Output:
    balances = client.portfolio.balances()
    rows = [[b.currency, b.total, b.available, b.locked] for b in balances]
    text = table(["currency", "total", "available", "locked"], rows)
    return Output([b.to_dict() for b in balances], text)


def _portfolio(client: Client, args: argparse.Namespace) -> Output:
    summary = client.portfolio.summary()
    text = pairs(
        [
            ("currency", summary.currency),
            ("cash", summary.cash),
            ("positions value", summary.positions_value),
            ("equity", summary.equity),
            ("realized pnl", summary.realized_pnl),
            ("unrealized pnl", summary.unrealized_pnl),
            ("total pnl", summary.total_pnl),
            ("gross exposure", summary.exposure.gross),
            ("net exposure", summary.exposure.net),
            ("peak equity", summary.peak_equity),
            ("drawdown %", summary.drawdown_pct),
            ("drawdown zone", summary.dd_zone),
            ("risk level", summary.risk_level),
        ]
    )
    if summary.positions:
        text += "\n\n" + table(_POSITION_HEADERS, _position_rows(summary.positions))
    return Output(summary.to_dict(), text)


def _performance(client: Client, args: argparse.Namespace) -> Output:
    perf = client.analytics.performance(days=args.days, start=args.start, end=args.end)
    text = pairs(
        [
            ("from", perf.start),
            ("to", perf.end),
            ("trades", perf.trades),
            ("wins", perf.wins),
            ("losses", perf.losses),
            ("win rate %", perf.win_rate),
            ("total pnl", perf.total_pnl),
            ("total R", perf.total_r),
            ("average R", perf.avg_r),
            ("profit factor", perf.profit_factor),
            ("expectancy", perf.expectancy),
            ("average win", perf.avg_win),
            ("average loss", perf.avg_loss),
            ("sharpe", perf.sharpe),
            ("sortino", perf.sortino),
            ("max drawdown %", perf.max_drawdown_pct),
        ]
    )
    return Output(perf.to_dict(), text)


def _state(client: Client, args: argparse.Namespace) -> Output:
    state = client.trading.get()
    text = pairs(
        [
            ("state", state.state),
            ("effective", state.effective_state),
            ("reason", state.reason),
            ("by", state.actor),
            ("since", state.changed_at),
        ]
    )
    return Output(state.to_dict(), text)


def _stop(client: Client, args: argparse.Namespace) -> Output:
    result = client.trading.stop(
        args.reason, cancel_orders=not args.keep_orders, close_positions=not args.keep_positions
    )
    text = pairs([("state", result.state), ("reason", result.reason)])
    text += "\n\ncanceled orders\n" + table(
        ["order", "status code", "status", "error"], _cancel_rows(result.canceled_orders)
    )
    closing = [
        [c.symbol, c.status_code, c.order_id, c.status, c.error.code if c.error else None]
        for c in result.closing_orders
    ]
    text += "\n\nclosing orders\n" + table(
        ["symbol", "status code", "order", "status", "error"], closing
    )
    status = _bulk_status([*result.canceled_orders, *result.closing_orders])
    return Output(result.to_dict(), text, status)


def _start(client: Client, args: argparse.Namespace) -> Output:
    state = client.trading.start(args.reason)
    return Output(state.to_dict(), pairs([("state", state.state), ("reason", state.reason)]))


# --- strategies, backtests and the stream --------------------------------------------------


def _strategies(client: Client, args: argparse.Namespace) -> Output:
    strategies = list(client.backtests.strategies())
    rows = [[s.name, s.title, ", ".join(f"{k}={v}" for k, v in (s.defaults or {}).items())]
            for s in strategies]  # fmt: skip
    return Output([s.to_dict() for s in strategies], table(["name", "title", "defaults"], rows))


def _parameter(text: str) -> tuple[str, Any]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"a parameter is name=value: {text!r}")
    try:
        return name, int(value)
    except ValueError:
        return name, value


def progress_bar(percentage: Decimal, phase: str, width: int = 30) -> str:
    """`[#########.....]  31.5%  phase` for a percentage from 0 to 100."""
    done = int(width * min(max(percentage, Decimal(0)), Decimal(100)) / 100)
    return f"[{'#' * done}{'.' * (width - done)}] {cell(percentage):>6}%  {phase}"


_STATISTICS = (
    "total_return_pct", "cagr_pct", "sharpe_ratio", "sortino_ratio", "max_drawdown_pct",
    "win_rate", "profit_factor", "exposure_pct", "total_trades", "final_equity", "total_fees",
)  # fmt: skip


def _backtest(client: Client, args: argparse.Namespace) -> Output:
    started = client.backtests.run(
        args.strategy,
        args.symbol,
        interval=args.interval,
        start=args.start,
        end=args.end,
        initial_capital=args.capital,
        parameters=dict(args.param or []),
    )
    show = sys.stderr.isatty() or args.progress
    clock = time.monotonic
    deadline = clock() + args.wait
    operation = client.operations.get(started.operation_id)
    while not operation.finished:
        if show:
            bar = progress_bar(operation.progress.percentage, operation.progress.phase)
            print(f"\r{bar}", end="", file=sys.stderr, flush=True)
        if clock() > deadline:
            raise UsageError(
                f"backtest {started.backtest_id} still {operation.status} after {args.wait} s"
            )
        time.sleep(0.2)  # the pace of the bar's redraw, not a synchronisation
        operation = client.operations.get(started.operation_id)
    if show:
        print(f"\r{progress_bar(Decimal(100), operation.status)}", file=sys.stderr)
    result = client.backtests.get(started.backtest_id)
    if result.status != "completed":
        error = f"{result.error.code}: {result.error.message}" if result.error else None
        text = pairs([("backtest", result.id), ("status", result.status), ("error", error)])
        return Output(result.to_dict(), text, EXIT_API)
    summary = [("backtest", result.id), ("strategy", result.strategy),
               ("symbol", f"{result.symbol} {result.interval}"), ("bars", result.bars)]  # fmt: skip
    summary += [(name, getattr(result, name)) for name in _STATISTICS]
    return Output(result.to_dict(), pairs(summary))


def _stream(client: Client, args: argparse.Namespace) -> Output:
    """Print stream messages as they come (one JSON object per line with --json)."""
    account = client.account if args.channel in ACCOUNT_CHANNELS else None
    if args.channel not in ACCOUNT_CHANNELS and not args.symbols:
        raise UsageError(f"`stream {args.channel}` needs at least one symbol")
    subscription = Subscription(
        args.channel, symbols=tuple(s.upper() for s in args.symbols), account=account,
        interval=args.interval,
    )  # fmt: skip

    async def follow() -> int:
        count = 0
        options = client._transport.options
        async with AsyncClient(options.api_root, auth=options.auth, account=options.account) as ac:
            async for message in ac.stream([subscription]):
                if args.json:
                    print(json.dumps(message.raw, ensure_ascii=False), flush=True)
                else:
                    label = message.event or message.type
                    where = message.symbol or (
                        f"account {message.account}" if message.account else ""
                    )
                    print(f"{message.seq}  {message.channel}  {where}  {label}  "
                          f"{_summary(message.data)}", flush=True)  # fmt: skip
                count += 1
                if args.count and count >= args.count:
                    return count
        return count

    asyncio.run(follow())
    return Output(None, "", EXIT_OK)


def _summary(data: Any) -> str:
    if isinstance(data, dict):
        keys = ("id", "symbol", "side", "status", "quantity", "price", "bid", "ask", "total")
        return " ".join(f"{k}={data[k]}" for k in keys if data.get(k) not in (None, ""))
    if isinstance(data, list):
        return f"{len(data)} items"
    return cell(data)


# --- parser ---------------------------------------------------------------------------------


class UsageError(Exception):
    """A command's arguments make no sense together (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _order_entry_arguments(parser: argparse.ArgumentParser, *, placing: bool) -> None:
    parser.add_argument("symbol")
    parser.add_argument("side", choices=["buy", "sell"], type=str.lower)
    parser.add_argument("quantity", type=decimal_arg)
    parser.add_argument(
        "--type",
        dest="order_type",
        choices=["market", "limit", "stop", "stop_limit"],
        help="default: inferred from the prices given (market without any)",
    )
    parser.add_argument("--limit-price", type=decimal_arg)
    parser.add_argument("--stop-price", type=decimal_arg)
    parser.add_argument("--tif", choices=["gtc", "day", "ioc", "fok", "gtd"], help="default gtc")
    parser.add_argument("--expire-at", type=datetime_arg, help="gtd: ISO 8601")
    parser.add_argument("--stop-loss", type=decimal_arg, help="protective level (risk, R)")
    if placing:
        parser.add_argument("--client-order-id")
        parser.add_argument("--strategy")
        parser.add_argument(
            "--idempotency-key", help="reuse it to retry a placement safely (default: new)"
        )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `trading`."""
    # A parent of the subcommands' parsers, so of their class (it only lends its argument).
    json_flag = _Parser(add_help=False)
    json_flag.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="JSON output"
    )
    parser = _Parser(
        prog="trading",
        description="Trading back-office from the command line.",
        epilog="Exit status: 0 ok, 1 unexpected failure, 2 usage or configuration error, "
        "3 refused by the server, 4 server unreachable.",
    )
    parser.add_argument("--version", action="version", version=f"trading {__version__}")
    parser.add_argument("--json", action="store_true", default=False, help="JSON output")
    parser.add_argument("--config", help="config file (default ~/.config/trading/config.toml)")
    parser.add_argument("--profile", help="profile in the config file (default: default)")
    parser.add_argument("--base-url", help="server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--account", help="id of the account to act on")
    parser.add_argument("--timeout", type=float, help="seconds per attempt (default 10)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, run: Command, help_text: str, **kwargs: Any) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, parents=[json_flag], **kwargs)
        sub.set_defaults(run=run)
        return sub

    command("health", _health, "is the server up (no credential needed)")
    command("status", _status, "engine, mode and connections")
    command("me", _me, "who the credential is")
    sub = command("instruments", _instruments, "tradable instruments")
    sub.add_argument("--asset-class")
    sub = command("quote", _quotes, "live quotes", aliases=["quotes"])
    sub.add_argument("symbols", nargs="*", help="default: every trading instrument")
    sub = command("candles", _candles, "OHLCV candles, oldest first")
    sub.add_argument("symbol")
    sub.add_argument("--interval", choices=["1m", "5m", "15m", "1h", "1d"], default="1m")
    sub.add_argument("--limit", type=int, default=50)
    sub.add_argument("--from", dest="start", type=datetime_arg)
    sub.add_argument("--to", dest="end", type=datetime_arg)
    sub = command("book", _book, "order book", aliases=["orderbook"])
    sub.add_argument("symbol")
    sub.add_argument("--depth", type=int, default=10)

    order = commands.add_parser("order", help="place, preview, modify, cancel, show an order")
    actions = order.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, run: Command, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, parents=[json_flag])
        sub.set_defaults(run=run)
        return sub

    _order_entry_arguments(action("place", _place, "place an order"), placing=True)
    _order_entry_arguments(action("preview", _preview, "what placing would do"), placing=False)
    sub = action("modify", _modify, "change a working order")
    sub.add_argument("order_id", type=int)
    sub.add_argument("--quantity", type=decimal_arg)
    sub.add_argument("--limit-price", type=decimal_arg)
    sub.add_argument("--stop-price", type=decimal_arg)
    sub.add_argument("--version", type=int, help="only if the order is at this version")
    sub = action("cancel", _cancel, "cancel an order")
    sub.add_argument("order_id", type=int)
    sub = action("cancel-all", _cancel_all, "cancel every working order")
    sub.add_argument("--symbol")
    sub = action("get", _order_get, "an order with its fills")
    sub.add_argument("order_id", type=int)

    sub = command("orders", _orders, "recent orders, newest first")
    sub.add_argument("--status")
    sub.add_argument("--symbol")
    sub.add_argument("--side", choices=["buy", "sell"])
    sub.add_argument("--limit", type=int, default=50)
    command("positions", _positions, "open positions")
    command("balances", _balances, "cash by currency")
    command("portfolio", _portfolio, "equity, PnL, exposure, drawdown")
    sub = command("performance", _performance, "performance of closed trades")
    sub.add_argument("--days", type=int)
    sub.add_argument("--from", dest="start", type=datetime_arg)
    sub.add_argument("--to", dest="end", type=datetime_arg)
    command("state", _state, "the account's trading state")
    sub = command("stop", _stop, "kill switch: stop trading, cancel orders, flatten")
    sub.add_argument("--reason", required=True)
    sub.add_argument("--keep-orders", action="store_true", help="do not cancel working orders")
    sub.add_argument("--keep-positions", action="store_true", help="do not close positions")
    sub = command("start", _start, "let trading run again")
    sub.add_argument("--reason", required=True)

    command("strategies", _strategies, "the strategies a backtest can run")
    sub = command("backtest", _backtest, "run a backtest with a progress bar, then its figures")
    sub.add_argument("strategy")
    sub.add_argument("symbol")
    sub.add_argument("--interval", choices=["1m", "5m", "15m", "1h", "1d"])
    sub.add_argument("--from", dest="start", type=datetime_arg)
    sub.add_argument("--to", dest="end", type=datetime_arg)
    sub.add_argument("--capital", type=decimal_arg)
    sub.add_argument("--param", action="append", type=_parameter, help="name=value, repeatable")
    sub.add_argument("--wait", type=float, default=600, help="give up after this many seconds")
    sub.add_argument(
        "--progress", action="store_true", help="draw the bar even when stderr is not a terminal"
    )
    sub = command("stream", _stream, "follow a stream channel (quotes AAPL, orders, fills, ...)")
    sub.add_argument("channel")
    sub.add_argument("symbols", nargs="*", help="market channels: the symbols")
    sub.add_argument("--interval", help="candles: 1m, 5m, 15m, 1h, 1d")
    sub.add_argument("--count", type=int, help="stop after this many messages")
    return parser


# --- running --------------------------------------------------------------------------------


def _error_text(error: APIError) -> str:
    text = f"error: {error}"
    if isinstance(error, ValidationError):
        for field, messages in error.fields.items():
            text += f"\n  {field}: {'; '.join(messages)}"
    if isinstance(error, RiskRejectedError):
        for violation in error.violations:
            text += f"\n  {violation.rule}: {violation.message}"
        if error.order_id is not None:
            text += f"\n  (rejected order {error.order_id} is kept)"
    return text


def _fail(status: int, message: str, payload: dict[str, Any], as_json: bool) -> int:
    print(to_json(payload) if as_json else message, file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None, *, env: dict[str, str] | None = None) -> int:
    """Run `trading` with `argv` (default: sys.argv); return the exit status."""
    args = build_parser().parse_args(argv)
    as_json = bool(args.json)
    try:
        settings = load_settings(
            env=os.environ if env is None else env,
            config=args.config,
            profile=args.profile,
            base_url=args.base_url,
            account=args.account,
            timeout=args.timeout,
        )
        client = Client(
            settings.base_url,
            auth=settings.auth,
            account=settings.account,
            timeout=settings.timeout,
        )
        with client:
            output = args.run(client, args)
    except (SettingsError, UsageError, ConfigurationError) as exc:
        return _fail(EXIT_USAGE, f"error: {exc}", {"error": {"message": str(exc)}}, as_json)
    except APIError as exc:
        return _fail(EXIT_API, _error_text(exc), exc.to_dict(), as_json)
    except NetworkError as exc:
        message = f"error: cannot reach the server: {exc}"
        return _fail(EXIT_NETWORK, message, {"error": {"message": str(exc)}}, as_json)
    except ResponseFormatError as exc:
        message = f"error: unexpected answer from the server: {exc}"
        return _fail(EXIT_FAILURE, message, {"error": {"message": str(exc)}}, as_json)
    except KeyboardInterrupt:
        return 130
    if output.data is not None or output.text:  # a stream printed as it went
        print(to_json(output.data) if as_json else output.text)
    return output.status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
