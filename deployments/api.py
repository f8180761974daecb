"""Deployment endpoints (thin views over services and selectors)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from access.selectors import account_ids_for, account_resolve
from deployments import selectors, services
from deployments.enums import DeploymentStatus
from deployments.payloads import deployment_payload, signal_payload
from kernel.api.fields import CaseInsensitiveChoiceField, QuerySerializer
from kernel.api.pagination import CursorPagination
from kernel.api.views import ApiView, query_validated
from kernel.decimals import decimal_text
from kernel.serializers import DecimalField
from marketdata.enums import CandleInterval


class DeploymentInputSerializer(serializers.Serializer):
    symbol = serializers.CharField(max_length=32, required=False)
    symbols = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, min_length=1, max_length=50
    )
    interval = CaseInsensitiveChoiceField(choices=CandleInterval.choices, default="1m")
    parameters = serializers.DictField(required=False, default=dict)
    capital = DecimalField()
    risk_per_trade_pct = DecimalField(required=False, allow_null=True)
    stop_loss_pct = DecimalField(required=False, allow_null=True)
    account = serializers.CharField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("symbol" in attrs) == ("symbols" in attrs):
            raise serializers.ValidationError({"symbol": ["Give either symbol or symbols."]})
        return attrs


class DeploymentQuerySerializer(QuerySerializer):
    status = CaseInsensitiveChoiceField(choices=DeploymentStatus.choices, required=False)
    strategy = serializers.CharField(required=False, max_length=64)
    symbol = serializers.CharField(required=False, max_length=32)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


def _detail(deployment) -> dict[str, Any]:
    held = selectors.deployment_position(deployment=deployment)
    return {
        **deployment_payload(deployment),
        "position": decimal_text(held["filled"]),
        "working_quantity": decimal_text(held["working"]),
        "signals": [signal_payload(s) for s in selectors.deployment_signals(deployment=deployment)],
    }


class StrategyDeploymentView(ApiView):
    """POST /strategies/{name}/deployments: start the strategy on the live feed (201)."""

    @extend_schema(request=DeploymentInputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, name: str) -> Response:
        account = account_resolve(request)
        data = dict(query_validated(DeploymentInputSerializer, request.data))
        data.pop("account", None)
        symbols = data.pop("symbols", None) or [data.pop("symbol")]
        data.pop("symbol", None)
        started = [
            services.deployment_start(
                account=account, strategy=name, symbol=symbol, actor=request.user, **data
            )
            for symbol in symbols
        ]
        if len(started) == 1 and "symbols" not in request.data:
            location = reverse("deployment-detail", args=[started[0].pk], request=request)
            return Response(
                _detail(started[0]), status=status.HTTP_201_CREATED, headers={"Location": location}
            )
        return Response({"results": [_detail(d) for d in started]}, status=status.HTTP_201_CREATED)


class DeploymentListView(ApiView):
    """GET /deployments?status=&strategy=&symbol= (newest first)."""

    @extend_schema(
        operation_id="deployments_list",
        parameters=[DeploymentQuerySerializer],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        query = query_validated(DeploymentQuerySerializer, request.query_params)
        deployments = selectors.deployment_list(account_ids=[account.pk], **query)
        paginator = CursorPagination()
        page = paginator.paginate_queryset(deployments, request, view=self) or []
        return paginator.get_paginated_response([deployment_payload(d) for d in page])


class DeploymentDetailView(ApiView):
    """GET /deployments/{id}: the deployment, what it holds and its latest signals."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, deployment_id: str) -> Response:
        deployment = selectors.deployment_get(
            account_ids=account_ids_for(request), deployment_id=deployment_id
        )
        return Response(_detail(deployment))


class DeploymentActionView(ApiView):
    """POST /deployments/{id}/pause | resume | stop {reason?}."""

    deployment_action = ""
    actions = {
        "pause": services.deployment_pause,
        "resume": services.deployment_resume,
        "stop": services.deployment_stop,
    }

    @extend_schema(request=ReasonSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, deployment_id: str) -> Response:
        deployment = selectors.deployment_get(
            account_ids=account_ids_for(request), deployment_id=deployment_id
        )
        reason = query_validated(ReasonSerializer, request.data)["reason"]
        changed = self.actions[self.deployment_action](
            deployment=deployment, reason=reason, actor=request.user
        )
        return Response(_detail(changed))
