"""The `trading` command line, run as a subprocess against the real server."""

import argparse
import ast
import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from faultproxy import FaultProxy
from trading_client.cli.main import build_parser

TRADING = str(Path(sys.executable).with_name("trading"))


@pytest.fixture
def home(tmp_path):
    """An empty home and config directory, so no real user config is read."""
    path = tmp_path / "home"
    (path / ".config").mkdir(parents=True)
    return path


@pytest.fixture
def run(server, home):
    key = server.keys["cli"]

    def run(*args: str, env: dict[str, str] | None = None, key_env: bool = True):
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "TRADING_BASE_URL": server.base_url,
            # A checkout's client, when the suite runs it from source (as the server tests do).
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        }
        if key_env:
            environment["TRADING_API_KEY"] = f"{key['key_id']}.{key['secret']}"
        environment.update(env or {})
        return subprocess.run(
            [TRADING, *args], env=environment, capture_output=True, text=True, timeout=60
        )

    return run


def _json(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_market_data_as_tables(run):
    quotes = run("quote", "AAPL", "MSFT")
    candles = run("candles", "AAPL", "--interval", "1h", "--limit", "3")
    book = run("book", "BTCUSD", "--depth", "3")

    assert quotes.returncode == candles.returncode == book.returncode == 0
    header, _rule, *rows = quotes.stdout.splitlines()
    assert header.split()[:3] == ["symbol", "bid", "size"]
    assert [row.split()[0] for row in rows] == ["AAPL", "MSFT"]
    assert candles.stdout.splitlines()[0] == "AAPL 1h"
    assert len(candles.stdout.splitlines()) == 2 + 3 + 1
    assert len(book.stdout.splitlines()) == 1 + 2 + 3
    assert "bid size" in book.stdout


def test_json_output_keeps_decimals_as_strings(run):
    quotes = _json(run("--json", "quote", "AAPL"))
    book = _json(run("book", "AAPL", "--depth", "2", "--json"))

    assert quotes["results"][0]["symbol"] == "AAPL"
    assert isinstance(quotes["results"][0]["bid"], str)
    assert len(book["bids"]) == 2


def test_place_preview_modify_get_and_cancel(run):
    preview = _json(run("--json", "order", "preview", "AAPL", "buy", "2", "--limit-price", "50"))
    placed = _json(run("--json", "order", "place", "AAPL", "buy", "2", "--limit-price", "50"))
    order_id = str(placed["id"])

    assert preview["verdict"] == "accepted"
    assert (placed["order_type"], placed["limit_price"]) == ("limit", "50")
    listed = _json(run("--json", "orders", "--symbol", "AAPL", "--limit", "5"))
    assert int(order_id) in {o["id"] for o in listed}
    modified = _json(run("--json", "order", "modify", order_id, "--limit-price", "51"))
    assert (modified["limit_price"], modified["version"]) == ("51", 2)
    stale = run("order", "modify", order_id, "--limit-price", "52", "--version", "1")
    assert stale.returncode == 3
    assert "VERSION_MISMATCH" in stale.stderr
    shown = run("order", "get", order_id)
    assert "limit price         51" in shown.stdout
    canceled = _json(run("--json", "order", "cancel", order_id))
    assert canceled["status"] == "canceled"
    assert run("order", "cancel-all").returncode == 0


def test_positions_balances_portfolio_and_performance(run):
    placed = _json(run("--json", "order", "place", "SPY", "buy", "1"))

    positions = run("positions")
    balances = _json(run("--json", "balances"))
    portfolio = run("portfolio")
    performance = _json(run("--json", "performance", "--days", "7"))

    assert placed["order_type"] == "market"
    assert positions.returncode == 0
    assert positions.stdout.split()[:3] == ["symbol", "side", "qty"]
    assert balances[0]["currency"] == "USD"
    assert "equity" in portfolio.stdout
    assert "drawdown zone" in portfolio.stdout
    assert performance["trades"] >= 0


def test_stop_and_start_with_a_reason(run):
    stopped = _json(run("--json", "stop", "--reason", "cli test", "--keep-positions"))
    refused = run("order", "place", "AAPL", "buy", "1")
    state = run("state")
    started = _json(run("--json", "start", "--reason", "cli test over"))

    assert (stopped["state"], stopped["reason"]) == ("stopped", "cli test")
    assert refused.returncode == 3
    assert "TRADING_STOPPED" in refused.stderr
    assert "stopped" in state.stdout
    assert started["state"] == "running"


def test_exit_codes_separate_usage_api_and_network_errors(server, run):
    with FaultProxy(server.base_url) as closed:
        unreachable = closed.url

    usage = run("order", "place", "AAPL", "buy", "many")
    no_reason = run("stop")
    api = run("order", "get", "999999999")
    api_json = run("--json", "order", "get", "999999999")
    network = run("--base-url", unreachable, "--timeout", "1", "status")
    network_json = run("--json", "--base-url", unreachable, "--timeout", "1", "health")
    usage_json = run("--json", "candles", "AAPL", "--interval", "7m")

    assert usage.returncode == no_reason.returncode == 2
    assert "not a decimal number" in usage.stderr
    assert api.returncode == 3
    assert "ORDER_NOT_FOUND (404)" in api.stderr
    assert json.loads(api_json.stderr)["error"]["code"] == "ORDER_NOT_FOUND"
    assert network.returncode == 4
    assert "cannot reach the server" in network.stderr
    assert network_json.returncode == 4
    assert json.loads(network_json.stderr)["error"]["message"]
    assert usage_json.returncode == 2
    assert "invalid choice" in usage_json.stderr


def test_a_config_file_must_be_private(server, run, home):
    key = server.keys["cli-hmac"]
    config = home / ".config" / "trading" / "config.toml"
    config.parent.mkdir()
    config.write_text(
        f'[default]\nbase_url = "{server.base_url}"\nauth = "hmac"\n'
        f'key_id = "{key["key_id"]}"\nsecret = "{key["secret"]}"\n'
    )
    config.chmod(0o600)

    ok = _json(run("--json", "me", key_env=False, env={"TRADING_BASE_URL": ""}))
    config.chmod(0o644)
    refused = run("me", key_env=False)

    assert ok["credential"] == {"type": "api_key", "scheme": "hmac", "key_id": key["key_id"]}
    assert refused.returncode == 2
    assert "chmod 600" in refused.stderr
    assert "0644" in refused.stderr
    missing = run("--config", str(home / "nope.toml"), "me")
    assert missing.returncode == 2


def test_profiles_ed25519_keys_and_jwt(server, run, home, tmp_path):
    private_key = Ed25519PrivateKey.generate()
    pem = tmp_path / "ed25519.pem"
    pem.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pem.chmod(0o600)
    public = private_key.public_key().public_bytes_raw()
    created = server.client("cli").api_keys.create(
        "cli-ed", ["read"], public_key=base64.b64encode(public).decode()
    )
    config = tmp_path / "trading.toml"
    config.write_text(
        f'[desk]\nauth = "ed25519"\nkey_id = "{created.key_id}"\nprivate_key_file = "{pem}"\n'
    )
    config.chmod(0o600)

    signed = _json(run("--json", "--config", str(config), "--profile", "desk", "me", key_env=False))
    jwt = _json(
        run(
            "--json",
            "me",
            key_env=False,
            env={
                "TRADING_USERNAME": "cl-trader",
                "TRADING_PASSWORD": server.passwords["cl-trader"],
            },
        )
    )

    assert signed["credential"]["scheme"] == "ed25519"
    assert jwt["user"]["username"] == "cl-trader"
    assert jwt["credential"]["type"] == "jwt"


def _hmac_env(server) -> dict[str, str]:
    key = server.keys["cli-hmac"]
    return {
        "TRADING_AUTH": "hmac",
        "TRADING_KEY_ID": key["key_id"],
        "TRADING_SECRET": key["secret"],
    }


def test_stream_quotes_prints_json_lines_and_stops_at_count(server, run):
    result = run("--json", "stream", "quotes", "AAPL", "--count", "3", key_env=False,
                 env=_hmac_env(server))  # fmt: skip
    assert result.returncode == 0, result.stderr
    messages = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(messages) == 3
    assert {m["channel"] for m in messages} == {"quotes"}
    assert messages[0]["type"] == "snapshot"
    assert all(m["symbol"] == "AAPL" for m in messages)
    assert [m["seq"] for m in messages] == sorted(m["seq"] for m in messages)


def test_stream_orders_shows_the_snapshot_as_text(server, run):
    result = run("stream", "orders", "--count", "1", key_env=False, env=_hmac_env(server))
    assert result.returncode == 0, result.stderr
    assert "orders" in result.stdout
    assert "snapshot" in result.stdout


def test_stream_of_a_market_channel_needs_a_symbol(server, run):
    result = run("stream", "quotes", key_env=False, env=_hmac_env(server))
    assert result.returncode == 2
    assert "needs at least one symbol" in result.stderr


def test_strategies_and_a_backtest_with_its_progress_and_figures(run):
    strategies = run("strategies")
    assert strategies.returncode == 0, strategies.stderr
    assert "sma_crossover" in strategies.stdout

    result = run(
        "backtest", "sma_crossover", "AAPL", "--interval", "1m",
        "--param", "fast=5", "--param", "slow=20", "--progress",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "#" * 30 in result.stderr  # the bar reached 100%
    figures = dict(line.split(None, 1) for line in result.stdout.splitlines() if line.strip())
    assert figures["strategy"] == "sma_crossover"
    assert "total_return_pct" in figures
    assert "sharpe_ratio" in figures


def test_system_commands_as_tables_and_json(run):
    health = _json(run("--json", "health", key_env=False))
    status = run("status")
    instruments = _json(run("--json", "instruments", "--asset-class", "crypto"))
    version = run("--version", key_env=False)

    assert health["status"] == "ok"
    assert status.returncode == 0, status.stderr
    assert "engine" in status.stdout
    assert "running" in status.stdout
    assert instruments
    assert {i["asset_class"] for i in instruments} == {"crypto"}
    assert "BTCUSD" in {i["symbol"] for i in instruments}
    assert version.returncode == 0
    assert version.stdout.startswith("trading ")


def _leaf_commands(parser: argparse.ArgumentParser, prefix: str = "") -> set[str]:
    """`order place`, `quote`, ...: every command of the parser that runs something."""
    found: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:  # one per command, aliases left out
                found |= _leaf_commands(action.choices[choice.dest], f"{prefix}{choice.dest} ")
    return found or {prefix.strip()}


_VALUED_OPTIONS = {"--config", "--profile", "--base-url", "--account", "--timeout"}


def _commands_run_here() -> set[str]:
    """The command words (`order place`) of every `run(...)` call in this module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(Path(__file__).read_text())):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "run"):
            continue
        words, skip = [], False
        for arg in node.args:
            text = arg.value if isinstance(arg, ast.Constant) else None
            if skip or not isinstance(text, str):
                skip = False
                continue
            if text.startswith("--"):
                skip = text in _VALUED_OPTIONS
                continue
            words.append(text)
        found |= {" ".join(words[:1]), " ".join(words[:2])}
    return found


def test_every_command_of_the_parser_is_run_by_a_test():
    commands = _leaf_commands(build_parser())
    assert {"order place", "order cancel-all", "stream", "backtest", "health"} <= commands
    missing = commands - _commands_run_here()
    assert not missing, f"commands no test here runs: {sorted(missing)}"
