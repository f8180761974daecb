"""Demo data: a default risk configuration for the demo account, set once."""

from access.models import Account
from access.seed import DEMO_ACCOUNT_NAME
from risk.models import RiskConfig
from risk.services import risk_config_get_or_create, risk_config_update

# Sensible paper-trading limits for a 1,000,000 USD demo account.
DEMO_RISK_CONFIG = {
    "max_order_quantity": "10000",
    "max_order_notional": "250000",
    "max_position_notional": "500000",
    "max_gross_exposure": "2000000",
    "max_open_orders": 200,
    # Wide: the simulator moves fast, and resting orders well away from the quote are normal.
    "price_band_pct": "50",
    "allowed_symbols": [],
    "blocked_symbols": [],
    "daily_loss_limit": "50000",
    "max_drawdown_pct": "20",
    "dd_zones": [
        {"zone": "caution", "drawdown_pct": "5", "risk_multiplier": "0.5"},
        {"zone": "danger", "drawdown_pct": "10", "risk_multiplier": "0.25"},
        {"zone": "halt", "drawdown_pct": "20", "risk_multiplier": "0"},
    ],
    "risk_per_trade_pct": "1",
    "max_orders_per_second": 20,
    "require_four_eyes": False,
    "flatten_on_halt": True,
}


def risk_demo_seed() -> str:
    """Give the demo account its default limits unless it has a configuration; return a summary."""
    account = Account.objects.filter(name=DEMO_ACCOUNT_NAME).first()
    if account is None:
        return "risk: no demo account"
    if RiskConfig.objects.filter(account=account, version__gt=1).exists():
        return f"risk: {account.name} already configured"
    risk_config_get_or_create(account=account)
    config = risk_config_update(account=account, changes=DEMO_RISK_CONFIG)
    return f"risk: default limits for {account.name} (config v{config.version})"
