"""Trade, performance and signal endpoints (thin views over selectors and services)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from access.selectors import account_resolve
from analytics import selectors, services
from analytics.enums import SignalDecision, SignalDirection
from analytics.models import Signal, Trade
from kernel.api.fields import CaseInsensitiveChoiceField, IdField, TimeRangeQuerySerializer
from kernel.api.pagination import CursorPagination
from kernel.api.renderers import jsonable
from kernel.api.views import ApiView, query_validated
from kernel.serializers import DecimalField, DecimalOutputField

PeriodQuerySerializer = TimeRangeQuerySerializer


class TradeQuerySerializer(PeriodQuerySerializer):
    symbol = serializers.CharField(required=False)


class PerformanceQuerySerializer(PeriodQuerySerializer):
    days = serializers.IntegerField(required=False, min_value=1, max_value=3660)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The selector answers an inverted window with the documented INVALID_PERIOD, so the
        # generic range check (VALIDATION_ERROR) is not applied here.
        return attrs


class SignalQuerySerializer(PeriodQuerySerializer):
    strategy = serializers.CharField(required=False)
    symbol = serializers.CharField(required=False)


class TradeSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    quantity = DecimalOutputField()
    entry_price = DecimalOutputField()
    exit_price = DecimalOutputField()
    pnl = DecimalOutputField()
    gross_pnl = DecimalOutputField()
    pnl_pct = DecimalOutputField()
    fees = DecimalOutputField()
    initial_stop = DecimalOutputField()
    r_multiple = DecimalOutputField()

    class Meta:
        model = Trade
        fields = [
            "id",
            "symbol",
            "side",
            "quantity",
            "entry_price",
            "exit_price",
            "opened_at",
            "closed_at",
            "pnl",
            "gross_pnl",
            "pnl_pct",
            "fees",
            "initial_stop",
            "r_multiple",
            "strategy",
        ]


class SignalSerializer(serializers.ModelSerializer):
    strength = DecimalOutputField()
    outcome_r = DecimalOutputField()
    order = serializers.IntegerField(source="order_id", read_only=True, allow_null=True)

    class Meta:
        model = Signal
        fields = [
            "id",
            "strategy",
            "symbol",
            "direction",
            "strength",
            "decision",
            "reason",
            "order",
            "outcome_r",
            "created_at",
        ]


class SignalInputSerializer(serializers.Serializer):
    strategy = serializers.CharField(max_length=100)
    symbol = serializers.CharField(max_length=32)
    direction = CaseInsensitiveChoiceField(choices=SignalDirection.choices)
    strength = DecimalField(required=False, allow_null=True)
    decision = CaseInsensitiveChoiceField(choices=SignalDecision.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    order = IdField(required=False, allow_null=True)
    account = serializers.CharField(required=False)


class EquityCurvePointSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField(allow_null=True)
    equity = DecimalOutputField()


class DrawdownCurvePointSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField(allow_null=True)
    drawdown_pct = DecimalOutputField()


class PerformanceSerializer(serializers.Serializer):
    """`performance_get`: null where a figure is undefined (no trades, no losses, ...)."""

    # `from` is a Python keyword: declared in get_fields.
    to = serializers.DateTimeField()
    trades = serializers.IntegerField()
    wins = serializers.IntegerField()
    losses = serializers.IntegerField()
    win_rate = DecimalOutputField()
    total_pnl = DecimalOutputField()
    total_r = DecimalOutputField()
    avg_r = DecimalOutputField()
    profit_factor = DecimalOutputField()
    expectancy = DecimalOutputField()
    avg_win = DecimalOutputField()
    avg_loss = DecimalOutputField()
    sharpe = DecimalOutputField()
    sortino = DecimalOutputField()
    max_drawdown_pct = DecimalOutputField()
    equity_curve = EquityCurvePointSerializer(many=True)
    drawdown_curve = DrawdownCurvePointSerializer(many=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {"from": serializers.DateTimeField(), **fields}


class TradeListView(ApiView):
    """GET /trades?from=&to=&symbol= (round trips; a period selects by closing time)."""

    pagination_class = CursorPagination  # the schema's envelope; `get` pages by hand

    @extend_schema(parameters=[TradeQuerySerializer], responses=TradeSerializer(many=True))
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        query = query_validated(TradeQuerySerializer, request.query_params)
        trades = selectors.trade_list(
            account_ids=[account.pk],
            symbol=query.get("symbol"),
            closed_from=query.get("from"),
            closed_to=query.get("to"),
        )
        paginator = CursorPagination()
        page = paginator.paginate_queryset(trades, request, view=self)
        return paginator.get_paginated_response(TradeSerializer(page, many=True).data)


class PerformanceView(ApiView):
    """GET /performance?days=30 (or from/to): figures of the trades closed in the period."""

    @extend_schema(parameters=[PerformanceQuerySerializer], responses=PerformanceSerializer)
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        query = query_validated(PerformanceQuerySerializer, request.query_params)
        start, end = selectors.performance_period(
            days=query.get("days"), start=query.get("from"), end=query.get("to")
        )
        return Response(jsonable(selectors.performance_get(account=account, start=start, end=end)))


class SignalListView(ApiView):
    """GET /signals?strategy=&symbol=&from=&to=; POST /signals records a decision."""

    pagination_class = CursorPagination  # the schema's envelope; `get` pages by hand

    @extend_schema(parameters=[SignalQuerySerializer], responses=SignalSerializer(many=True))
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        query = query_validated(SignalQuerySerializer, request.query_params)
        signals = selectors.signal_list(
            account_ids=[account.pk],
            strategy=query.get("strategy"),
            symbol=query.get("symbol"),
            created_from=query.get("from"),
            created_to=query.get("to"),
        )
        paginator = CursorPagination()
        page = paginator.paginate_queryset(signals, request, view=self)
        return paginator.get_paginated_response(SignalSerializer(page, many=True).data)

    @extend_schema(request=SignalInputSerializer, responses={201: SignalSerializer})
    def post(self, request: Request) -> Response:
        account = account_resolve(request)
        data = query_validated(SignalInputSerializer, request.data)
        data.pop("account", None)
        # An order of another account is a 404, as for any other object.
        signal = services.signal_create(account=account, order_id=data.pop("order", None), **data)
        return Response(SignalSerializer(signal).data, status=status.HTTP_201_CREATED)
