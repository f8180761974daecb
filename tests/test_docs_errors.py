"""docs/errors.md lists every error code the server can emit, under its HTTP status; the
WebSocket's own codes are in the error table of docs/streaming.md.

The codes come from the code itself: every `kernel.errors.ApplicationError` subclass of the
product's modules (all imported), the exception handler's and the request guard's tables, and
each code written out where an error is built (`error_body`, `error_response`, the JWT
authenticator's `TokenRejected`, an item's or an operation's `{"code": ...}`, the stream's
`StreamError`, `send_error`, `_refuse`, `_shut`). A new code fails this test until it is
documented.
"""

from __future__ import annotations

import ast
import importlib
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from kernel.api.errors import _DRF_CODES
from kernel.api.guard import _HTML_STATUS_CODES
from kernel.errors import ApplicationError

ROOT = Path(settings.BASE_DIR)
CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,}")
# Calls that build an error answer, and which positional argument is its code.
HTTP_EMITTERS = {"error_body": 0, "error_response": 0, "TokenRejected": 0}
STREAM_EMITTERS = {"StreamError": 0, "send_error": 0, "_refuse": 0, "_shut": 1}


def _packages() -> list[str]:
    """The product's packages: the import-linter's roots (pyproject.toml)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["root_packages"]


def _product_files() -> Iterator[Path]:
    for package in _packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts:
                continue
            # Settings modules are loaded once by Django (production's refuses a test's env).
            if parts[:2] == ("trading_api", "settings"):
                continue
            yield path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _subclasses(root: type) -> Iterator[type]:
    for cls in root.__subclasses__():
        yield cls
        yield from _subclasses(cls)


def application_errors() -> dict[str, set[int]]:
    """code -> HTTP statuses of every ApplicationError class the product defines."""
    for path in _product_files():
        importlib.import_module(_module_name(path))
    found: dict[str, set[int]] = {}
    for cls in [ApplicationError, *_subclasses(ApplicationError)]:
        if ".tests" in cls.__module__ or cls.__module__.startswith("tests."):
            continue
        found.setdefault(cls.code, set()).add(cls.status_code)
    return found


def _constants(trees: dict[Path, ast.Module]) -> dict[str, set[str]]:
    """Module-level `NAME = "TEXT"` of every product module (a code named by a constant)."""
    found: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, set()).add(node.value.value)
    return found


def _texts(node: ast.expr | None, constants: dict[str, set[str]]) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name):
        return constants.get(node.id, set())
    return set()


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def written_codes() -> tuple[set[str], set[str]]:
    """(HTTP codes, WebSocket codes) written out where the product builds an error."""
    trees = {path: ast.parse(path.read_text(), str(path)) for path in _product_files()}
    constants = _constants(trees)
    http: set[str] = set(_DRF_CODES.values()) | set(_HTML_STATUS_CODES.values())
    stream: set[str] = set()
    for path, tree in trees.items():
        in_streams = path.relative_to(ROOT).parts[0] == "streams"
        emitters = STREAM_EMITTERS if in_streams else HTTP_EMITTERS
        found = stream if in_streams else http
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                index = emitters.get(_callee(node) or "")
                if index is not None and len(node.args) > index:
                    found |= _texts(node.args[index], constants)
                for keyword in node.keywords:
                    if keyword.arg in {"code", "error_code"}:
                        found |= _texts(keyword.value, constants)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "code":
                        found |= _texts(value, constants)
    return {c for c in http if CODE.fullmatch(c)}, {c for c in stream if CODE.fullmatch(c)}


def documented(page: str) -> dict[str, set[int | None]]:
    """code -> statuses of every table row of a docs page whose code cell (one of the first two)
    starts with a code; the status is None when the row's status cell is not a bare number
    (`in error.code`, `422 (an item of a 207)`)."""
    found: dict[str, set[int | None]] = {}
    for line in (ROOT / "docs" / page).read_text().splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        codes = [m.group(1) for cell in cells[:2] if (m := re.match(r"`([A-Z0-9_]+)`", cell))]
        statuses = [int(cell) for cell in cells[:2] if re.fullmatch(r"\d{3}", cell)]
        if codes:
            found.setdefault(codes[0], set()).add(statuses[0] if statuses else None)
    return found


def test_every_application_error_is_documented_under_its_status():
    codes = application_errors()
    # The walk reached every app (a sample of each layer's codes).
    assert {"ORDER_NOT_FOUND", "BACKTEST_NO_DATA", "IDEMPOTENCY_IN_FLIGHT"} <= set(codes)
    assert {"INVALID_DEPLOYMENT_STATE", "API_KEY_REVOKED", "TRADING_REDUCE_ONLY"} <= set(codes)
    docs = documented("errors.md")
    missing = sorted(
        f"{code} ({status})"
        for code, statuses in codes.items()
        for status in statuses
        if status not in docs.get(code, set())
    )
    assert not missing, f"not in docs/errors.md under their HTTP status: {', '.join(missing)}"


def test_every_code_written_out_by_the_server_is_documented():
    http, stream = written_codes()
    # The scan reached the handler, the guard, the JWT authenticator, the 207 items, operations.
    assert {"CACHE_UNAVAILABLE", "PAYLOAD_TOO_LARGE", "INTERNAL_ERROR", "TOKEN_EXPIRED"} <= http
    assert {"CLOSE_UNFUNDED", "WORKER_LOST", "OPERATION_FAILED", "RATE_LIMITED"} <= http
    assert {"TOO_SLOW", "UNKNOWN_SYMBOL", "CREDENTIAL_REVOKED", "UNAVAILABLE"} <= stream

    missing = sorted(http - set(documented("errors.md")))
    assert not missing, f"not in docs/errors.md: {', '.join(missing)}"
    missing = sorted(stream - set(documented("streaming.md")))
    assert not missing, f"WebSocket codes not in docs/streaming.md: {', '.join(missing)}"
