"""The money harness on the embedded default: SQLite, one process, the venue's own book."""

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.money.machine import MoneyMachine

# `make test-money` raises these for a long run.
EXAMPLES = int(os.environ.get("MONEY_EXAMPLES", "30"))
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
