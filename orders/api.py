"""Order and fill endpoints: entry, preview, lifecycle, lists (thin views over services)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from access.selectors import account_ids_for, account_resolve
from kernel.api.fields import (
    AwareDateTimeField,
    CaseInsensitiveChoiceField,
    IdField,
    QuerySerializer,
    TimeRangeQuerySerializer,
)
from kernel.api.pagination import CursorPagination
from kernel.api.renderers import jsonable
from kernel.api.schema import errors
from kernel.api.views import ApiView, query_validated
from kernel.serializers import DecimalField, DecimalOutputField
from orders import selectors, services
from orders.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from orders.errors import OrderValidationError
from orders.representations import (
    CancelResultSerializer,
    FillSerializer,
    OrderDetailSerializer,
    OrderSerializer,
    PositionCloseResultSerializer,
    order_representation,
)
from orders.services.positions import position_close, position_close_all
from portfolio.representations import PositionSerializer, position_representation
from portfolio.selectors import position_open_get, position_open_list


class OrderInputSerializer(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    side = CaseInsensitiveChoiceField(choices=OrderSide.choices)
    order_type = CaseInsensitiveChoiceField(choices=OrderType.choices, default=OrderType.MARKET)
    time_in_force = CaseInsensitiveChoiceField(choices=TimeInForce.choices, default="gtc")
    quantity = DecimalField()
    limit_price = DecimalField(required=False, allow_null=True)
    stop_price = DecimalField(required=False, allow_null=True)
    expire_at = AwareDateTimeField(required=False, allow_null=True)
    stop_loss = DecimalField(required=False, allow_null=True)
    client_order_id = serializers.CharField(max_length=64, required=False, allow_blank=False)
    strategy = serializers.CharField(max_length=100, required=False, allow_blank=True)
    signal = serializers.CharField(max_length=100, required=False, allow_null=True)
    account = serializers.CharField(required=False)

    def validate_symbol(self, value: str) -> str:
        return value.upper()


class OrderModifySerializer(serializers.Serializer):
    quantity = DecimalField(required=False)
    limit_price = DecimalField(required=False)
    stop_price = DecimalField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                {"quantity": ["Give at least one of quantity, limit_price, stop_price."]}
            )
        return attrs


class OrderQuerySerializer(TimeRangeQuerySerializer):
    status = CaseInsensitiveChoiceField(choices=OrderStatus.choices, required=False)
    symbol = serializers.CharField(required=False)
    side = CaseInsensitiveChoiceField(choices=OrderSide.choices, required=False)


class OrderCancelAllQuerySerializer(QuerySerializer):
    symbol = serializers.CharField(required=False, help_text="Only this symbol's orders.")


class FillQuerySerializer(OrderQuerySerializer):
    # Not filters of fills: None removes the fields DRF would inherit.
    status = None  # type: ignore[assignment]
    side = None  # type: ignore[assignment]
    order = IdField(required=False)


class ViolationSerializer(serializers.Serializer):
    rule = serializers.CharField()
    limit = serializers.CharField(allow_null=True)
    value = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class OrderPreviewResultSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=["accepted", "rejected"])
    violations = ViolationSerializer(many=True)
    symbol = serializers.CharField()
    currency = serializers.CharField()
    estimated_price = DecimalOutputField()
    notional = DecimalOutputField()
    fee = DecimalOutputField()
    locked_amount = DecimalOutputField()
    protection_price = DecimalOutputField()
    available = DecimalOutputField()


def _entry_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in data.items() if name != "account"}


class OrderListView(ApiView):
    """GET /orders (filters), POST /orders (place), DELETE /orders?symbol= (cancel all, 207)."""

    pagination_class = CursorPagination  # the schema's envelope; `get` pages by hand

    @extend_schema(
        operation_id="orders_list",
        parameters=[OrderQuerySerializer],
        responses=OrderSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        query = query_validated(OrderQuerySerializer, request.query_params)
        orders = selectors.order_list(
            account_ids=[account.pk],
            status=query.get("status"),
            symbol=query.get("symbol"),
            side=query.get("side"),
            created_from=query.get("from"),
            created_to=query.get("to"),
        )
        paginator = CursorPagination()
        page = paginator.paginate_queryset(orders, request, view=self)
        return paginator.get_paginated_response(OrderSerializer(page, many=True).data)

    @extend_schema(
        request=OrderInputSerializer, responses={201: OrderSerializer, **errors(409, 422, 503)}
    )
    def post(self, request: Request) -> Response:
        account = account_resolve(request)
        data = query_validated(OrderInputSerializer, request.data)
        order = services.order_submit(account=account, **_entry_kwargs(data))
        return Response(order_representation(order), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="orders_cancel_all",
        parameters=[OrderCancelAllQuerySerializer],
        responses={207: CancelResultSerializer(many=True)},
    )
    def delete(self, request: Request) -> Response:
        account = account_resolve(request)
        query = query_validated(OrderCancelAllQuerySerializer, request.query_params)
        results = services.order_cancel_all(
            account=account,
            symbol=query.get("symbol"),
            reason="cancel all by client",
        )
        return Response(results, status=status.HTTP_207_MULTI_STATUS)


class OrderPreviewView(ApiView):
    """POST /orders/preview: the verdict and costs of an order, placing nothing."""

    rate_class = "data"

    @extend_schema(
        request=OrderInputSerializer, responses={200: OrderPreviewResultSerializer, **errors(503)}
    )
    def post(self, request: Request) -> Response:
        account = account_resolve(request)
        data = query_validated(OrderInputSerializer, request.data)
        return Response(jsonable(services.order_preview(account=account, **_entry_kwargs(data))))


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The order\'s `version` (also `W/"3"`): 412 VERSION_MISMATCH when it moved on.',
    # Exactly what `_if_match` reads: `*` or empty (no check), else a version number.
    pattern=r'^(\*|\s*(W/)?"*[0-9]{1,18}"*\s*)?$',
)


def _if_match(request: Request) -> int | None:
    raw = request.headers.get("If-Match")
    if raw in (None, "", "*"):
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise OrderValidationError({"If-Match": ["Must be the order's version number."]})
    return int(text)


class OrderDetailView(ApiView):
    """GET /orders/{id} (with fills and events), PATCH (modify, If-Match), DELETE (cancel)."""

    @extend_schema(responses=OrderDetailSerializer)
    def get(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get(order_id=order_id, account_ids=account_ids_for(request))
        return Response(OrderDetailSerializer(order).data)

    @extend_schema(
        request=OrderModifySerializer,
        parameters=[IF_MATCH],
        responses={200: OrderSerializer, **errors(409, 412, 422)},
    )
    def patch(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get(order_id=order_id, account_ids=account_ids_for(request))
        data = query_validated(OrderModifySerializer, request.data)
        order = services.order_modify(
            order_id=order.pk, expected_version=_if_match(request), **data
        )
        return Response(order_representation(order), headers={"ETag": str(order.version)})

    @extend_schema(responses={200: OrderSerializer, **errors(409)})
    def delete(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get(order_id=order_id, account_ids=account_ids_for(request))
        order = services.order_cancel(order_id=order.pk, reason="canceled by client")
        return Response(order_representation(order))


class OrderByClientIdView(ApiView):
    """GET /orders/by-client-id/{client_order_id}."""

    @extend_schema(responses=OrderDetailSerializer)
    def get(self, request: Request, client_order_id: str) -> Response:
        account = account_resolve(request)
        order = selectors.order_get_by_client_id(
            client_order_id=client_order_id, account_ids=[account.pk]
        )
        return Response(OrderDetailSerializer(order).data)


class FillListView(ApiView):
    """GET /fills?order=&symbol=&from=&to=."""

    pagination_class = CursorPagination  # the schema's envelope; `get` pages by hand

    @extend_schema(parameters=[FillQuerySerializer], responses=FillSerializer(many=True))
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        query = query_validated(FillQuerySerializer, request.query_params)
        fills = selectors.fill_list(
            account_ids=[account.pk],
            order_id=query.get("order"),
            symbol=query.get("symbol"),
            executed_from=query.get("from"),
            executed_to=query.get("to"),
        )
        paginator: BasePagination = CursorPagination()
        page = paginator.paginate_queryset(fills, request, view=self)
        return paginator.get_paginated_response(FillSerializer(page, many=True).data)


class PositionListView(ApiView):
    """GET /positions (open positions marked to market); DELETE /positions closes all (207)."""

    @extend_schema(
        operation_id="positions_list",
        responses=inline_serializer(
            "PositionList", fields={"results": PositionSerializer(many=True)}
        ),
    )
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        positions = position_open_list(account_id=account.pk)
        return Response({"results": [position_representation(p) for p in positions]})

    @extend_schema(
        operation_id="positions_close_all",
        responses={207: PositionCloseResultSerializer(many=True)},
    )
    def delete(self, request: Request) -> Response:
        account = account_resolve(request)
        results = position_close_all(account=account, reason="close all by client")
        return Response(jsonable(results), status=status.HTTP_207_MULTI_STATUS)


class PositionDetailView(ApiView):
    """GET /positions/{symbol}; DELETE closes it with a market order (201 with the order)."""

    @extend_schema(responses=PositionSerializer)
    def get(self, request: Request, symbol: str) -> Response:
        account = account_resolve(request)
        position = position_open_get(account_id=account.pk, symbol=symbol)
        return Response(position_representation(position))

    @extend_schema(responses={201: OrderSerializer, **errors(409, 422, 503)})
    def delete(self, request: Request, symbol: str) -> Response:
        account = account_resolve(request)
        order = position_close(account=account, symbol=symbol, reason="close by client")
        return Response(order_representation(order), status=status.HTTP_201_CREATED)
