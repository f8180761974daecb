"""Order and fill endpoints: entry, preview, lifecycle, lists (thin views over services)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.selectors import account_ids_for, account_resolve
from kernel.decimals import decimals_as_text
from kernel.serializers import DecimalField, DecimalOutputField
from marketdata.api import CaseInsensitiveChoiceField
from orders import selectors, services
from orders.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from orders.errors import OrderValidationError
from orders.models import Fill, Order, OrderEvent
from trading_api.api.pagination import CursorPagination


def plain(value: Any) -> Any:
    """Return `value` with every Decimal as its one text form (lists and dicts too)."""
    return decimals_as_text(value)


class FillSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    quantity = DecimalOutputField()
    price = DecimalOutputField()
    fee = DecimalOutputField()

    class Meta:
        model = Fill
        fields = [
            "id",
            "order_id",
            "symbol",
            "side",
            "quantity",
            "price",
            "fee",
            "fee_currency",
            "liquidity",
            "executed_at",
            "venue_exec_id",
        ]


class OrderEventSerializer(serializers.ModelSerializer):
    status_before = serializers.CharField(read_only=True)
    status_after = serializers.CharField(read_only=True)
    quantity = DecimalOutputField()
    price = DecimalOutputField()

    class Meta:
        model = OrderEvent
        fields = [
            "id",
            "type",
            "status_before",
            "status_after",
            "quantity",
            "price",
            "data",
            "created_at",
        ]


class OrderSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    account = serializers.IntegerField(source="account_id", read_only=True)
    quantity = DecimalOutputField()
    filled_quantity = DecimalOutputField()
    remaining_quantity = DecimalOutputField()
    limit_price = DecimalOutputField()
    stop_price = DecimalOutputField()
    average_fill_price = DecimalOutputField()
    stop_loss = DecimalOutputField()
    locked_amount = DecimalOutputField()

    class Meta:
        model = Order
        fields = [
            "id",
            "client_order_id",
            "account",
            "symbol",
            "side",
            "order_type",
            "time_in_force",
            "quantity",
            "filled_quantity",
            "remaining_quantity",
            "limit_price",
            "stop_price",
            "expire_at",
            "average_fill_price",
            "status",
            "reject_code",
            "reject_reason",
            "stop_loss",
            "strategy",
            "signal",
            "version",
            "locked_amount",
            "triggered_at",
            "created_at",
            "updated_at",
        ]


class OrderDetailSerializer(OrderSerializer):
    fills = FillSerializer(many=True, read_only=True)
    events = OrderEventSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "fills", "events"]


class OrderInputSerializer(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    side = CaseInsensitiveChoiceField(choices=OrderSide.choices)
    order_type = CaseInsensitiveChoiceField(choices=OrderType.choices, default=OrderType.MARKET)
    time_in_force = CaseInsensitiveChoiceField(choices=TimeInForce.choices, default="gtc")
    quantity = DecimalField()
    limit_price = DecimalField(required=False, allow_null=True)
    stop_price = DecimalField(required=False, allow_null=True)
    expire_at = serializers.DateTimeField(required=False, allow_null=True)
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


class OrderQuerySerializer(serializers.Serializer):
    status = CaseInsensitiveChoiceField(choices=OrderStatus.choices, required=False)
    symbol = serializers.CharField(required=False)
    side = CaseInsensitiveChoiceField(choices=OrderSide.choices, required=False)

    def get_fields(self):
        # `from` is a Python keyword, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField(required=False)
        fields["to"] = serializers.DateTimeField(required=False)
        return fields


class FillQuerySerializer(OrderQuerySerializer):
    status = None
    side = None
    order = serializers.IntegerField(required=False, min_value=1)


def _query(serializer_class, data) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _entry_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in data.items() if name != "account"}


class TradingView(APIView):
    """Reads are `read`/data-rate; writes are `trade`/trading-rate."""

    required_scope = {"GET": "read", "POST": "trade", "PATCH": "trade", "DELETE": "trade"}

    @property
    def rate_class(self) -> str:
        request = getattr(self, "request", None)
        return "data" if request is None or request.method == "GET" else "trading"


class OrderListView(TradingView):
    """GET /orders (filters), POST /orders (place), DELETE /orders?symbol= (cancel all, 207)."""

    @extend_schema(
        operation_id="orders_list",
        parameters=[OrderQuerySerializer],
        responses=OrderSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        query = _query(OrderQuerySerializer, request.query_params)
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

    @extend_schema(request=OrderInputSerializer, responses={201: OrderSerializer})
    def post(self, request: Request) -> Response:
        account = account_resolve(request)
        data = _query(OrderInputSerializer, request.data)
        order = services.order_submit(account=account, **_entry_kwargs(data))
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(operation_id="orders_cancel_all", responses={207: OpenApiTypes.OBJECT})
    def delete(self, request: Request) -> Response:
        account = account_resolve(request)
        results = services.order_cancel_all(
            account=account,
            symbol=request.query_params.get("symbol") or None,
            reason="cancel all by client",
        )
        return Response(results, status=status.HTTP_207_MULTI_STATUS)


class OrderPreviewView(TradingView):
    """POST /orders/preview: the verdict and costs of an order, placing nothing."""

    rate_class = "data"

    @extend_schema(request=OrderInputSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        account = account_resolve(request)
        data = _query(OrderInputSerializer, request.data)
        return Response(plain(services.order_preview(account=account, **_entry_kwargs(data))))


def _if_match(request: Request) -> int | None:
    raw = request.headers.get("If-Match")
    if raw in (None, "", "*"):
        return None
    try:
        return int(raw.strip().strip('W/"').strip('"'))
    except ValueError:
        raise OrderValidationError({"If-Match": ["Must be the order's version number."]}) from None


class OrderDetailView(TradingView):
    """GET /orders/{id} (with fills and events), PATCH (modify, If-Match), DELETE (cancel)."""

    @extend_schema(responses=OrderDetailSerializer)
    def get(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get(order_id=order_id, account_ids=account_ids_for(request))
        return Response(OrderDetailSerializer(order).data)

    @extend_schema(request=OrderModifySerializer, responses=OrderSerializer)
    def patch(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get(order_id=order_id, account_ids=account_ids_for(request))
        data = _query(OrderModifySerializer, request.data)
        order = services.order_modify(
            order_id=order.pk, expected_version=_if_match(request), **data
        )
        return Response(OrderSerializer(order).data, headers={"ETag": str(order.version)})

    @extend_schema(responses=OrderSerializer)
    def delete(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get(order_id=order_id, account_ids=account_ids_for(request))
        order = services.order_cancel(order_id=order.pk, reason="canceled by client")
        return Response(OrderSerializer(order).data)


class OrderByClientIdView(TradingView):
    """GET /orders/by-client-id/{client_order_id}."""

    @extend_schema(responses=OrderDetailSerializer)
    def get(self, request: Request, client_order_id: str) -> Response:
        account = account_resolve(request)
        order = selectors.order_get_by_client_id(
            client_order_id=client_order_id, account_ids=[account.pk]
        )
        return Response(OrderDetailSerializer(order).data)


class FillListView(TradingView):
    """GET /fills?order=&symbol=&from=&to=."""

    @extend_schema(parameters=[FillQuerySerializer], responses=FillSerializer(many=True))
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        query = _query(FillQuerySerializer, request.query_params)
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
