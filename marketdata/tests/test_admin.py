"""Admin: instruments editable with filters; candles a read-only list."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User

from marketdata.models import Instrument
from marketdata.tests.factories import CandleFactory, InstrumentFactory


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_superuser("staff", password="pw-not-used"))
    return client


def test_instrument_changelist_filters_by_asset_class_and_status(staff_client):
    InstrumentFactory(symbol="AAPL")
    InstrumentFactory(symbol="EURUSD", asset_class="fx")

    response = staff_client.get("/admin/marketdata/instrument/?asset_class__exact=fx")

    assert response.status_code == 200
    assert [i.symbol for i in response.context["cl"].result_list] == ["EURUSD"]
    assert {f.title for f in response.context["cl"].filter_specs} == {"asset class", "status"}


def test_instrument_is_editable_in_the_admin(staff_client):
    instrument = InstrumentFactory(symbol="AAPL")
    form = {
        "symbol": "AAPL",
        "name": "Apple Inc.",
        "asset_class": "equity",
        "currency": "USD",
        "status": "halted",
        "tick_size": "0.01",
        "lot_size": "1",
        "min_quantity": "1",
        "sim_initial_price": "190",
        "sim_drift": "0.08",
        "sim_volatility": "0.25",
        "sim_spread_bps": "2",
        "sim_tick_interval_s": "",
        "sim_seed": "1001",
    }

    response = staff_client.post(f"/admin/marketdata/instrument/{instrument.pk}/change/", form)

    assert response.status_code == 302
    instrument.refresh_from_db()
    assert (instrument.status, instrument.sim_seed) == ("halted", 1001)


def test_candles_are_listed_but_cannot_be_added_changed_or_deleted(staff_client):
    candle = CandleFactory(
        instrument=InstrumentFactory(symbol="AAPL"), ts=datetime(2026, 1, 5, tzinfo=UTC)
    )

    listing = staff_client.get("/admin/marketdata/candle/")
    add = staff_client.get("/admin/marketdata/candle/add/")
    delete = staff_client.post(f"/admin/marketdata/candle/{candle.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert add.status_code == 403
    assert delete.status_code == 403
    assert Instrument.objects.get().candles.count() == 1
