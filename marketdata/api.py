"""Market-data endpoints: instruments, quotes, candles and order books (read scope, data rate)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api.fields import AwareDateTimeField, CaseInsensitiveChoiceField, QuerySerializer
from kernel.api.pagination import CursorPagination
from kernel.api.schema import errors
from kernel.decimals import decimal_text
from kernel.serializers import DecimalOutputField
from marketdata import selectors
from marketdata.enums import AssetClass, CandleInterval, InstrumentStatus
from marketdata.models import Instrument

CANDLE_LIMIT_DEFAULT = 500
CANDLE_LIMIT_MAX = 1000
ORDERBOOK_DEPTH_DEFAULT = 10
ORDERBOOK_DEPTH_MAX = 50
QUOTES_SYMBOLS_MAX = 100


class InstrumentSerializer(serializers.ModelSerializer):
    tick_size = DecimalOutputField()
    lot_size = DecimalOutputField()
    min_quantity = DecimalOutputField()

    class Meta:
        model = Instrument
        fields = [
            "symbol",
            "name",
            "asset_class",
            "currency",
            "tick_size",
            "lot_size",
            "min_quantity",
            "status",
        ]


class InstrumentQuerySerializer(QuerySerializer):
    asset_class = CaseInsensitiveChoiceField(choices=AssetClass.choices, required=False)
    status = CaseInsensitiveChoiceField(choices=InstrumentStatus.choices, required=False)


class CandleQuerySerializer(QuerySerializer):
    interval = CaseInsensitiveChoiceField(choices=CandleInterval.choices, default="1m")
    limit = serializers.IntegerField(
        min_value=1, max_value=CANDLE_LIMIT_MAX, default=CANDLE_LIMIT_DEFAULT
    )

    def get_fields(self):
        # `from` is a Python keyword, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["from"] = AwareDateTimeField(required=False)
        fields["to"] = AwareDateTimeField(required=False)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": ["Must not be after `to`."]})
        return attrs


class OrderBookQuerySerializer(QuerySerializer):
    depth = serializers.IntegerField(
        min_value=1, max_value=ORDERBOOK_DEPTH_MAX, default=ORDERBOOK_DEPTH_DEFAULT
    )


class QuotesQuerySerializer(serializers.Serializer):
    symbols = serializers.CharField(required=False)

    def validate_symbols(self, value: str) -> list[str]:
        symbols = [part.strip() for part in value.split(",") if part.strip()]
        if not symbols:
            raise serializers.ValidationError("Give at least one symbol.")
        if len(symbols) > QUOTES_SYMBOLS_MAX:
            raise serializers.ValidationError(f"At most {QUOTES_SYMBOLS_MAX} symbols.")
        return symbols

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # DRF drops a blank optional query parameter; `?symbols=` is a mistake, not "all".
        if "symbols" in self.initial_data and "symbols" not in attrs:
            raise serializers.ValidationError({"symbols": ["Give at least one symbol."]})
        return attrs


class QuoteSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    bid = DecimalOutputField()
    ask = DecimalOutputField()
    bid_size = DecimalOutputField()
    ask_size = DecimalOutputField()
    last = DecimalOutputField()
    volume = DecimalOutputField()
    timestamp = serializers.DateTimeField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source


class QuoteListSerializer(serializers.Serializer):
    results = QuoteSerializer(many=True)
    unavailable = serializers.ListField(
        child=serializers.CharField(), help_text="Symbols without a live quote."
    )


class CandleSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField(help_text="The bucket's start.")
    open = DecimalOutputField()
    high = DecimalOutputField()
    low = DecimalOutputField()
    close = DecimalOutputField()
    volume = DecimalOutputField()


class CandleListSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    interval = serializers.ChoiceField(choices=CandleInterval.choices)
    results = CandleSerializer(many=True)


class BookLevelSerializer(serializers.Serializer):
    price = DecimalOutputField()
    size = DecimalOutputField()
    count = serializers.IntegerField()


class OrderBookSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    bids = BookLevelSerializer(many=True, help_text="Best (highest) first.")
    asks = BookLevelSerializer(many=True, help_text="Best (lowest) first.")
    timestamp = serializers.DateTimeField()
    source = serializers.CharField()  # type: ignore[assignment]


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class MarketDataView(APIView):
    required_scope = "read"
    rate_class = "data"


class InstrumentPagination(CursorPagination):
    ordering = "symbol"


class InstrumentListView(generics.ListAPIView):
    """GET /instruments?asset_class=&status= — by symbol, cursor-paginated."""

    required_scope = "read"
    rate_class = "data"
    serializer_class = InstrumentSerializer
    pagination_class = InstrumentPagination

    @extend_schema(parameters=[InstrumentQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.instrument_list(**_query(InstrumentQuerySerializer, self.request))


class InstrumentDetailView(MarketDataView):
    @extend_schema(responses=InstrumentSerializer)
    def get(self, request: Request, symbol: str) -> Response:
        instrument = selectors.instrument_get(symbol=symbol)
        return Response(InstrumentSerializer(instrument).data)


class QuoteDetailView(MarketDataView):
    """The latest quote from the live feed; 503 when the feed has not quoted the symbol lately."""

    @extend_schema(responses={200: QuoteSerializer, **errors(503)})
    def get(self, request: Request, symbol: str) -> Response:
        return Response(selectors.quote_get(symbol=symbol))


class QuoteListView(MarketDataView):
    """Latest quotes of `symbols` (default: every trading instrument); `unavailable` lists those
    without a live quote."""

    @extend_schema(
        operation_id="quotes_list",
        parameters=[QuotesQuerySerializer],
        responses=QuoteListSerializer,
    )
    def get(self, request: Request) -> Response:
        query = _query(QuotesQuerySerializer, request)
        quotes, missing = selectors.quote_list(symbols=query.get("symbols"))
        return Response({"results": quotes, "unavailable": missing})


class CandleListView(MarketDataView):
    """OHLCV rows oldest first: the first `limit` from `from`, else the last `limit` up to `to`."""

    @extend_schema(parameters=[CandleQuerySerializer], responses=CandleListSerializer)
    def get(self, request: Request, symbol: str) -> Response:
        instrument = selectors.instrument_get(symbol=symbol)
        query = _query(CandleQuerySerializer, request)
        rows = selectors.candle_list(
            instrument=instrument,
            interval=query["interval"],
            start=query.get("from"),
            end=query.get("to"),
            limit=query["limit"],
        )
        results = [
            {
                **row,
                **{name: decimal_text(row[name]) for name in ("open", "high", "low", "close")},
                "volume": decimal_text(row["volume"]),
            }
            for row in rows
        ]
        return Response(
            {"symbol": instrument.symbol, "interval": query["interval"], "results": results}
        )


class OrderBookView(MarketDataView):
    """Bids descending and asks ascending, `[{price, size, count}]`, from the live feed."""

    @extend_schema(
        parameters=[OrderBookQuerySerializer], responses={200: OrderBookSerializer, **errors(503)}
    )
    def get(self, request: Request, symbol: str) -> Response:
        depth = _query(OrderBookQuerySerializer, request)["depth"]
        return Response(selectors.orderbook_get(symbol=symbol, depth=depth))
