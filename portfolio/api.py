"""Balance and position endpoints (thin views over selectors and services)."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from access.selectors import account_resolve
from orders.api import OrderSerializer, TradingView, plain
from orders.services.positions import position_close, position_close_all
from portfolio import selectors
from portfolio.equity import equity_curve

INTERVAL_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1d": 86400}


class BalanceListView(TradingView):
    """GET /balances: [{currency, total, available, locked}]."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        balances = selectors.balance_list(account_id=account.pk)
        return Response(
            {
                "results": [
                    plain(
                        {
                            "currency": b.currency,
                            "total": b.total,
                            "available": b.available,
                            "locked": b.locked,
                        }
                    )
                    for b in balances
                ]
            }
        )


class PositionListView(TradingView):
    """GET /positions (open positions marked to market); DELETE /positions closes all (207)."""

    @extend_schema(operation_id="positions_list", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        return Response({"results": plain(selectors.position_list(account_id=account.pk))})

    @extend_schema(operation_id="positions_close_all", responses={207: OpenApiTypes.OBJECT})
    def delete(self, request: Request) -> Response:
        account = account_resolve(request)
        results = position_close_all(account=account, reason="close all by client")
        return Response(results, status=status.HTTP_207_MULTI_STATUS)


class PositionDetailView(TradingView):
    """GET /positions/{symbol}; DELETE closes it with a market order (201 with the order)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, symbol: str) -> Response:
        account = account_resolve(request)
        return Response(plain(selectors.position_get(account_id=account.pk, symbol=symbol)))

    @extend_schema(responses={201: OrderSerializer})
    def delete(self, request: Request, symbol: str) -> Response:
        account = account_resolve(request)
        order = position_close(account=account, symbol=symbol, reason="close by client")
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class PortfolioView(TradingView):
    """GET /portfolio: positions, cash, equity, PnL, exposure, drawdown, zone and risk level."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        summary = selectors.portfolio_summary(account=account)
        return Response(plain({"account": account.pk, **summary}))


class EquityQuerySerializer(serializers.Serializer):
    # `from` is a keyword; the field is renamed below.
    from_ = serializers.DateTimeField(required=False)
    to = serializers.DateTimeField(required=False)
    interval = serializers.ChoiceField(choices=list(INTERVAL_SECONDS), required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start is not None and end is not None and start > end:
            raise serializers.ValidationError({"from": ["Must not be after `to`."]})
        return attrs


class PortfolioEquityView(TradingView):
    """GET /portfolio/equity?from=&to=&interval=: [{timestamp, equity, drawdown_pct}], oldest
    first; with `interval` the last snapshot of each bucket; at most EQUITY_CURVE_MAX_POINTS (the
    newest)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        query = EquityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        interval = query.validated_data.get("interval")
        points = equity_curve(
            account_id=account.pk,
            start=query.validated_data.get("from"),
            end=query.validated_data.get("to"),
            interval_s=INTERVAL_SECONDS[interval] if interval else 0,
            limit=settings.EQUITY_CURVE_MAX_POINTS,
        )
        return Response({"account": account.pk, "results": plain(points)})
