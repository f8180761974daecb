"""Streaming fan-out: many authenticated sockets on daphne over Redis, publish to receipt.

Topology (services mode, on this machine): one `manage.py serve` (daphne) on a fresh SQLite
database (`--servers 2`: two, the sockets split across them, as the services topology allows),
the Redis of REDIS_URL (default redis://127.0.0.1:6379/13, with prefixes of this run only), this
process publishing, and the sockets in separate client processes (`--client-processes`, 2 by
default: one process receiving 10,000 frames/s queued them inside itself, which was measured as
latency; two fit this 2-core box beside daphne).

Every socket authenticates with its own user's JWT, follows one of 20 symbols' `quotes`, and its
own account's `orders` and `fills`. The load sockets' receiver is, by default (`--clients lean`),
bare `websockets` with orjson: the same protocol as the project's client (authenticate, wait for
`authenticated`, subscribe, resume account channels from the last seq after a close, drop what a
resume restates), without building a typed model per message. `--clients project` uses the
project's Python client (`trading_client.AsyncClient.stream`, which resumes by itself) instead;
in one process it received about 5,700 of the 10,000 frames/s with p50 near 200 ms, while the
lean receiver over two processes takes them all. Both count the same: every account event's seq
per stream (delivery and duplicates), each quote's latency, and per socket the span of quote seqs.
This process publishes quotes at 200/s in total (through the channel layer, as the feed does) and
"orders" at 20/s, each an `orders` and a `fills` event of a random account through
kernel.publish.account_publish (numbered, kept in the Redis replay window, sent to the group).

The clients wait for every account event however late it is, and stop counting only after 10 s
without one: late is told apart from lost. Reported per run: account events delivered / sent
(must be exactly 1), duplicates, reconnects, p50/p99 publish-to-receipt latency of quotes and
of account events, the quotes/s actually published, the frames/s the clients received, the share
of the quote updates published for the sockets' symbols that reached them (the rest the server
conflated for a socket behind), the most messages seen waiting in Redis for the hubs, and, from
/proc, for each role (daphne, the client processes, Redis, this publisher) its CPU in cores and
the time its runnable threads waited for a core (schedstat: the box is shared); daphne's and the
clients' also per frame. Runs: an unreported warm-up; a single socket as the baseline (one hub
member, so each event is one direct send to one socket: its symbol's 10 quotes/s and all 20
orders/s on its account); then 100 and 1,000 sockets. The ratios are p99 latencies against the
baseline's. Last, a bound line: the frames/s the largest run needs, the CPU per frame measured
for daphne and the clients, the cores that implies beside Redis and the publisher, and how long
daphne waited for a core; then PASS/MISS for the two targets (p99 < 50 ms, delivery exactly 1).
A micro-measurement of the channel layer itself shows why each process joins a group once (its
hub) rather than once per socket (channels_redis #83).

    .venv/bin/python bench/bench_stream.py [--sockets 100 1000] [--seconds 10]
        [--clients lean|project] [--client-processes 2] [--servers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
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
sys.path.insert(0, str(ROOT / "client"))  # the project's Python client, trading_client

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
            # One loopback address sends everything: the per-IP limits before authentication
            # (docs/security.md) would cap the benchmark, not the server.
            "RATE_LIMIT_IP": "1000000/s",
            "RATE_LIMIT_AUTH_FAILURES": "1000000/s",
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
    from kernel.publish import account_publish

    # Outside a transaction on_commit runs at once: numbered, kept, sent, as after a commit.
    for stream in ("orders", "fills"):
        account_publish(
            account_id=account_id,
            stream=stream,
            event="bench.order",
            data={"id": n, "published_ns": time.time_ns()},
        )


async def _hub_backlog(layer) -> int:
    """Messages waiting in Redis on the server's hub channels (sent, not yet received)."""
    connection = layer.connection(0)
    keys = [key async for key in connection.scan_iter(match=f"{layer.prefix}stream-hub.*")]
    waiting = [await connection.zcard(key) for key in keys if not key.endswith(b"$inflight")]
    return sum(waiting)


async def _drive(
    symbols: list[str], accounts: list[int], seconds: float, quotes_per_s: float
) -> dict:
    """Publish quotes and orders at the set rates for `seconds`; return what was sent, and the
    largest backlog seen on the hub's channels."""
    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer

    from marketdata.keys import market_group

    layer = get_channel_layer()
    # One thread, in order: each commit publishes through its own short-lived loop there.
    publish_order = sync_to_async(_publish_order, thread_sensitive=True)
    pending: list[asyncio.Future] = []
    began = time.monotonic()
    quotes = orders = 0
    quotes_by_symbol: dict[str, int] = {}
    order_accounts: list[int] = []

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

    backlog = 0
    watching = True

    async def watch() -> None:
        nonlocal backlog
        while watching:
            backlog = max(backlog, await _hub_backlog(layer))
            await asyncio.sleep(0.25)

    watcher = asyncio.ensure_future(watch())
    while (elapsed := time.monotonic() - began) < seconds:
        due = []
        while quotes < elapsed * quotes_per_s:
            symbol = symbols[quotes % len(symbols)]
            quotes_by_symbol[symbol] = quotes_by_symbol.get(symbol, 0) + 1
            due.append(quote(symbol))
            quotes += 1
        while orders < elapsed * ORDERS_PER_S:
            account = random.choice(accounts)
            order_accounts.append(account)
            pending.append(asyncio.ensure_future(publish_order(account, orders)))
            orders += 1
        await asyncio.gather(*due)
        await asyncio.sleep(0.005)
    await asyncio.gather(*pending)
    # The backlog drains after the last publish too: keep watching until it is empty.
    while await _hub_backlog(layer) and time.monotonic() - began < seconds + 60:
        await asyncio.sleep(0.25)
    # Stopped, not cancelled: a cancelled Redis call could hang the loop's shutdown.
    watching = False
    await watcher
    return {
        "sent": orders * 2,
        "quotes_sent": quotes,
        "quotes_by_symbol": quotes_by_symbol,
        "order_accounts": order_accounts,
        "backlog": backlog,
    }


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


# --- the client processes ------------------------------------------------------------------
class _Tally:
    """What one client process saw: latencies, account seqs per stream, reconnects, and per
    socket the span of quote seqs (the server numbers an update before it may conflate it)."""

    def __init__(self) -> None:
        self.quote_latency: list[float] = []
        self.account_latency: list[float] = []
        self.account_seen: dict[tuple[int, str], set[int]] = {}
        self.quote_seqs: dict[int, list[int]] = {}
        self.reconnects = 0

    def update(
        self, socket: int, channel: str, account: int | None, seq: int | None, data: dict
    ) -> None:
        received = time.time()
        if channel == "quotes":
            published = datetime.fromisoformat(data["timestamp"]).timestamp()
            self.quote_latency.append((received - published) * 1000)
            span = self.quote_seqs.setdefault(socket, [int(seq or 0), 0])
            span[1] = int(seq or 0)
            return
        self.account_latency.append((received * 1e9 - data["published_ns"]) / 1e6)
        self.account_seen.setdefault((int(account or 0), channel), set()).add(int(seq or 0))


async def _project_socket(
    index: int, base: str, symbol: str, token: str, tally: _Tally, ready
) -> None:
    """One socket through the project's client: `AsyncClient.stream`, which resumes by itself."""
    from trading_client import AsyncClient, JWTAuth
    from trading_client.stream import Subscription

    client = AsyncClient(base, auth=JWTAuth(access=token))
    stream = client.stream(
        [Subscription("quotes", symbols=(symbol,)), Subscription("orders"), Subscription("fills")],
        open_timeout=60,
    )
    waiting = {"orders", "fills"}
    try:
        async for message in stream:
            if message.type == "update":
                tally.update(index, message.channel, message.account, message.seq, message.data)
            elif waiting:
                waiting.discard(message.channel)
                if not waiting:
                    ready.set_result(None)
    finally:
        tally.reconnects += stream.reconnects
        await client.aclose()


async def _lean_socket(
    index: int, base: str, symbol: str, token: str, tally: _Tally, ready
) -> None:
    """One socket on bare `websockets` and orjson: the same protocol, authentication and resume
    as the project's client, without building a typed model per message."""
    import orjson
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    url = base.replace("http://", "ws://") + "/ws/v1/stream"
    last_seq: dict[str, int] = {}
    while True:
        try:
            async with connect(url, open_timeout=60, max_queue=None, compression=None) as ws:
                await ws.send(json.dumps({"action": "authenticate", "token": token}))
                answer = orjson.loads(await ws.recv())
                if answer["type"] != "authenticated":
                    raise RuntimeError(f"not authenticated: {answer}")
                joins: list[dict[str, object]] = [
                    {"action": "subscribe", "channel": "quotes", "symbols": [symbol]}
                ]
                for channel in ("orders", "fills"):
                    if channel in last_seq:
                        joins.append(
                            {"action": "resume", "channel": channel, "since_seq": last_seq[channel]}
                        )
                    else:
                        joins.append({"action": "subscribe", "channel": channel})
                for join in joins:
                    await ws.send(json.dumps(join))
                async for raw in ws:
                    message = orjson.loads(raw)
                    kind, channel = message.get("type"), message.get("channel")
                    if kind == "update":
                        seq = message["seq"]
                        if channel != "quotes":
                            if seq <= last_seq.get(channel, -1):
                                continue  # restated after a resume
                            last_seq[channel] = seq
                        tally.update(index, channel, message.get("account"), seq, message["data"])
                    elif kind == "snapshot" and channel != "quotes":
                        last_seq[channel] = message["seq"]
                        if not ready.done() and {"orders", "fills"} <= last_seq.keys():
                            ready.set_result(None)
                return
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else 1006
            if code == 4401:
                raise
            tally.reconnects += 1
            await asyncio.sleep(0.2 * random.random())


def _fail_unready(ready: asyncio.Future, task: asyncio.Task) -> None:
    """A socket that ends before it is ready fails the run, rather than hanging it."""
    if not ready.done() and not task.cancelled():
        ready.set_exception(task.exception() or RuntimeError("the socket ended early"))


async def _client_main(plan_path: str) -> None:
    plan = json.loads(Path(plan_path).read_text())
    socket = _project_socket if plan["client"] == "project" else _lean_socket
    tally = _Tally()
    loop = asyncio.get_running_loop()
    tasks = []
    sockets = plan["sockets"]
    for start in range(0, len(sockets), 50):
        batch = []
        for index, (_, token, symbol, base) in enumerate(sockets[start : start + 50], start):
            ready = loop.create_future()
            task = asyncio.ensure_future(socket(index, base, symbol, token, tally, ready))
            task.add_done_callback(functools.partial(_fail_unready, ready))
            tasks.append(task)
            batch.append(ready)
        # Ready once every subscription is answered (account ones with their snapshot).
        await asyncio.gather(*batch)
    print("READY", flush=True)
    line = await loop.run_in_executor(None, sys.stdin.readline)
    expected = int(line.split()[1])
    # Every event is waited for, however late: delivery stops counting only after 10 s in which
    # no account event arrived (lost, then), so late is told apart from lost.
    count, quiet_since = -1, time.monotonic()
    while len(tally.account_latency) < expected and time.monotonic() - quiet_since < 10:
        if len(tally.account_latency) != count:
            count, quiet_since = len(tally.account_latency), time.monotonic()
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    seen = sum(len(s) for s in tally.account_seen.values())
    spans = tally.quote_seqs.values()
    print(
        json.dumps(
            {
                "quotes": tally.quote_latency,
                "account": tally.account_latency,
                "duplicates": len(tally.account_latency) - seen,
                "reconnects": tally.reconnects,
                "quote_numbered": sum(last - first + 1 for first, last in spans),
            }
        ),
        flush=True,
    )


# --- CPU, from /proc -----------------------------------------------------------------------
def _proc_times(pid: int) -> tuple[float, float]:
    """(CPU seconds, seconds runnable but waiting for a core) of a process, all its threads."""
    waited = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, IndexError, ValueError):  # a thread that ended
            waited += int((task / "schedstat").read_text().split()[1])
    return _cpu_seconds(pid), waited / 1e9


def _redis_pid() -> int | None:
    """The Redis server's pid when it runs on this machine (its /proc readable), else None."""
    import redis

    try:
        pid = int(redis.Redis.from_url(os.environ["REDIS_URL"]).info("server")["process_id"])
    except (redis.RedisError, KeyError, ValueError):
        return None
    return pid if Path(f"/proc/{pid}/stat").exists() else None


class _Meter:
    """CPU (cores) and run-queue wait (cores' worth of time runnable but not running) per role
    between `start` and `stop`: each role a list of pids."""

    def __init__(self, roles: dict[str, list[int]]):
        self.roles = roles

    def _sample(self) -> dict[str, tuple[float, float]]:
        sample = {}
        for role, pids in self.roles.items():
            times = [_proc_times(pid) for pid in pids]
            sample[role] = (sum(t[0] for t in times), sum(t[1] for t in times))
        return sample

    def start(self) -> None:
        self.began, self.before = time.monotonic(), self._sample()

    def stop(self) -> dict[str, dict[str, float]]:
        wall, after = time.monotonic() - self.began, self._sample()
        return {
            role: {
                "cpu": (after[role][0] - self.before[role][0]) / wall,
                "waited": (after[role][1] - self.before[role][1]) / wall,
                "processes": len(self.roles[role]),
            }
            for role in self.roles
        }


# --- one run -------------------------------------------------------------------------------
def _run(env, servers, symbols, accounts, seconds, client="project", processes=1) -> dict:
    """One run: the sockets of `accounts` (one symbol each, in turn, and one server each, in
    turn) over `processes` client processes; quotes at 10/s a symbol, orders at 20/s."""
    sockets = [
        [account, token, symbols[n % len(symbols)], servers[n % len(servers)][0]]
        for n, (account, token) in enumerate(accounts)
    ]
    processes = max(1, min(processes, len(sockets)))
    clients = []
    for n in range(processes):
        plan = Path(env["LOCAL_DIR"]) / f"plan-{len(accounts)}-{n}.json"
        mine = sockets[n::processes]
        plan.write_text(json.dumps({"sockets": mine, "client": client}))
        process = subprocess.Popen(
            [PYTHON, __file__, "--client", str(plan)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        clients.append((process, {s[0] for s in mine}))
    for process, _ in clients:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "READY":
            raise SystemExit("a client process did not get its sockets up")
    roles = {
        "daphne": [pid for _, pid in servers],
        "clients": [process.pid for process, _ in clients],
        "publisher": [os.getpid()],
    }
    if (redis_pid := _redis_pid()) is not None:
        roles["redis"] = [redis_pid]
    meter = _Meter(roles)
    meter.start()
    wall_before = time.monotonic()
    quotes_per_s = QUOTES_PER_S / SYMBOL_COUNT * len(symbols)
    drive = asyncio.run(_drive(symbols, [a for a, _ in accounts], seconds, quotes_per_s))
    wall = time.monotonic() - wall_before
    cpu = meter.stop()
    merged: dict = {"quotes": [], "account": [], "duplicates": 0, "reconnects": 0}
    merged["quote_numbered"] = 0
    for process, owned in clients:
        assert process.stdin is not None
        expected = 2 * sum(1 for account in drive["order_accounts"] if account in owned)
        process.stdin.write(f"SENT {expected}\n")
        process.stdin.flush()
    for process, _ in clients:
        assert process.stdout is not None
        result = json.loads(process.stdout.readline())
        process.wait(timeout=120)
        for key in merged:
            merged[key] += result[key]
    by_symbol = drive["quotes_by_symbol"]
    return {
        "sockets": len(accounts),
        "servers": len(servers),
        "client_processes": processes,
        "wall": wall,
        "roles": cpu,
        "quotes_per_s": drive["quotes_sent"] / seconds,
        "quote_frames_published": sum(by_symbol.get(s[2], 0) for s in sockets),
        "sent": drive["sent"],
        "backlog": drive["backlog"],
        **merged,
    }


HEADER = (
    f"{'run':<22}{'sockets':>7}{'account delivered/sent':>23}{'dup':>4}{'recon':>6}"
    f"{'q p50':>8}{'q p99':>8}{'a p50':>8}{'a p99':>8}{'quotes/s':>9}{'frames/s':>9}"
    f"{'q out':>6}{'hub q':>6}  p99 vs baseline (a, q)"
)


def _frames_per_s(run: dict) -> float:
    return (len(run["quotes"]) + len(run["account"])) / run["wall"]


def _row(label: str, run: dict, baseline: dict | None) -> str:
    q50, q99 = percentile(run["quotes"], 0.5), percentile(run["quotes"], 0.99)
    a50, a99 = percentile(run["account"], 0.5), percentile(run["account"], 0.99)
    ratio = ""
    if baseline is not None:
        base = percentile(baseline["account"], 0.99), percentile(baseline["quotes"], 0.99)
        ratio = f"{a99 / base[0]:>6.1f}x {q99 / base[1]:>6.1f}x"
    delivered = len(run["account"]) / run["sent"] if run["sent"] else 0
    frames_per_s = _frames_per_s(run)
    quotes_out = len(run["quotes"]) / max(1, run["quote_frames_published"])
    line = (
        f"{label:<22}{run['sockets']:>7}{len(run['account']):>9}/{run['sent']:<7}"
        f"{delivered:>7.3f}{run['duplicates']:>4}{run['reconnects']:>6}"
        f"{q50:>8.1f}{q99:>8.1f}{a50:>8.1f}{a99:>8.1f}{run['quotes_per_s']:>9.0f}"
        f"{frames_per_s:>9.0f}{quotes_out:>6.2f}{run['backlog']:>6}  {ratio}"
    )
    parts = []
    for role, use in run["roles"].items():
        per_frame = ""
        if role in ("daphne", "clients") and frames_per_s:
            per_frame = f", {use['cpu'] * 1e6 / frames_per_s:.0f} µs/frame"
        count = f" x{use['processes']}" if use["processes"] > 1 else ""
        parts.append(f"{role}{count} {use['cpu']:.2f}{per_frame} (waited {use['waited']:.2f})")
    quotes = (
        f"quote updates: {run['quote_frames_published']:,} published to the sockets' symbols,"
        f" {run['quote_numbered']:,} numbered by the server (between each socket's first and"
        f" last received), {len(run['quotes']):,} received"
    )
    return f"{line}\n{'':<22}cores: " + "; ".join(parts) + f"\n{'':<22}{quotes}"


def _bound(run: dict) -> None:
    """What the scenario asks of the box at this many sockets, against the cores there are."""
    cores = os.cpu_count() or 1
    needed = run["sockets"] * QUOTES_PER_S / SYMBOL_COUNT + ORDERS_PER_S * 2
    frames = _frames_per_s(run)
    roles = run["roles"]
    server = roles["daphne"]["cpu"] / frames * 1e6 if frames else 0
    client = roles["clients"]["cpu"] / frames * 1e6 if frames else 0
    fixed = sum(use["cpu"] for role, use in roles.items() if role not in ("daphne", "clients"))
    server_cores = needed * server / 1e6
    total = server_cores + needed * client / 1e6 + fixed
    print(
        f"\nbound at {run['sockets']} sockets: {needed:,.0f} frames/s needed (quotes unconflated"
        f" plus account events); daphne {server:.0f} µs/frame = {server_cores:.2f} cores over"
        f" {run['servers']} process(es), clients {client:.0f} µs/frame ="
        f" {needed * client / 1e6:.2f}, Redis and publisher {fixed:.2f}: {total:.2f} of the"
        f" box's {cores} cores, which other tenants share (load average"
        f" {os.getloadavg()[0]:.1f}); daphne waited {roles['daphne']['waited']:.2f} cores' worth"
        f" of time for a core (run queue) while it used {roles['daphne']['cpu']:.2f}"
    )
    q99, a99 = percentile(run["quotes"], 0.99), percentile(run["account"], 0.99)
    delivered = len(run["account"]) / run["sent"] if run["sent"] else 0
    for met, label in [
        (max(q99, a99) < 50, f"p99 < 50 ms at {run['sockets']} sockets: quotes {q99:.0f} ms,"
                             f" account {a99:.0f} ms"),
        (delivered == 1 and run["duplicates"] == 0,
         f"account events delivered ÷ sent = 1 at {run['sockets']} sockets: {delivered:.3f},"
         f" {run['duplicates']} duplicates"),
    ]:  # fmt: skip
        print(f"  {'PASS' if met else 'MISS'}  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--clients",
        choices=["project", "lean"],
        default="lean",
        help="the load sockets' receiver: bare websockets + orjson, or AsyncClient.stream",
    )
    parser.add_argument(
        "--client-processes", type=int, default=2, help="processes the sockets are spread over"
    )
    parser.add_argument(
        "--servers", type=int, default=1, help="daphne processes, the sockets split across them"
    )
    parser.add_argument("--client", nargs=1, help=argparse.SUPPRESS)
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
    servers: list[tuple[str, int]] = []
    webs = []
    try:
        for n in range(args.servers):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            web = subprocess.Popen(
                [PYTHON, "manage.py", "serve", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=(workdir / f"web-{n}.log").open("wb"),
            )
            webs.append(web)
            wait_until_up(base, web)
            servers.append((base, web.pid))
        costs = asyncio.run(_layer_costs())
        print("channel layer (Redis), µs per call:")
        for name, cost in costs.items():
            print(f"  {name:<26}{cost:>8.0f}")
        print(
            f"\n{QUOTES_PER_S} quotes/s over {SYMBOL_COUNT} symbols, {ORDERS_PER_S} orders/s "
            f"(an orders and a fills event each), {args.seconds:.0f} s per run; {args.servers}"
            f" daphne process(es); sockets: {args.clients} receiver over"
            f" {args.client_processes} client processes\n"
        )
        print(HEADER)
        # A short warm-up first, not reported: the first run of a fresh bench process pays for
        # its imports and connections while it publishes.
        clients, procs = args.clients, args.client_processes
        one = servers[:1]
        _run(env, one, symbols[:1], accounts[:1], min(3.0, args.seconds), clients, 1)
        baseline = _run(env, one, symbols[:1], accounts[:1], args.seconds, clients, 1)
        print(_row("baseline, one socket", baseline, None), flush=True)
        run = baseline
        for count in args.sockets:
            run = _run(env, servers, symbols, accounts[:count], args.seconds, clients, procs)
            print(_row("fan-out", run, baseline), flush=True)
        print(
            f"\nreceiver: {clients}; latencies in ms, publish to receipt; recon: reconnects (each"
            " resumed); frames/s: updates received by the clients; q out: quote updates received"
            " / published to the sockets' symbols (the rest conflated by the server for a socket"
            " behind); hub q: most messages waiting in Redis for the servers' hubs; cores: CPU of"
            " each role in cores (daphne and clients also per frame received) and, waited, the"
            " time its runnable threads waited for a core (run queue, /proc schedstat); load"
            f" average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        _bound(run)
    finally:
        for web in webs:
            web.terminate()
        for web in webs:
            web.wait(timeout=30)


if __name__ == "__main__":
    main()
