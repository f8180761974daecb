"""The README's and the marked docs pages' examples run as written: every fenced shell, Python and
console block, in order, against a fresh embedded server, each block seeing the variables the
blocks before it set."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness import DEMO_PASSWORD, ROOT, stack_create

# Pages whose examples run, in this order (a page's blocks may use the variables of earlier ones).
PAGES = [
    ROOT / "README.md",
    ROOT / "docs" / "access.md",
    ROOT / "docs" / "marketdata.md",
    ROOT / "docs" / "orders.md",
    ROOT / "docs" / "backtests.md",
    ROOT / "client" / "README.md",
    ROOT / "docs" / "client.md",
]
RUNNABLE = {"sh", "python", "console"}
# Blocks of these languages are commands or code: each runs, or says `not-run` (a listing of an
# interface, a step the test cannot take). Other languages (json, toml) are data.
CODE_LANGUAGES = RUNNABLE | {"bash", "shell", "py", "pycon"}
NOT_RUN = "not-run"
_FENCE = re.compile(r"^```(\S*)(.*)$")
_DOCUMENTED_SERVER = re.compile(r"(?:127\.0\.0\.1|localhost):8000")
# Every curl of a `sh` block must succeed: an HTTP error fails the step (and shows its body).
_PREAMBLE = """
set +eu
source "$DOCS_STATE" 2>/dev/null
set -euo pipefail
curl() { command curl --fail-with-body --show-error "$@"; }
"""
# Every variable (exported or not, as in a person's shell) and function, for the next block.
_SAVE_STATE = '\n{ declare -p; declare -f; } > "$DOCS_STATE"\n'


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    language: str
    attributes: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def fenced_blocks(page: Path) -> list[Block]:
    """Every fenced block of a Markdown page with its language, attributes and text."""
    blocks, lines = [], page.read_text().splitlines()
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None or not match.group(1):
            index += 1
            continue
        start, body = index + 1, []
        index += 1
        while index < len(lines) and lines[index] != "```":
            body.append(lines[index])
            index += 1
        blocks.append(
            Block(page, start, match.group(1), match.group(2).strip(), "\n".join(body) + "\n")
        )
        index += 1
    return blocks


def _bash(script: str, *, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def _matches(expected: str, actual: str) -> bool:
    """`actual` is `expected` where each `…` stands for any text."""
    pattern = ".*".join(re.escape(part) for part in expected.strip().split("…"))
    return re.fullmatch(pattern, actual.strip(), flags=re.DOTALL) is not None


def _run(block: Block, *, port: int, env: dict[str, str]) -> None:
    text = _DOCUMENTED_SERVER.sub(f"127.0.0.1:{port}", block.text)
    if block.language == "sh":
        result = _bash(_PREAMBLE + text + _SAVE_STATE, env=env)
        assert result.returncode == 0, f"{block.where} failed:\n{result.stdout}\n{result.stderr}"
    elif block.language == "python":
        script = f"{_PREAMBLE}\"$DOCS_PYTHON\" - <<'DOCS_PYTHON_EOF'\n{text}DOCS_PYTHON_EOF\n"
        result = _bash(script, env=env)
        assert result.returncode == 0, f"{block.where} failed:\n{result.stdout}\n{result.stderr}"
    else:
        commands = re.split(r"^\$ ", text, flags=re.MULTILINE)[1:]
        assert commands, f"{block.where}: a console block shows `$ command` lines"
        for command in commands:
            line, _, expected = command.partition("\n")
            script = f'set +eu\nsource "$DOCS_STATE" 2>/dev/null\n{line}\n'
            result = _bash(script, env=env)
            assert _matches(expected, result.stdout), (
                f"{block.where}: `{line}` printed\n{result.stdout}\nnot\n{expected}"
            )


def test_every_block_of_the_pages_runs_or_says_why_not():
    for page in PAGES:
        for block in fenced_blocks(page):
            if block.language not in CODE_LANGUAGES or NOT_RUN in block.attributes:
                continue
            assert block.language in RUNNABLE, (
                f"{block.where}: a ```{block.language} block is neither run nor marked {NOT_RUN}"
            )
    assert sum(len(fenced_blocks(page)) for page in PAGES) > 10


@pytest.mark.timeout(900)
def test_the_examples_run_in_order_against_a_live_server(tmp_path):
    stack = stack_create(tmp_path / "stack", services=False)
    shims = tmp_path / "bin"
    shims.mkdir()
    # `pip install ./client` gives the `trading` command; the test uses the source tree instead.
    trading = shims / "trading"
    trading.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m trading_client.cli "$@"\n')
    trading.chmod(0o755)
    state = tmp_path / "state.sh"
    state.write_text("")
    env = {
        **stack.env,
        "DEMO_ADMIN_PASSWORD": DEMO_PASSWORD,
        "PYTHONPATH": str(ROOT / "client"),
        "PATH": f"{shims}:{Path(sys.executable).parent}:{stack.env.get('PATH', '')}",
        "DOCS_STATE": str(state),
        "DOCS_PYTHON": sys.executable,
    }
    try:
        stack.start_web()
        blocks = [
            block
            for page in PAGES
            for block in fenced_blocks(page)
            if block.language in RUNNABLE and NOT_RUN not in block.attributes
        ]
        for block in blocks:
            _run(block, port=stack.port, env=env)
    finally:
        stack.stop()
    assert len(blocks) >= 10
