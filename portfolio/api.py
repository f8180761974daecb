"""Balance and equity-curve endpoints (thin views over selectors)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from access.selectors import account_resolve
from kernel.api.fields import TimeRangeQuerySerializer
from kernel.api.renderers import jsonable
from kernel.api.views import ApiView, query_validated
from kernel.serializers import DecimalOutputField
from portfolio import selectors
from portfolio.equity import equity_curve
from portfolio.representations import BalanceSerializer, balance_representation

INTERVAL_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1d": 86400}


class BalanceListView(ApiView):
    """GET /balances: [{currency, total, available, locked}]."""

    @extend_schema(
        responses=inline_serializer("BalanceList", fields={"results": BalanceSerializer(many=True)})
    )
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        balances = selectors.balance_list(account_id=account.pk)
        return Response({"results": [balance_representation(b) for b in balances]})


class EquityQuerySerializer(TimeRangeQuerySerializer):
    interval = serializers.ChoiceField(choices=list(INTERVAL_SECONDS), required=False)


class EquityPointSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    equity = DecimalOutputField()
    drawdown_pct = DecimalOutputField()


class PortfolioEquityView(ApiView):
    """GET /portfolio/equity?from=&to=&interval=: [{timestamp, equity, drawdown_pct}], oldest
    first; with `interval` the last snapshot of each bucket; at most EQUITY_CURVE_MAX_POINTS (the
    newest)."""

    @extend_schema(
        parameters=[EquityQuerySerializer],
        responses=inline_serializer(
            "EquityCurve",
            fields={
                "account": serializers.IntegerField(),
                "results": EquityPointSerializer(many=True),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        query = query_validated(EquityQuerySerializer, request.query_params)
        interval = query.get("interval")
        points = equity_curve(
            account_id=account.pk,
            start=query.get("from"),
            end=query.get("to"),
            interval_s=INTERVAL_SECONDS[interval] if interval else 0,
            limit=settings.EQUITY_CURVE_MAX_POINTS,
        )
        return Response({"account": account.pk, "results": jsonable(points)})
