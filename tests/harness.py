"""Real processes on loopback for integration tests: daphne web, Celery worker, engine.

Each stack gets its own database (a fresh SQLite file or PostgreSQL database, migrated by the real
`manage.py migrate`), its own cache/channel-layer prefixes and its own Celery queue, so stacks never
see each other's traffic. Waiting is polling with a deadline, never a fixed sleep.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CELERY = str(Path(PYTHON).with_name("celery"))
DEMO_PASSWORD = "integration-" + uuid.uuid4().hex


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, interval=0.1):
    """Poll `predicate` until it returns a truthy value; return it, or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as exc:  # the predicate's own failures mean "not yet"
            last_error = exc
            value = None
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")


@dataclass
class Proc:
    """A child process whose output goes to a log file."""

    name: str
    popen: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Send `sig`, then SIGKILL if it is still alive after `timeout` s."""
        if not self.alive():
            return
        self.popen.send_signal(sig)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=timeout)


@dataclass
class Stack:
    """One isolated deployment: environment, processes and the web base URL."""

    workdir: Path
    env: dict[str, str]
    services: bool
    database_name: str | None = None
    processes: list[Proc] = field(default_factory=list)
    base_url: str = ""
    port: int = 0
    username: str = "it-admin"
    password: str = DEMO_PASSWORD

    # --- process control ------------------------------------------------------------------
    def spawn(self, name: str, args: list[str], extra_env: dict | None = None) -> Proc:
        log_path = self.workdir / f"{name}-{len(self.processes)}.log"
        env = {**self.env, **(extra_env or {})}
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = Proc(name=name, popen=popen, log_path=log_path)
        self.processes.append(proc)
        return proc

    def manage(self, *args: str, extra_env: dict | None = None) -> str:
        """Run a management command to completion; return its output or raise with it."""
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
            )
        return result.stdout

    def start_web(self, extra_env: dict | None = None, *, expect_healthy: bool = True) -> Proc:
        """Start `manage.py serve` on a free port and wait until it answers HTTP."""
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        proc = self.spawn(
            "web",
            [PYTHON, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            extra_env,
        )

        def answers():
            self.assert_alive(proc)
            status = httpx.get(f"{self.base_url}/api/v1/health", timeout=2).status_code
            return status == 200 if expect_healthy else status

        wait_until(answers, timeout=60, what=f"web server on {self.base_url}")
        return proc

    def start_engine(self) -> Proc:
        """Start `manage.py run_engine` and wait until it is leader or standby."""
        proc = self.spawn("engine", [PYTHON, "manage.py", "run_engine", "--standby-poll", "0.5"])
        wait_until(
            lambda: (
                self.assert_alive(proc) or ("leader:" in proc.log() or "standby:" in proc.log())
            ),
            timeout=60,
            what="engine to start",
        )
        return proc

    def start_worker(self) -> Proc:
        """Start a real Celery worker on this stack's queue and wait until it is ready."""
        proc = self.spawn(
            "worker",
            [
                CELERY, "-A", "trading_api", "worker", "--loglevel", "INFO", "--pool", "solo",
                "--queues", self.env["CELERY_QUEUE"], "--hostname", f"it-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip", "--without-mingle",
            ],
        )  # fmt: skip
        wait_until(
            lambda: self.assert_alive(proc) or " ready." in proc.log(),
            timeout=60,
            what="Celery worker to be ready",
        )
        return proc

    @staticmethod
    def assert_alive(proc: Proc) -> None:
        if not proc.alive():
            raise AssertionError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.log()}")

    def stop(self) -> None:
        for proc in reversed(self.processes):
            proc.stop()
        if self.services and self.database_name:
            _drop_postgres_database(self.env["DATABASE_URL"])

    # --- clients --------------------------------------------------------------------------
    @contextlib.contextmanager
    def session_client(self) -> Iterator[httpx.Client]:
        """Yield an HTTP client logged in through the browsable API's session login form."""
        with httpx.Client(base_url=self.base_url, timeout=10) as client:
            self._log_in(client)
            yield client

    def _log_in(self, client: httpx.Client) -> None:
        login = "/api/v1/auth/login/"
        client.get(login)
        response = client.post(
            login,
            data={
                "username": self.username,
                "password": self.password,
                "csrfmiddlewaretoken": client.cookies["csrftoken"],
                "next": "/api/v1/status",
            },
            headers={"Referer": f"{self.base_url}{login}"},
        )
        assert response.status_code == 302, response.text

    def status(self, client: httpx.Client) -> dict:
        response = client.get("/api/v1/status")
        assert response.status_code == 200, response.text
        return response.json()


def _postgres_admin_url(database_url: str) -> str:
    return urlparse(database_url)._replace(path="/postgres").geturl()


def _create_postgres_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlparse(database_url).path.lstrip("/")
    with psycopg.connect(_postgres_admin_url(database_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _drop_postgres_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlparse(database_url).path.lstrip("/")
    with psycopg.connect(_postgres_admin_url(database_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def stack_create(workdir: Path, *, services: bool) -> Stack:
    """Prepare an isolated, migrated deployment with one superuser (no processes started yet)."""
    workdir.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:10]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_")) and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "trading_api.settings",
            "PYTHONUNBUFFERED": "1",
            "LOCAL_DIR": str(workdir / "local"),
            "CACHE_KEY_PREFIX": f"it-{tag}",
            "CHANNEL_LAYER_PREFIX": f"it-{tag}:asgi",
            "STREAM_LOG_PREFIX": f"it-{tag}:stream",
            "CELERY_QUEUE": f"it-{tag}",
            "LOG_LEVEL": "INFO",
            # Every test process calls from 127.0.0.1, many of them with refused credentials on
            # purpose; the limits on floods are tested apart (tests/test_floods.py).
            "RATE_LIMIT_IP": "100000/s",
            "RATE_LIMIT_AUTH_FAILURES": "100000/s",
        }
    )
    stack = Stack(workdir=workdir, env=env, services=services)
    if services:
        database_url = os.environ["DATABASE_URL"]
        redis_url = os.environ["REDIS_URL"]
        stack.database_name = f"it_{tag}"
        env["DATABASE_URL"] = (
            urlparse(database_url)._replace(path=f"/{stack.database_name}").geturl()
        )
        env["REDIS_URL"] = redis_url
        _create_postgres_database(env["DATABASE_URL"])
    else:
        env["SQLITE_PATH"] = str(workdir / "db.sqlite3")
    stack.manage("migrate", "--noinput")
    # The demo data (account, instruments, a day of candles) gives the engine a market to run.
    stack.manage(
        "seed_demo",
        extra_env={"DEMO_ADMIN_PASSWORD": DEMO_PASSWORD, "MARKET_SEED_HISTORY_DAYS": "1"},
    )
    stack.manage(
        "createsuperuser",
        "--noinput",
        extra_env={
            "DJANGO_SUPERUSER_USERNAME": stack.username,
            "DJANGO_SUPERUSER_PASSWORD": stack.password,
            "DJANGO_SUPERUSER_EMAIL": "it@example.com",
        },
    )
    return stack
