"""Demo seed: the demo account gets default limits once."""

from decimal import Decimal

from access.seed import account_demo_seed
from risk.models import RiskConfig
from risk.seed import risk_demo_seed


def test_demo_account_gets_default_limits_once(db):
    assert risk_demo_seed() == "risk: no demo account"
    account_demo_seed()
    assert risk_demo_seed() == "risk: default limits for Demo (config v2)"
    assert risk_demo_seed() == "risk: Demo already configured"
    config = RiskConfig.objects.get(account__name="Demo")
    assert (config.version, config.max_order_notional, config.max_open_orders) == (
        2,
        Decimal("250000"),
        200,
    )
    assert [zone["zone"] for zone in config.dd_zones] == ["caution", "danger", "halt"]
