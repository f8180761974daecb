"""The money harness on one process: SQLite in `make test`, PostgreSQL in the services suite."""

import os

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.money.machine import MoneyMachine

# Bounded for CI (the services suite runs fewer: the racing threads cover PostgreSQL too);
# `make test-money` raises them for a long run.
EXAMPLES = int(os.environ.get("MONEY_EXAMPLES", "30" if connection.vendor == "sqlite" else "12"))
STEPS = int(os.environ.get("MONEY_STEPS", "50"))


@pytest.mark.django_db
def test_random_sequences_keep_the_books_exact():
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            print_blob=True,
        ),
    )
