"""Deployments: a strategy trading live on the paper venue, and the bars it decided on."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from deployments.enums import DeploymentStatus
from kernel.db.fields import decimal_field
from marketdata.enums import CandleInterval


class Deployment(models.Model):
    """One strategy on one symbol and interval, owned by an account.

    What it holds is not kept here: it is rebuilt from the fills of its orders (their
    client_order_id starts with `client_order_id_prefix`), and the strategy's indicators from
    the stored candles. `target` is the strategy's own last decision, `last_bar_at` the start of
    the newest closed bar it has seen.
    """

    account = models.ForeignKey(
        "access.Account", on_delete=models.PROTECT, related_name="deployments"
    )
    strategy = models.CharField(max_length=64)
    instrument = models.ForeignKey(
        "marketdata.Instrument", on_delete=models.PROTECT, related_name="deployments"
    )
    interval = models.CharField(max_length=8, choices=CandleInterval.choices)
    parameters = models.JSONField(default=dict, blank=True)
    capital = decimal_field()
    risk_per_trade_pct = decimal_field(null=True, blank=True)
    stop_loss_pct = decimal_field(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=DeploymentStatus.choices, default=DeploymentStatus.RUNNING
    )
    status_reason = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    target = models.SmallIntegerField(default=0)
    last_bar_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(capital__gt=0), name="deployment_capital_gt_0"),
            models.CheckConstraint(
                condition=Q(target__in=[-1, 0, 1]), name="deployment_target_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-id"], name="deployment_account_id_desc"),
            models.Index(fields=["status"], name="deployment_status"),
        ]

    def __str__(self) -> str:
        return f"deployment {self.pk} {self.strategy} {self.instrument_id} ({self.status})"

    @property
    def client_order_id_prefix(self) -> str:
        return f"dep{self.pk}-"


class DeploymentDecision(models.Model):
    """A change of target the strategy decided after a bar closed, and the signal recording it.

    Unique per bar: a bar processed again after a restart finds its decision here.
    """

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="decisions")
    bar_at = models.DateTimeField()
    target = models.SmallIntegerField()
    signal = models.ForeignKey(
        "analytics.Signal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "bar_at"], name="deployment_decision_one_per_bar"
            ),
        ]

    def __str__(self) -> str:
        return f"decision {self.target} of deployment {self.deployment_id} at {self.bar_at}"
