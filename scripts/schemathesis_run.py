"""Schemathesis against a live, seeded server with a real all-scopes API key (`make test-schema`).

Embedded mode by default (a fresh SQLite database); `--services` runs against PostgreSQL and Redis
(DATABASE_URL / REDIS_URL, a fresh database per run). The run is bounded by `--max-examples` per
operation and `--max-time` for the whole run; it fails on any server error or schema violation.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import stack_create  # noqa: E402

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# Generous limits for the fuzzing key: the run checks behaviour, not the rate limiter (which has
# its own tests); 429s would hide the operations behind them.
RATE_LIMITS = {"data": "100000/s", "trading": "100000/s"}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", action="store_true", help="PostgreSQL + Redis mode")
    parser.add_argument("--max-examples", type=int, default=25, help="per operation and phase")
    parser.add_argument("--max-time", type=int, default=120, help="seconds for the whole run")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--workdir", type=Path, default=None)
    return parser.parse_args()


def completed_ok(workdir: Path) -> bool:
    """Whether the run in `workdir` passed (a failed one keeps its reports and logs)."""
    return (workdir / "passed").exists()


def _key(stack, *, name: str, scopes: str) -> dict:
    """An API key of the demo admin on the demo account, made the console way."""
    return json.loads(
        stack.manage(
            "create_api_key",
            "--username=admin",
            "--account=Demo",
            f"--scopes={scopes}",
            f"--name={name}",
            f"--rate-limits={json.dumps(RATE_LIMITS)}",
            "--json",
        )
    )


def main() -> int:
    args = _arguments()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="schemathesis-"))
    if args.services:
        os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/trading_openapi")
        os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")
    stack = stack_create(workdir, services=args.services)
    try:
        created = _key(stack, name="schemathesis", scopes="read,trade,control,admin")
        token = f"{created['key_id']}.{created['secret']}"
        decoy = _key(stack, name="schemathesis-decoy", scopes="read")
        stack.env["SCHEMATHESIS_DECOY_KEY_ID"] = str(decoy["id"])
        stack.start_web()
        if args.services:
            stack.start_engine()
        report = workdir / "report"
        command = [
            SCHEMATHESIS,
            f"--config-file={ROOT / 'schemathesis.toml'}",
            "run",
            f"{stack.base_url}/api/v1/schema/?format=json",
            f"--header=Authorization: Api-Key {token}",
            "--checks=all",
            # DELETE cancels or revokes here; the record stays readable (schemathesis.toml).
            "--exclude-checks=use_after_free",
            "--phases=examples,coverage,fuzzing,stateful",
            f"--max-examples={args.max_examples}",
            f"--max-time={args.max_time}",
            f"--seed={args.seed}",
            "--workers=1",  # CPython 3.11 ast is not thread-safe under hypothesis (SystemError)
            "--request-timeout=10",
            "--suppress-health-check=all",
            "--report=junit,ndjson",
            f"--report-dir={report}",
        ]
        print(
            " ".join(
                c if "Api-Key" not in c else "--header=Authorization: Api-Key ***" for c in command
            )
        )
        completed = subprocess.run(command, cwd=ROOT, env=stack.env, check=False)
        if completed.returncode == 0:
            (workdir / "passed").touch()
        if completed.returncode != 0:
            for proc in stack.processes:
                print(f"--- {proc.name} log (tail) ---\n{proc.log()[-20000:]}")
            print(f"reports and server logs in {workdir}")
        return completed.returncode
    finally:
        stack.stop()
        if args.workdir is None and completed_ok(workdir):
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
