"""The committed OpenAPI schema (docs/openapi.yaml): fresh, and no undeclared breaking change.

    python scripts/schema_check.py            # CI: fail if stale or broken against the base
    python scripts/schema_check.py --write    # regenerate docs/openapi.yaml

The base is the schema committed at the merge-base with `main` (at HEAD~1 on main itself).
A breaking change passes only when its identifier (printed by this script) is listed, in
backticks, in docs/api-changes.md. The rules (docs/api-versioning.md):

- removed-operation METHOD PATH             a path or a method of it is gone
- removed-status METHOD PATH STATUS         a success status is no longer answered
- removed-response-field METHOD PATH STATUS FIELD
- new-required-parameter METHOD PATH NAME   (query, path or header)
- new-required-field METHOD PATH FIELD      in the request body
- narrowed-enum METHOD PATH WHERE FIELD     an enum lost a value (request or response)
- type-change METHOD PATH WHERE FIELD       a field's type changed (request or response)
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = "docs/openapi.yaml"
DECLARATIONS = ROOT / "docs" / "api-changes.md"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_MAX_DEPTH = 12


def generate() -> str:
    """The schema as `manage.py spectacular --validate --fail-on-warn` writes it now."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "openapi.yaml"
        command = ["manage.py", "spectacular", "--validate", "--fail-on-warn", "--file"]
        subprocess.run(
            [sys.executable, *command, str(target)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        return target.read_text()


def _git(*args: str) -> str | None:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return result.stdout if result.returncode == 0 else None


def base_revision() -> str | None:
    """The merge-base with main, or HEAD~1 when HEAD is on main (or main is unknown)."""
    head = (_git("rev-parse", "HEAD") or "").strip()
    base = (_git("merge-base", "HEAD", "main") or "").strip()
    if base and base != head:
        return base
    parent = (_git("rev-parse", "--verify", "--quiet", "HEAD~1") or "").strip()
    return parent or None


# --- the rules ----------------------------------------------------------------------------


class Schema:
    """An OpenAPI document with its `$ref`s resolved on the way."""

    def __init__(self, document: dict[str, Any]):
        self.document = document

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def operations(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {
            (method.upper(), path): operation
            for path, item in (self.document.get("paths") or {}).items()
            for method, operation in item.items()
            if method in METHODS
        }

    def fields(self, node: Any, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, dict]]:
        """Yield (dotted field path, resolved schema) for `node` and everything below it."""
        node = self.resolve(node)
        if not isinstance(node, dict) or depth > _MAX_DEPTH:
            return
        yield prefix or "(body)", node
        for part in node.get("allOf", []):
            for name, child in self.fields(part, prefix, depth + 1):
                if name != (prefix or "(body)"):
                    yield name, child
        for name, child in (node.get("properties") or {}).items():
            yield from self.fields(child, f"{prefix}.{name}" if prefix else name, depth + 1)
        if "items" in node:
            yield from self.fields(node["items"], f"{prefix}[]", depth + 1)

    def required(self, node: Any) -> set[str]:
        node = self.resolve(node)
        names = set(node.get("required", [])) if isinstance(node, dict) else set()
        for part in node.get("allOf", []) if isinstance(node, dict) else []:
            names |= self.required(part)
        return names


def _type(node: dict) -> str:
    if "type" in node:
        return str(node["type"])
    for combinator in ("oneOf", "anyOf"):
        if combinator in node:
            return combinator
    return "any"


def _json_body(schema: Schema, container: dict | None) -> Any:
    content = (schema.resolve(container) or {}).get("content") or {}
    return (content.get("application/json") or {}).get("schema")


def _field_changes(old: Schema, new: Schema, where: str, old_body: Any, new_body: Any):
    """Yield (rule, field) for the type changes between two bodies, and for a request the
    narrowed enums (a response that gives fewer values breaks no client)."""
    new_fields = dict(new.fields(new_body))
    for name, before in old.fields(old_body):
        after = new_fields.get(name)
        if after is None:
            continue
        if _type(before) != _type(after):
            yield "type-change", f"{where} {name}"
        narrowed = set(before.get("enum", [])) - set(after.get("enum", before.get("enum", [])))
        if where.startswith("request") and narrowed:
            yield "narrowed-enum", f"{where} {name}"


def breaking_changes(old_document: dict, new_document: dict) -> list[str]:
    """Identifiers of the breaking changes from `old_document` to `new_document`."""
    old, new = Schema(old_document), Schema(new_document)
    found: list[str] = []
    new_operations = new.operations()
    for (method, path), before in old.operations().items():
        operation = f"{method} {path}"
        after = new_operations.get((method, path))
        if after is None:
            found.append(f"removed-operation {operation}")
            continue
        found += _response_changes(old, new, operation, before, after)
        found += _request_changes(old, new, operation, before, after)
    return found


def _response_changes(old: Schema, new: Schema, operation: str, before: dict, after: dict):
    found = []
    for status, response in (before.get("responses") or {}).items():
        if not str(status).startswith("2"):
            continue
        if status not in (after.get("responses") or {}):
            found.append(f"removed-status {operation} {status}")
            continue
        old_body = _json_body(old, response)
        new_body = _json_body(new, after["responses"][status])
        new_names = {name for name, _ in new.fields(new_body)}
        for name, _ in old.fields(old_body):
            if name not in new_names:
                found.append(f"removed-response-field {operation} {status} {name}")
        found += [
            f"{rule} {operation} {field}"
            for rule, field in _field_changes(old, new, f"response.{status}", old_body, new_body)
        ]
    return found


def _request_changes(old: Schema, new: Schema, operation: str, before: dict, after: dict):
    found = []
    old_schemas = {
        (parameter["in"], parameter["name"]): parameter.get("schema")
        for parameter in map(old.resolve, before.get("parameters") or [])
    }
    for parameter in map(new.resolve, after.get("parameters") or []):
        key = (parameter["in"], parameter["name"])
        if parameter.get("required") and key not in old_schemas:
            found.append(f"new-required-parameter {operation} {parameter['name']}")
        if key in old_schemas:
            where = f"request.{parameter['in']}"
            found += [
                f"{rule} {operation} {field.replace('(body)', parameter['name'])}"
                for rule, field in _field_changes(
                    old, new, where, old_schemas[key], parameter.get("schema")
                )
            ]
    old_body = _json_body(old, before.get("requestBody"))
    new_body = _json_body(new, after.get("requestBody"))
    if new_body is not None:
        old_required = old.required(old_body) if old_body is not None else set()
        body_required = (new.resolve(after["requestBody"]) or {}).get("required", False)
        if old_body is None and body_required:
            found.append(f"new-required-field {operation} (body)")
        for name in sorted(new.required(new_body) - old_required):
            found.append(f"new-required-field {operation} {name}")
    if old_body is not None and new_body is not None:
        found += [
            f"{rule} {operation} {field}"
            for rule, field in _field_changes(old, new, "request", old_body, new_body)
        ]
    return found


def declared_changes() -> set[str]:
    """Every `identifier` in backticks in docs/api-changes.md."""
    if not DECLARATIONS.exists():
        return set()
    return {match.strip() for match in re.findall(r"`([^`]+)`", DECLARATIONS.read_text())}


# --- the command --------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="regenerate docs/openapi.yaml")
    parser.add_argument("--base", default=None, help="git revision to compare with")
    args = parser.parse_args()

    generated = generate()
    committed_path = ROOT / SCHEMA_PATH
    if args.write:
        committed_path.write_text(generated)
        print(f"wrote {SCHEMA_PATH}")
    elif not committed_path.exists() or committed_path.read_text() != generated:
        print(
            f"{SCHEMA_PATH} is stale: run `python scripts/schema_check.py --write` and commit it.",
            file=sys.stderr,
        )
        return 1

    base = args.base or base_revision()
    previous = _git("show", f"{base}:{SCHEMA_PATH}") if base else None
    if previous is None:
        print(f"no {SCHEMA_PATH} at {base or 'any base'}: nothing to compare with")
        return 0
    changes = breaking_changes(yaml.safe_load(previous), yaml.safe_load(generated))
    declared = declared_changes()
    undeclared = [change for change in changes if change not in declared]
    for change in changes:
        print(f"{'declared' if change in declared else 'BREAKING'}: {change}")
    if undeclared:
        print(
            f"{len(undeclared)} undeclared breaking change(s) against {str(base)[:12]}: declare "
            "each identifier in docs/api-changes.md (docs/api-versioning.md) or keep the contract.",
            file=sys.stderr,
        )
        return 1
    print(f"{SCHEMA_PATH} is fresh; {len(changes)} breaking change(s), all declared")
    return 0


if __name__ == "__main__":
    sys.exit(main())
