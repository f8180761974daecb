"""A flood of bad credentials from one address against a legitimate caller from another.

Starts `manage.py serve` on a fresh SQLite database, measures a legitimate caller's
`GET /api/v1/balances` latency alone (the baseline) and while another loopback address
(127.0.0.2) floods `POST /api/v1/orders` with a wrong API key and a 64 KB body, in alternating
rounds (so a change in the machine's other load falls on both). The flood runs in a process of
its own (threads of one attacker), so that the caller's client shares no interpreter with it.
Prints the caller's p50/p99 and the ratio to the baseline, what the flood got back, the server's
CPU seconds per phase, and the audit rows and database growth it cost. `--compare ROOT` runs the
same against another checkout of the project (e.g. the commit before the refusal in front of
Django) in the same run.

    .venv/bin/python bench/bench_flood.py [--seconds 10] [--rounds 5] [--flooders 4]
        [--without-delay] [--compare /path/to/old/checkout]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import signal
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from common import PYTHON, ROOT, free_port, percentile, wait_until_up

BODY = json.dumps({"symbol": "AAPL", "side": "buy", "quantity": "1", "note": "x" * 64_000})


def _manage(root: Path, env: dict, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=root, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def _legit(base: str, headers: dict, seconds: float) -> list[float]:
    samples = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            began = time.perf_counter()
            response = client.get("/api/v1/balances")
            samples.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.text
    return samples


def _flood(base: str, go, stop, statuses: Counter, in_flight) -> None:
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    headers = {"Authorization": "Api-Key kflood.wrong", "Content-Type": "application/json"}
    with httpx.Client(base_url=base, transport=transport, headers=headers, timeout=30) as client:
        while not stop.is_set():
            if not go.wait(timeout=0.1):
                continue
            with in_flight.get_lock():
                in_flight.value += 1
            try:
                statuses[client.post("/api/v1/orders", content=BODY).status_code] += 1
            except httpx.HTTPError:
                statuses["error"] += 1
            finally:
                with in_flight.get_lock():
                    in_flight.value -= 1


def _attacker(base: str, flooders: int, go, stop, in_flight, results) -> None:
    """One attacking process: `flooders` threads flooding while `go`, until `stop`; puts what
    they got."""
    statuses: Counter = Counter()
    threads = [
        threading.Thread(target=_flood, args=(base, go, stop, statuses, in_flight))
        for _ in range(flooders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(dict(statuses))


def _drained(in_flight, deadline_s: float = 30) -> None:
    """Wait until the paused flood has no request in flight."""
    deadline = time.monotonic() + deadline_s
    while in_flight.value:
        if time.monotonic() > deadline:
            raise SystemExit("the flood did not pause")
        time.sleep(0.01)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(
    root: Path, seconds: float, flooders: int, rounds: int, extra_env: dict | None = None
) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-flood-") as tmp:
        database = Path(tmp) / "db.sqlite3"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "trading_api.settings",
            "LOCAL_DIR": tmp,
            "SQLITE_PATH": str(database),
            "ENGINE_EMBEDDED": "false",
            "RATE_LIMIT_DATA": "100000/s",
            "LOG_LEVEL": "ERROR",
            **(extra_env or {}),
        }
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        password = secrets.token_urlsafe(16)
        _manage(root, env, "migrate", "--noinput", "-v0")
        _manage(root, env, "seed_demo", "-v0")
        key = json.loads(
            _manage(
                root, env, "create_api_key", "--username", "admin", "--account", "Demo",
                "--scopes", "read", "--scheme", "simple", "--json",
                "--rate-limits", json.dumps({"data": "100000/s"}),
            )
        )  # fmt: skip
        headers = {"Authorization": f"Api-Key {key['key_id']}.{key['secret']}"}
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [PYTHON, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=root,
            env={**env, "DEMO_ADMIN_PASSWORD": password},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_until_up(base, server)
            _legit(base, headers, 1.0)  # warm-up
            rows_before = _audit_rows(database)
            size_before = _size(database)
            spawn = multiprocessing.get_context("spawn")
            go, stop, results = spawn.Event(), spawn.Event(), spawn.Queue()
            in_flight = spawn.Value("i", 0)
            attacker = spawn.Process(
                target=_attacker, args=(base, flooders, go, stop, in_flight, results)
            )
            attacker.start()
            # Alone and flooded in alternating rounds, so that a change in the machine's other
            # load falls on both.
            alone, flooded, cpu_alone, cpu_flooded, flooding = [], [], 0.0, 0.0, 0.0
            for _ in range(rounds):
                go.clear()
                _drained(in_flight)
                cpu_before = _cpu_seconds(server.pid)
                alone += _legit(base, headers, seconds / rounds)
                cpu_alone += _cpu_seconds(server.pid) - cpu_before
                go.set()
                began, cpu_before = time.monotonic(), _cpu_seconds(server.pid)
                flooded += _legit(base, headers, seconds / rounds)
                cpu_flooded += _cpu_seconds(server.pid) - cpu_before
                flooding += time.monotonic() - began
            stop.set()
            go.set()
            statuses = Counter(results.get(timeout=60))
            attacker.join(timeout=30)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        return {
            "alone": alone,
            "flooded": flooded,
            "cpu_alone": cpu_alone,
            "cpu_flooded": cpu_flooded,
            "seconds": seconds,
            "statuses": statuses,
            "flood_rps": sum(statuses.values()) / flooding,
            "audit_rows": _audit_rows(database) - rows_before,
            "growth_mb": (_size(database) - size_before) / 1e6,
        }


def _audit_rows(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return conn.execute("SELECT count(*) FROM audit_auditentry").fetchone()[0]


def _size(database: Path) -> int:
    return sum(p.stat().st_size for p in database.parent.glob(database.name + "*"))


def _report(name: str, result: dict) -> None:
    alone, flooded = result["alone"], result["flooded"]
    p50a, p99a = statistics.median(alone), percentile(alone, 0.99)
    p50f, p99f = statistics.median(flooded), percentile(flooded, 0.99)
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(result["statuses"].items(), key=str))
    print(f"\n{name}")
    print(f"  legitimate GET /balances alone     p50 {p50a:7.2f} ms  p99 {p99a:7.2f} ms")
    print(
        f"  ... during the flood               p50 {p50f:7.2f} ms  p99 {p99f:7.2f} ms"
        f"   ratio p50 {p50f / p50a:4.2f}x  p99 {p99f / p99a:4.2f}x"
    )
    print(f"  flood answered {result['flood_rps']:7.1f} req/s ({statuses})")
    # The flooded phase's CPU less what its legitimate requests cost alone, per flood request
    # (only worth saying when the flood is a large share of that CPU).
    flood_cpu = result["cpu_flooded"] - len(flooded) * result["cpu_alone"] / len(alone)
    flood_requests = result["flood_rps"] * result["seconds"]
    per_request = (
        f"about {flood_cpu / flood_requests * 1000:.1f} ms per flood request"
        if flood_requests >= 500 and flood_cpu > 0.25 * result["cpu_flooded"]
        else "the flood's share is too small to tell per request"
    )
    print(
        f"  server CPU seconds per phase: alone {result['cpu_alone']:.2f} ({len(alone)} requests), "
        f"flooded {result['cpu_flooded']:.2f} ({len(flooded)}) of {result['seconds']:g} s; "
        f"{per_request}"
    )
    print(
        f"  audit rows written during the flood: {result['audit_rows']}, "
        f"database growth {result['growth_mb']:.2f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--flooders", type=int, default=4, help="flooding threads")
    parser.add_argument("--rounds", type=int, default=5, help="alone/flooded rounds per run")
    parser.add_argument("--compare", type=Path, help="another checkout to run the same against")
    parser.add_argument(
        "--without-delay",
        action="store_true",
        help="also run this checkout with RATE_LIMIT_REFUSAL_DELAY_SECONDS=0",
    )
    args = parser.parse_args()
    print(
        f"one daphne process (embedded, SQLite), loopback; {args.flooders} flooding threads "
        f"in one process from 127.0.0.2, {args.seconds:g} s per phase in {args.rounds} rounds"
    )
    if args.compare:
        result = run(args.compare, args.seconds, args.flooders, args.rounds)
        _report(f"compared checkout ({args.compare})", result)
    if args.without_delay:
        _report(
            f"this checkout ({ROOT}), RATE_LIMIT_REFUSAL_DELAY_SECONDS=0",
            run(
                ROOT,
                args.seconds,
                args.flooders,
                args.rounds,
                {"RATE_LIMIT_REFUSAL_DELAY_SECONDS": "0"},
            ),
        )
    _report(f"this checkout ({ROOT})", run(ROOT, args.seconds, args.flooders, args.rounds))


if __name__ == "__main__":
    main()
