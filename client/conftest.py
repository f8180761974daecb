"""The client's suite runs with its own configuration (client/pyproject.toml), through
`make test-client` or `pytest client/tests`. The server's suite, whose root is the repository,
leaves it out so CI does not run it twice."""

from pathlib import Path

CLIENT = Path(__file__).resolve().parent


def pytest_ignore_collect(collection_path, config):
    if config.rootpath != CLIENT and collection_path.is_relative_to(CLIENT / "tests"):
        return True
    return None
