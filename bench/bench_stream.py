"""Streaming fan-out: many authenticated sockets on one daphne over Redis, publish to receipt.

Topology (services mode, on this machine): one `manage.py serve` (daphne) on a fresh SQLite
database, the Redis of REDIS_URL (default redis://127.0.0.1:6379/13, with prefixes of this run
only), this process publishing, and the sockets in a separate client process.

Every socket authenticates with its own user's JWT, follows one of 20 symbols' `quotes`, and its
own account's `orders` and `fills`. This process publishes quotes at 200/s in total (through the
channel layer, as the feed does) and "orders" at 20/s, each an `orders` and a `fills` event of a
random account through kernel.publish.account_publish after a real commit (numbered, kept in the
Redis replay window, sent to the group). Reported per run: account events delivered / sent (must
be exactly 1), p50/p99 publish-to-receipt latency of quotes and of account events, and the CPU of
the server process. Runs: a single socket as the baseline, then 100 and 1,000 sockets; the
ratios are against the baseline. A micro-measurement of the channel layer itself shows why each
process joins a group once (its hub) rather than once per socket (channels_redis #83).

    .venv/bin/python bench/bench_stream.py [--sockets 100 1000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import free_port, percentile, wait_until_up  # noqa: E402

PYTHON = sys.executable
SYMBOL_COUNT = 20
QUOTES_PER_S = 200
ORDERS_PER_S = 20


def _bench_env(workdir: Path) -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "trading_api.settings",
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"),
            "SQLITE_PATH": str(workdir / "db.sqlite3"),
            "LOCAL_DIR": str(workdir / "local"),
            "CACHE_KEY_PREFIX": f"bench-{tag}",
            "CHANNEL_LAYER_PREFIX": f"bench-{tag}:asgi",
            "STREAM_LOG_PREFIX": f"bench-{tag}:stream",
            "CELERY_QUEUE": f"bench-{tag}",
            "ENGINE_EMBEDDED": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


# --- set-up (this process, Django configured) ----------------------------------------------
def _setup(users: int) -> tuple[list[str], list[tuple[int, str]]]:
    """Migrate; create the symbols and `users` users, each a trader of an account of its own."""
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from access.models import Account, Membership
    from marketdata.tests.factories import InstrumentFactory

    call_command("migrate", verbosity=0)
    symbols = [f"S{n:02d}" for n in range(SYMBOL_COUNT)]
    for symbol in symbols:
        InstrumentFactory(symbol=symbol)
    trader = Group.objects.get(name="trader")
    accounts = Account.objects.bulk_create(
        [Account(name=f"bench-{n}", base_currency="USD") for n in range(users)]
    )
    people = User.objects.bulk_create(
        [User(username=f"bench-{n}", password="!") for n in range(users)]
    )
    trader.user_set.add(*people)
    Membership.objects.bulk_create(
        [
            Membership(user=u, account=a, is_default=True)
            for u, a in zip(people, accounts, strict=True)
        ]
    )
    return symbols, [
        (a.pk, str(AccessToken.for_user(u))) for u, a in zip(people, accounts, strict=True)
    ]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- publishing (this process) -------------------------------------------------------------
def _publish_order(account_id: int, n: int) -> None:
    from django.db import transaction

    from kernel.publish import account_publish

    with transaction.atomic():
        for stream in ("orders", "fills"):
            account_publish(
                account_id=account_id,
                stream=stream,
                event="bench.order",
                data={"id": n, "published_ns": time.time_ns()},
            )


async def _drive(symbols: list[str], accounts: list[int], seconds: float) -> int:
    """Publish quotes and orders at the set rates for `seconds`; return account events sent."""
    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer

    from marketdata.keys import market_group

    layer = get_channel_layer()
    # One thread, in order: each commit publishes through its own short-lived loop there.
    publish_order = sync_to_async(_publish_order, thread_sensitive=True)
    pending: list[asyncio.Future] = []
    began = time.monotonic()
    quotes = orders = 0

    # The layer's connection pool is finite: a few sends in flight at once.
    in_flight = asyncio.Semaphore(8)

    async def quote(symbol: str) -> None:
        async with in_flight:
            await send_quote(symbol)

    async def send_quote(symbol: str) -> None:
        group = market_group("quotes", symbol)
        data = {"symbol": symbol, "bid": "100.00", "ask": "100.02", "last": "100.01"}
        data["timestamp"] = datetime.now().astimezone().isoformat()
        await layer.group_send(
            group,
            {"type": "md.quote", "group": group, "channel": "quotes", "symbol": symbol,
             "data": data},
        )  # fmt: skip

    while (elapsed := time.monotonic() - began) < seconds:
        due = []
        while quotes < elapsed * QUOTES_PER_S:
            due.append(quote(symbols[quotes % len(symbols)]))
            quotes += 1
        while orders < elapsed * ORDERS_PER_S:
            pending.append(asyncio.ensure_future(publish_order(random.choice(accounts), orders)))
            orders += 1
        await asyncio.gather(*due)
        await asyncio.sleep(0.005)
    await asyncio.gather(*pending)
    return orders * 2


async def _layer_costs() -> dict[str, float]:
    """µs per call: a direct send, and group_send to a group of 1 and of 100 channels."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    single = await layer.new_channel()
    members = [await layer.new_channel() for _ in range(100)]
    one, many = f"bench-one-{uuid.uuid4().hex}", f"bench-many-{uuid.uuid4().hex}"
    await layer.group_add(one, single)
    for member in members:
        await layer.group_add(many, member)
    costs = {}
    for name, call in [
        ("send", lambda: layer.send(single, {"type": "x"})),
        ("group_send, 1 member", lambda: layer.group_send(one, {"type": "x"})),
        ("group_send, 100 members", lambda: layer.group_send(many, {"type": "x"})),
    ]:
        runs = 50
        began = time.perf_counter()
        for _ in range(runs):
            await call()
        costs[name] = (time.perf_counter() - began) / runs * 1e6
    return costs


# --- the client process --------------------------------------------------------------------
async def _client_main(url: str, plan_path: str) -> None:
    from websockets.asyncio.client import connect

    plan = json.loads(Path(plan_path).read_text())
    quote_latency: list[float] = []
    account_latency: list[float] = []
    account_seen: dict[tuple[int, str], set[int]] = {}
    sockets = []

    async def open_one(index: int, account_id: int, token: str) -> None:
        ws = await connect(url, open_timeout=60, max_queue=None, compression=None)
        await ws.send(json.dumps({"action": "authenticate", "token": token}))
        assert json.loads(await ws.recv())["type"] == "authenticated"
        symbol = plan["symbols"][index % len(plan["symbols"])]
        for message in (
            {"action": "subscribe", "channel": "quotes", "symbols": [symbol]},
            {"action": "subscribe", "channel": "orders"},
            {"action": "subscribe", "channel": "fills"},
        ):
            await ws.send(json.dumps(message))
        # Ready once every subscription is answered (account ones with their snapshot).
        waiting = {("subscribed", "quotes"), ("snapshot", "orders"), ("snapshot", "fills")}
        while waiting:
            reply = json.loads(await ws.recv())
            waiting.discard((reply.get("type"), reply.get("channel")))
        sockets.append(ws)

    async def read(ws) -> None:
        async for raw in ws:
            received = time.time()
            message = json.loads(raw)
            if message.get("type") != "update":
                continue
            if message["channel"] == "quotes":
                published = datetime.fromisoformat(message["data"]["timestamp"]).timestamp()
                quote_latency.append((received - published) * 1000)
            else:
                account_latency.append((received * 1e9 - message["data"]["published_ns"]) / 1e6)
                key = (message["account"], message["channel"])
                account_seen.setdefault(key, set()).add(message["seq"])

    opening = [open_one(i, a, t) for i, (a, t) in enumerate(plan["accounts"])]
    for start in range(0, len(opening), 50):
        await asyncio.gather(*opening[start : start + 50])
    readers = [asyncio.ensure_future(read(ws)) for ws in sockets]
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    line = await loop.run_in_executor(None, sys.stdin.readline)
    expected = int(line.split()[1])
    deadline = time.monotonic() + 15
    while len(account_latency) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for reader in readers:
        reader.cancel()
    duplicates = len(account_latency) - sum(len(s) for s in account_seen.values())
    print(
        json.dumps({"quotes": quote_latency, "account": account_latency, "duplicates": duplicates}),
        flush=True,
    )
    for ws in sockets:
        await ws.close()


# --- one run -------------------------------------------------------------------------------
def _run(env, url, web_pid, symbols, accounts, seconds) -> dict:
    plan = Path(env["LOCAL_DIR"]) / f"plan-{len(accounts)}.json"
    plan.write_text(json.dumps({"symbols": symbols, "accounts": accounts}))
    client = subprocess.Popen(
        [PYTHON, __file__, "--client", url, str(plan)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdout is not None
    assert client.stdin is not None
    if client.stdout.readline().strip() != "READY":
        raise SystemExit("the client process did not get its sockets up")
    cpu_before, wall_before = _cpu_seconds(web_pid), time.monotonic()
    sent = asyncio.run(_drive(symbols, [a for a, _ in accounts], seconds))
    cpu = (_cpu_seconds(web_pid) - cpu_before) / (time.monotonic() - wall_before)
    client.stdin.write(f"SENT {sent}\n")
    client.stdin.flush()
    result = json.loads(client.stdout.readline())
    client.wait(timeout=60)
    return {"sockets": len(accounts), "sent": sent, "cpu": cpu, **result}


def _row(label: str, run: dict, baseline: dict | None) -> str:
    q50, q99 = percentile(run["quotes"], 0.5), percentile(run["quotes"], 0.99)
    a50, a99 = percentile(run["account"], 0.5), percentile(run["account"], 0.99)
    ratio = ""
    if baseline is not None:
        base = percentile(baseline["account"], 0.99), percentile(baseline["quotes"], 0.99)
        ratio = f"{a99 / base[0]:>6.1f}x {q99 / base[1]:>6.1f}x"
    delivered = len(run["account"]) / run["sent"] if run["sent"] else 0
    return (
        f"{label:<22}{run['sockets']:>7}{len(run['account']):>9}/{run['sent']:<7}"
        f"{delivered:>7.3f}{run['duplicates']:>5}{q50:>8.1f}{q99:>8.1f}{a50:>8.1f}{a99:>8.1f}"
        f"{run['cpu'] * 100:>7.0f}%  {ratio}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--client", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        asyncio.run(_client_main(*args.client))
        return

    workdir = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    env = _bench_env(workdir)
    os.environ.update(env)
    import django

    django.setup()
    symbols, accounts = _setup(max(args.sockets))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = subprocess.Popen(
        [PYTHON, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "web.log").open("wb"),
    )
    try:
        wait_until_up(base, web)
        url = base.replace("http://", "ws://") + "/ws/v1/stream"
        costs = asyncio.run(_layer_costs())
        print("channel layer (Redis), µs per call:")
        for name, cost in costs.items():
            print(f"  {name:<26}{cost:>8.0f}")
        print(
            f"\n{QUOTES_PER_S} quotes/s over {SYMBOL_COUNT} symbols, {ORDERS_PER_S} orders/s "
            f"(an orders and a fills event each), {args.seconds:.0f} s per run\n"
        )
        print(
            f"{'run':<22}{'sockets':>7}{'account delivered/sent':>23}{'dup':>5}"
            f"{'q p50':>8}{'q p99':>8}{'a p50':>8}{'a p99':>8}{'cpu':>8}  p99 vs baseline (a, q)"
        )
        baseline = _run(env, url, web.pid, symbols[:1], accounts[:1], args.seconds)
        print(_row("baseline, one socket", baseline, None), flush=True)
        for count in args.sockets:
            run = _run(env, url, web.pid, symbols, accounts[:count], args.seconds)
            print(_row("fan-out", run, baseline), flush=True)
        print("\nlatencies in ms, publish to receipt; cpu: the daphne process, of one core")
    finally:
        web.terminate()
        web.wait(timeout=30)


if __name__ == "__main__":
    main()
