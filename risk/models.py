"""Risk configuration and its history, trading state and its history, manual overrides."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from access.models import Account
from kernel.db.fields import decimal_field
from risk.enums import OverrideKind, OverrideStatus, TradingStateValue


def _limit(verbose_name: str) -> models.DecimalField:
    """A nullable limit: empty means no limit."""
    return decimal_field(null=True, blank=True, verbose_name=verbose_name)


class RiskConfig(models.Model):
    """One per account. Edited only through `risk_config_update` (version + history + audit)."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="risk_config")
    max_order_quantity = _limit("max order quantity")
    max_order_notional = _limit("max order notional")
    max_position_notional = _limit("max position notional")
    max_gross_exposure = _limit("max gross exposure")
    max_open_orders = models.PositiveIntegerField(null=True, blank=True)
    price_band_pct = _limit("price band (% around the reference quote)")
    market_protection_pct = decimal_field(
        null=True,
        blank=True,
        default=Decimal(1),
        verbose_name="market protection (% beyond the reference)",
        help_text="Market and stop orders lock cash for, and never fill beyond, this far past "
        "their reference price (the quote at entry, or the stop). Empty: no band.",
    )
    allowed_symbols = models.JSONField(default=list, blank=True, help_text="Empty: all symbols.")
    blocked_symbols = models.JSONField(default=list, blank=True)
    daily_loss_limit = _limit("daily loss limit")
    max_drawdown_pct = _limit("max drawdown (%)")
    dd_zones = models.JSONField(
        default=list, blank=True, help_text='[{"zone", "drawdown_pct", "risk_multiplier"}]'
    )
    risk_per_trade_pct = _limit("risk per trade (% of equity)")
    max_orders_per_second = models.PositiveIntegerField(null=True, blank=True)
    require_four_eyes = models.BooleanField(default=False)
    flatten_on_halt = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "risk configuration"
        constraints = [
            models.CheckConstraint(
                condition=Q(price_band_pct__isnull=True) | Q(price_band_pct__gte=0),
                name="risk_config_price_band_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(risk_per_trade_pct__isnull=True) | Q(risk_per_trade_pct__gte=0),
                name="risk_config_risk_per_trade_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(market_protection_pct__isnull=True) | Q(market_protection_pct__gte=0),
                name="risk_config_market_protection_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"risk config of {self.account} (v{self.version})"


class RiskConfigVersion(models.Model):
    """A snapshot of a risk configuration as it was at one version."""

    config = models.ForeignKey(RiskConfig, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["config", "version"], name="risk_config_version_unique")
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class TradingState(models.Model):
    """The account's current trading state; a missing row means running."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="trading_state")
    state = models.CharField(
        max_length=16, choices=TradingStateValue.choices, default=TradingStateValue.RUNNING
    )
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.account}: {self.state}"


class TradingStateChange(models.Model):
    """One change of an account's trading state: who, why, from what to what."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="trading_state_changes"
    )
    from_state = models.CharField(max_length=16, choices=TradingStateValue.choices)
    to_state = models.CharField(max_length=16, choices=TradingStateValue.choices)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.from_state} -> {self.to_state}"


class RiskOverride(models.Model):
    """A time-boxed manual override of the risk level, one limit, or the trading state."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="risk_overrides")
    kind = models.CharField(max_length=16, choices=OverrideKind.choices)
    target = models.CharField(max_length=64, blank=True)
    value = models.CharField(max_length=64)
    reason = models.CharField(max_length=500)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=OverrideStatus.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "status", "expires_at"])]
        constraints = [
            # Four-eyes holds in the data too: nobody approves their own request.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(requested_by__isnull=True)
                | ~Q(approved_by=models.F("requested_by")),
                name="risk_override_not_self_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.target} = {self.value} ({self.status})"


class CircuitBreaker(models.Model):
    """The account's circuit breaker: tripped by a breached loss limit, reset by a person."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="circuit_breaker"
    )
    tripped = models.BooleanField(default=False)
    reason = models.CharField(max_length=500, blank=True)
    tripped_at = models.DateTimeField(null=True, blank=True)
    reset_reason = models.CharField(max_length=500, blank=True)
    reset_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reset_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.account}: {'tripped' if self.tripped else 'armed'}"
