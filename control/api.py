"""Endpoints of trading control and the risk console: /trading, /risk, /portfolio."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from access.enums import Scope
from access.selectors import account_resolve
from control import selectors, services
from kernel.api.fields import IdField
from kernel.api.renderers import jsonable
from kernel.api.schema import errors
from kernel.api.views import ApiView
from kernel.serializers import DecimalOutputField
from orders.representations import CancelResultSerializer, PositionCloseResultSerializer
from risk.breaker import circuit_breaker_reset
from risk.enums import DrawdownZone
from risk.representations import (
    CircuitBreakerSerializer,
    RiskOverrideSerializer,
    TradingStateSerializer,
)
from risk.selectors import trading_state_view
from risk.services import trading_reduce_only, trading_start


class ControlView(ApiView):
    """Reads need `read` and count as data; actions need `control` and count as trading."""

    write_scope = Scope.CONTROL


class LimitUtilizationSerializer(serializers.Serializer):
    name = serializers.ChoiceField(
        choices=[
            "daily_loss",
            "total_drawdown",
            "gross_exposure",
            "position_notional",
            "open_orders",
            "order_rate",
        ]
    )
    limit = DecimalOutputField(help_text="null: no limit configured.")
    used = DecimalOutputField()
    utilization_pct = DecimalOutputField()


class RiskSummarySerializer(serializers.Serializer):
    account = serializers.IntegerField()
    trading_state = serializers.CharField(help_text="The effective state.")
    dd_zone = serializers.ChoiceField(choices=DrawdownZone.choices)
    risk_level = DecimalOutputField()
    drawdown_pct = DecimalOutputField()
    limits = LimitUtilizationSerializer(many=True)
    circuit_breaker = CircuitBreakerSerializer()
    overrides = RiskOverrideSerializer(many=True, help_text="Active overrides.")


class CircuitBreakerStateSerializer(CircuitBreakerSerializer):
    account = serializers.IntegerField()


class AccountTradingStateSerializer(TradingStateSerializer):
    account = serializers.IntegerField()


class TradingStopResultSerializer(AccountTradingStateSerializer):
    canceled_orders = CancelResultSerializer(many=True)
    closing_orders = PositionCloseResultSerializer(many=True)


class PortfolioPositionSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    side = serializers.ChoiceField(choices=["long", "short"])
    quantity = DecimalOutputField()
    average_entry_price = DecimalOutputField()
    market_price = DecimalOutputField()
    market_value = DecimalOutputField()
    unrealized_pnl = DecimalOutputField()
    realized_pnl = DecimalOutputField()


class ExposureSerializer(serializers.Serializer):
    gross = DecimalOutputField()
    net = DecimalOutputField()
    long = DecimalOutputField()
    short = DecimalOutputField()


class PortfolioSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    positions = PortfolioPositionSerializer(many=True)
    currency = serializers.CharField()
    cash = DecimalOutputField()
    positions_value = DecimalOutputField()
    equity = DecimalOutputField()
    realized_pnl = DecimalOutputField()
    unrealized_pnl = DecimalOutputField()
    total_pnl = DecimalOutputField()
    exposure = ExposureSerializer()
    peak_equity = DecimalOutputField()
    drawdown_pct = DecimalOutputField()
    dd_zone = serializers.ChoiceField(choices=DrawdownZone.choices)
    risk_level = DecimalOutputField()


class RiskView(ControlView):
    """Trading state, risk level, utilization of each measurable limit, active overrides."""

    @extend_schema(responses={200: RiskSummarySerializer})
    def get(self, request):
        account = account_resolve(request)
        summary = selectors.risk_summary(account_id=account.pk)
        summary["overrides"] = RiskOverrideSerializer(summary["overrides"], many=True).data
        return Response({"account": account.pk, **summary})


class CircuitBreakerResetSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class CircuitBreakerResetView(ControlView):
    """POST /risk/circuit-breaker/reset {reason}: re-arm a tripped breaker (trading stays halted
    until started)."""

    @extend_schema(
        request=CircuitBreakerResetSerializer,
        responses={200: CircuitBreakerStateSerializer, **errors(409)},
    )
    def post(self, request):
        account = account_resolve(request)
        serializer = CircuitBreakerResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        breaker = circuit_breaker_reset(
            account=account, reason=serializer.validated_data["reason"], actor=request.user
        )
        return Response({"account": account.pk, **breaker})


class TradingControlSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    account = IdField(required=False)


class TradingStopSerializer(TradingControlSerializer):
    reason = serializers.CharField(max_length=500)
    cancel_orders = serializers.BooleanField(required=False, default=True)
    close_positions = serializers.BooleanField(required=False, default=True)


class TradingView(ControlView):
    """The account's trading state: persisted state, reason, actor, time, effective state."""

    @extend_schema(responses={200: AccountTradingStateSerializer})
    def get(self, request):
        account = account_resolve(request)
        return Response({"account": account.pk, **trading_state_view(account_id=account.pk)})


class _TradingControlView(ControlView):
    serializer = TradingControlSerializer

    def _validated(self, request) -> tuple:
        serializer = self.serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return account_resolve(request, data.get("account")), data


class TradingStartView(_TradingControlView):
    """POST {reason?}: trading runs again."""

    @extend_schema(request=TradingControlSerializer, responses={200: AccountTradingStateSerializer})
    def post(self, request):
        account, data = self._validated(request)
        trading_start(account=account, reason=data["reason"], actor=request.user)
        return Response({"account": account.pk, **trading_state_view(account_id=account.pk)})


class TradingReduceOnlyView(_TradingControlView):
    """POST {reason?}: only orders that reduce a position are accepted."""

    @extend_schema(request=TradingControlSerializer, responses={200: AccountTradingStateSerializer})
    def post(self, request):
        account, data = self._validated(request)
        trading_reduce_only(account=account, reason=data["reason"], actor=request.user)
        return Response({"account": account.pk, **trading_state_view(account_id=account.pk)})


class TradingStopView(_TradingControlView):
    """POST {reason, cancel_orders=true, close_positions=true}: the kill switch."""

    serializer = TradingStopSerializer

    @extend_schema(request=TradingStopSerializer, responses={200: TradingStopResultSerializer})
    def post(self, request):
        account, data = self._validated(request)
        result = services.trading_stop(
            account=account,
            reason=data["reason"],
            cancel_orders=data["cancel_orders"],
            close_positions=data["close_positions"],
            actor=request.user,
        )
        return Response(
            {
                "account": account.pk,
                **trading_state_view(account_id=account.pk),
                "canceled_orders": result["canceled_orders"],
                "closing_orders": result["closing_orders"],
            }
        )


class PortfolioView(ControlView):
    """GET /portfolio: positions, cash, equity, PnL, exposure, drawdown, zone and risk level."""

    @extend_schema(responses={200: PortfolioSerializer, **errors(409)})
    def get(self, request):
        account = account_resolve(request)
        summary = selectors.portfolio_summary(account=account)
        return Response(jsonable({"account": account.pk, **summary}))
