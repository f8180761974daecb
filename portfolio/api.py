"""Balance and position endpoints (thin views over selectors and services)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from access.selectors import account_resolve
from orders.api import OrderSerializer, TradingView, plain
from portfolio import selectors, services


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
        results = services.position_close_all(account=account, reason="close all by client")
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
        order = services.position_close(account=account, symbol=symbol, reason="close by client")
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)
