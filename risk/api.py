"""Endpoints: /config, /config/risk, /risk, /risk/overrides, /trading and its controls."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from access.enums import Scope
from access.selectors import account_ids_for, account_resolve
from kernel.api.fields import AwareDateTimeField
from risk import selectors, services
from risk.enums import OverrideKind, OverrideStatus
from risk.representations import RiskOverrideSerializer

# --- /config --------------------------------------------------------------------------------


def _venue_payload() -> dict:
    return {
        "market_data_source": settings.MARKET_DATA_SOURCE,
        "tick_interval_s": str(settings.MARKET_TICK_INTERVAL_S),
        "slippage_bps": str(getattr(settings, "VENUE_SLIPPAGE_BPS", "")),
        "fees": getattr(settings, "VENUE_FEES", {}),
        "session_close_utc": getattr(settings, "VENUE_SESSION_CLOSE_UTC", ""),
    }


class ConfigView(APIView):
    """The effective, non-secret configuration of the account: risk, trading, limits, venue."""

    required_scope = Scope.READ
    rate_class = "data"

    @extend_schema(responses={200: dict})
    def get(self, request):
        account = account_resolve(request)
        config = selectors.risk_config_get(account=account)
        return Response(
            {
                "account": account.pk,
                "risk": selectors.risk_config_as_dict(config=config),
                "trading": selectors.trading_state_view(account_id=account.pk),
                "rate_limits": dict(settings.RATE_LIMITS),
                "venue": _venue_payload(),
            }
        )


class RiskConfigView(APIView):
    """PUT: partial, validated update of the risk configuration; returns the new version."""

    required_scope = {"GET": Scope.READ, "PUT": Scope.CONTROL}
    rate_class = "trading"

    @extend_schema(responses={200: dict})
    def get(self, request):
        account = account_resolve(request)
        config = selectors.risk_config_get(account=account)
        return Response(selectors.risk_config_as_dict(config=config))

    @extend_schema(request=dict, responses={200: dict})
    def put(self, request):
        account = account_resolve(request)
        changes = dict(request.data) if isinstance(request.data, Mapping) else request.data
        if isinstance(changes, dict):
            changes.pop("account", None)
        config = services.risk_config_update(account=account, changes=changes, actor=request.user)
        return Response(selectors.risk_config_as_dict(config=config))


# --- /risk ----------------------------------------------------------------------------------


class RiskOverrideCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(OverrideKind.choices)
    target = serializers.CharField(required=False, allow_blank=True, default="")
    # Text on purpose: a number, a limit or a trading state; the service validates it by kind.
    value = serializers.CharField()
    reason = serializers.CharField(max_length=500)
    expires_at = AwareDateTimeField()
    account = serializers.IntegerField(required=False)


class RiskOverrideViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Manual, time-boxed overrides. Four-eyes accounts: a different user approves; DELETE
    revokes. `?status=` and `?account=` filter the list."""

    required_scope = {
        "list": Scope.READ,
        "retrieve": Scope.READ,
        "create": Scope.CONTROL,
        "approve": Scope.CONTROL,
        "destroy": Scope.CONTROL,
    }
    serializer_class = RiskOverrideSerializer

    @property
    def rate_class(self) -> str:
        return "data" if self.request.method == "GET" else "trading"

    def get_queryset(self):
        status_filter = self.request.query_params.get("status")
        if status_filter and status_filter not in OverrideStatus.values:
            raise serializers.ValidationError({"status": [f"One of {OverrideStatus.values}."]})
        account_ids: list[int] = list(account_ids_for(self.request))
        if self.request.query_params.get("account"):
            account_ids = [account_resolve(self.request).pk]
        return selectors.risk_override_list(account_ids=account_ids, status=status_filter)

    def get_object(self):
        return selectors.risk_override_get(
            account_ids=account_ids_for(self.request), pk=self.kwargs["pk"]
        )

    @extend_schema(request=RiskOverrideCreateSerializer, responses={201: RiskOverrideSerializer})
    def create(self, request):
        serializer = RiskOverrideCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = account_resolve(request, data.get("account"))
        override = services.risk_override_create(
            account=account,
            kind=data["kind"],
            target=data["target"],
            value=data["value"],
            reason=data["reason"],
            expires_at=data["expires_at"],
            actor=request.user,
        )
        return Response(RiskOverrideSerializer(override).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: RiskOverrideSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        override = services.risk_override_approve(override=self.get_object(), actor=request.user)
        return Response(RiskOverrideSerializer(override).data)

    @extend_schema(responses={200: RiskOverrideSerializer})
    def destroy(self, request, pk=None):
        override = services.risk_override_revoke(override=self.get_object(), actor=request.user)
        return Response(RiskOverrideSerializer(override).data)
