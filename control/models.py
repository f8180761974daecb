"""No tables of its own: a proxy of the account for the kill switch in the admin."""

from access.models import Account


class TradingControl(Account):
    """An account seen as something to stop, start or set reduce-only (the admin's kill switch)."""

    class Meta:
        proxy = True
        verbose_name = "account"
        verbose_name_plural = "kill switch"
