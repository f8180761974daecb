"""Services and selectors name who acts and on what with real types, never `Any` or nothing.

mypy (`make lint`) checks the types; this checks the annotations exist and say something.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPED = {"actor", "account", "instrument", "user", "account_ids"}


def _modules() -> list[Path]:
    paths = [
        *ROOT.glob("*/services.py"),
        *ROOT.glob("*/services/*.py"),
        *ROOT.glob("*/selectors.py"),
    ]
    return sorted(p for p in paths if ".venv" not in p.parts and "client" not in p.parts)


def test_actor_account_and_instrument_are_typed_in_every_service_and_selector():
    loose = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            arguments = [*node.args.args, *node.args.kwonlyargs]
            for argument in arguments:
                if argument.arg not in TYPED:
                    continue
                annotation = argument.annotation
                if annotation is None or ast.unparse(annotation) in ("Any", "object"):
                    loose.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}({argument.arg})"
                    )
    assert loose == []
