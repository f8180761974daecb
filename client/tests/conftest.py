"""Session fixtures: one real server for the whole client suite."""

from __future__ import annotations

import pytest
from support import Server, start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    """A real `manage.py serve` (daphne with the embedded engine: simulated market and paper
    venue) on a free loopback port, with the client tests' accounts and keys."""
    running = start_server(tmp_path_factory.mktemp("server"))
    try:
        yield running
    finally:
        for client in running.clients:
            client.close()
        running.stack.stop()
