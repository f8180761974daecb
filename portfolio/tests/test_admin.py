"""Admin: positions open by default, decimals shown without the column's trailing zeros."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from marketdata.models import Instrument
from portfolio.models import Position

D = Decimal


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("ada", password="pw-not-used"))
    return client


def _position(account, instrument: Instrument, quantity: str) -> Position:
    return Position.objects.create(
        account=account, instrument=instrument, quantity=D(quantity),
        average_entry_price=D("100"), realized_pnl=D("12.5"),
    )  # fmt: skip


def test_flat_positions_are_hidden_until_asked_for(staff_client, account, aapl, msft):
    _position(account, aapl, "10")
    _position(account, msft, "0")

    default = staff_client.get("/admin/portfolio/position/")
    flat = staff_client.get("/admin/portfolio/position/?state=flat")
    every = staff_client.get("/admin/portfolio/position/?state=all")

    assert [p.instrument.symbol for p in default.context["cl"].result_list] == ["AAPL"]
    assert [p.instrument.symbol for p in flat.context["cl"].result_list] == ["MSFT"]
    assert sorted(p.instrument.symbol for p in every.context["cl"].result_list) == [
        "AAPL", "MSFT",
    ]  # fmt: skip


def test_decimals_are_shown_normalised(staff_client, account, aapl):
    _position(account, aapl, "10")

    text = staff_client.get("/admin/portfolio/position/").content.decode()

    assert '<td class="field-quantity">10</td>' in text
    assert '<td class="field-realized_pnl">12.5</td>' in text
    assert "0000000000" not in text


def test_a_view_only_page_shows_decimals_normalised(staff_client, account, aapl):
    position = _position(account, aapl, "10")

    page = staff_client.get(f"/admin/portfolio/position/{position.pk}/change/")

    text = page.content.decode()
    assert page.status_code == 200
    assert '<div class="readonly">12.5</div>' in text
    assert "0000000000" not in text
