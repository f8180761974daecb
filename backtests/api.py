"""Strategy, backtest and sweep endpoints (thin views over services and selectors)."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from access.selectors import account_ids_for, account_resolve
from backtests import selectors, services
from backtests.payloads import backtest_payload, sweep_payload
from kernel.api.fields import (
    AwareDateTimeField,
    CaseInsensitiveChoiceField,
    IdField,
    QuerySerializer,
)
from kernel.api.pagination import CursorPagination
from kernel.serializers import DecimalOutputField
from marketdata.enums import CandleInterval
from operations.api import ProgressSerializer
from operations.enums import OperationStatus


def _decimal_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=settings.DECIMAL_MAX_DIGITS, decimal_places=settings.DECIMAL_PLACES, **kwargs
    )


class BacktestInputSerializer(serializers.Serializer):
    strategy = serializers.CharField(max_length=64)
    symbol = serializers.CharField(max_length=32)
    interval = CaseInsensitiveChoiceField(choices=CandleInterval.choices, default="1d")
    start = AwareDateTimeField(required=False, allow_null=True)
    end = AwareDateTimeField(required=False, allow_null=True)
    initial_capital = _decimal_field(default=Decimal("10000"))
    parameters = serializers.DictField(required=False, default=dict)
    commission = _decimal_field(required=False, allow_null=True)
    slippage_bps = _decimal_field(required=False, allow_null=True)
    account = serializers.CharField(required=False)


class SweepInputSerializer(BacktestInputSerializer):
    grid = serializers.DictField(child=serializers.ListField(allow_empty=False))
    rank_by = serializers.ChoiceField(choices=list(selectors.RANKABLE), default="sharpe_ratio")


class BacktestQuerySerializer(QuerySerializer):
    strategy = serializers.CharField(required=False, max_length=64)
    symbol = serializers.CharField(required=False, max_length=32)
    sweep = IdField(required=False)
    status = CaseInsensitiveChoiceField(choices=OperationStatus.choices, required=False)


class SweepQuerySerializer(QuerySerializer):
    rank_by = serializers.ChoiceField(choices=list(selectors.RANKABLE), required=False)


class StrategySerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    parameters_schema = serializers.DictField(help_text="JSON Schema of `parameters`.")
    defaults = serializers.DictField()


class StrategyListSerializer(serializers.Serializer):
    results = StrategySerializer(many=True)


class BacktestStartedSerializer(serializers.Serializer):
    operation_id = serializers.IntegerField()
    backtest_id = serializers.IntegerField()


class SweepStartedSerializer(serializers.Serializer):
    operation_id = serializers.IntegerField()
    sweep_id = serializers.IntegerField()
    backtest_ids = serializers.ListField(child=serializers.IntegerField())
    combinations = serializers.IntegerField()


class BacktestSummarySerializer(serializers.Serializer):
    """`backtest_payload(detail=False)`; statistics are null until the run finished."""

    id = serializers.IntegerField()
    operation_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=OperationStatus.choices)
    progress = ProgressSerializer()
    error = serializers.JSONField(allow_null=True)
    sweep = serializers.IntegerField(allow_null=True)
    strategy = serializers.CharField()
    parameters = serializers.DictField()
    symbol = serializers.CharField()
    interval = serializers.ChoiceField(choices=CandleInterval.choices)
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    initial_capital = DecimalOutputField()
    commission = DecimalOutputField()
    slippage_bps = DecimalOutputField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    bars = serializers.IntegerField(allow_null=True)
    first_bar_at = serializers.DateTimeField(allow_null=True)
    last_bar_at = serializers.DateTimeField(allow_null=True)
    dataset_fingerprint = serializers.CharField(allow_null=True)
    result_hash = serializers.CharField(allow_null=True)
    total_return_pct = DecimalOutputField()
    cagr_pct = DecimalOutputField()
    sharpe_ratio = DecimalOutputField()
    sortino_ratio = DecimalOutputField()
    max_drawdown_pct = DecimalOutputField()
    win_rate = DecimalOutputField()
    profit_factor = DecimalOutputField()
    exposure_pct = DecimalOutputField()
    total_trades = serializers.IntegerField(allow_null=True)
    final_equity = DecimalOutputField()
    total_fees = DecimalOutputField()


class BacktestDetailSerializer(BacktestSummarySerializer):
    equity_curve = serializers.ListField(child=serializers.JSONField())
    drawdown_curve = serializers.ListField(child=serializers.JSONField())
    trades = serializers.ListField(child=serializers.JSONField())
    open_trade = serializers.JSONField(allow_null=True)


class RankedBacktestSerializer(BacktestSummarySerializer):
    rank = serializers.IntegerField()


class SweepSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    operation_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=OperationStatus.choices)
    progress = ProgressSerializer()
    error = serializers.JSONField(allow_null=True)
    strategy = serializers.CharField()
    symbol = serializers.CharField()
    interval = serializers.ChoiceField(choices=CandleInterval.choices)
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    grid = serializers.DictField()
    rank_by = serializers.CharField()
    combinations = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    results = RankedBacktestSerializer(many=True)


def _query(serializer_class, data) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return {name: value for name, value in serializer.validated_data.items() if name != "account"}


class BacktestView(APIView):
    """Reads are `read`/data-rate; starting a backtest or sweep is `trade`/trading-rate."""

    required_scope = {"GET": "read", "POST": "trade"}

    @property
    def rate_class(self) -> str:
        request = getattr(self, "request", None)
        return "data" if request is None or request.method == "GET" else "trading"


class StrategyListView(BacktestView):
    """GET /strategies: every strategy with its description and parameter schema."""

    @extend_schema(operation_id="strategies_list", responses=StrategyListSerializer)
    def get(self, request: Request) -> Response:
        return Response({"results": [cls.describe() for cls in selectors.strategy_list()]})


class StrategyDetailView(BacktestView):
    """GET /strategies/{name}."""

    @extend_schema(responses=StrategySerializer)
    def get(self, request: Request, name: str) -> Response:
        return Response(selectors.strategy_get(name=name).describe())


class BacktestListView(BacktestView):
    """GET /backtests?strategy=&symbol=&sweep=&status= (newest first); POST /backtests (202)."""

    pagination_class = CursorPagination  # the schema's envelope; `get` pages by hand

    @extend_schema(
        operation_id="backtests_list",
        parameters=[BacktestQuerySerializer],
        responses=BacktestSummarySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        query = _query(BacktestQuerySerializer, request.query_params)
        backtests = selectors.backtest_list(
            account_ids=[account.pk],
            strategy=query.get("strategy"),
            symbol=query.get("symbol"),
            sweep_id=query.get("sweep"),
            status=query.get("status"),
        )
        paginator = CursorPagination()
        page = paginator.paginate_queryset(backtests, request, view=self) or []
        return paginator.get_paginated_response(
            [backtest_payload(backtest, detail=False) for backtest in page]
        )

    @extend_schema(request=BacktestInputSerializer, responses={202: BacktestStartedSerializer})
    def post(self, request: Request) -> Response:
        account = account_resolve(request)
        data = _query(BacktestInputSerializer, request.data)
        backtest = services.backtest_start(account=account, **data)
        location = reverse("backtest-detail", args=[backtest.pk], request=request)
        return Response(
            {"operation_id": backtest.operation_id, "backtest_id": backtest.pk},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


class BacktestDetailView(BacktestView):
    """GET /backtests/{id}: statistics, equity and drawdown curves, trades, fingerprint."""

    @extend_schema(responses=BacktestDetailSerializer)
    def get(self, request: Request, backtest_id: str) -> Response:
        backtest = selectors.backtest_get(
            backtest_id=backtest_id, account_ids=account_ids_for(request)
        )
        return Response(backtest_payload(backtest))


class SweepListView(BacktestView):
    """POST /backtests/sweeps: a parameter grid, one task per combination (202)."""

    @extend_schema(request=SweepInputSerializer, responses={202: SweepStartedSerializer})
    def post(self, request: Request) -> Response:
        account = account_resolve(request)
        data = _query(SweepInputSerializer, request.data)
        sweep = services.sweep_start(account=account, **data)
        location = reverse("sweep-detail", args=[sweep.pk], request=request)
        backtest_ids = list(sweep.backtests.order_by("id").values_list("id", flat=True))
        return Response(
            {
                "operation_id": sweep.operation_id,
                "sweep_id": sweep.pk,
                "backtest_ids": backtest_ids,
                "combinations": len(backtest_ids),
            },
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


class SweepDetailView(BacktestView):
    """GET /backtests/sweeps/{id}?rank_by=: the sweep with its backtests ranked, best first."""

    @extend_schema(parameters=[SweepQuerySerializer], responses=SweepSerializer)
    def get(self, request: Request, sweep_id: str) -> Response:
        sweep = selectors.sweep_get(sweep_id=sweep_id, account_ids=account_ids_for(request))
        rank_by = _query(SweepQuerySerializer, request.query_params).get("rank_by", sweep.rank_by)
        ranked = selectors.sweep_ranked(sweep=sweep, rank_by=rank_by)
        return Response(sweep_payload(sweep, ranked=ranked, rank_by=rank_by))
