"""Operation endpoints: list, detail, metrics, cancel (thin views over services and selectors)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.selectors import account_ids_for, account_resolve
from kernel.api.fields import (
    AwareDateTimeField,
    CaseInsensitiveChoiceField,
    IdField,
    QuerySerializer,
)
from kernel.api.pagination import CursorPagination
from kernel.api.schema import errors
from operations import selectors, services
from operations.enums import OperationStatus
from operations.payloads import operation_payload, progress_payload


class OperationQuerySerializer(QuerySerializer):
    status = CaseInsensitiveChoiceField(choices=OperationStatus.choices, required=False)
    type = serializers.CharField(required=False, max_length=64)

    def get_fields(self):
        # `from` is a Python keyword, and `parent` a Field attribute: neither can be declared as
        # a class attribute.
        fields = super().get_fields()
        fields["parent"] = IdField(required=False)
        fields["from"] = AwareDateTimeField(required=False)
        fields["to"] = AwareDateTimeField(required=False)
        return fields


class ProgressSerializer(serializers.Serializer):
    percentage = serializers.CharField(help_text="Two places, rounded down: 100 means done.")
    phase = serializers.CharField(allow_blank=True)
    items_done = serializers.IntegerField()
    items_total = serializers.IntegerField(allow_null=True)


class OperationSerializer(serializers.Serializer):
    """What `operation_payload` gives (the one representation of an operation)."""

    id = serializers.IntegerField()
    type = serializers.CharField()
    status = serializers.ChoiceField(choices=OperationStatus.choices)
    account = serializers.IntegerField(allow_null=True)
    parent = serializers.IntegerField(allow_null=True)  # type: ignore[assignment]
    progress = ProgressSerializer()
    error = serializers.JSONField(allow_null=True)
    result = serializers.JSONField(allow_null=True)
    worker = serializers.CharField(allow_blank=True)
    attempts = serializers.IntegerField()
    cancel_requested_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    heartbeat_at = serializers.DateTimeField(allow_null=True)


class OperationMetricsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    status = serializers.ChoiceField(choices=OperationStatus.choices)
    progress = ProgressSerializer()
    metrics = serializers.DictField(help_text="The job's own figures.")


def _query(serializer_class, data) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class OperationView(APIView):
    """Reads are `read`/data-rate; cancel is `trade`/trading-rate."""

    required_scope = {"GET": "read", "POST": "trade", "DELETE": "trade"}

    @property
    def rate_class(self) -> str:
        request = getattr(self, "request", None)
        return "data" if request is None or request.method == "GET" else "trading"


class OperationListView(OperationView):
    """GET /operations?status=&type=&parent=&from=&to= (newest first, cursor pages)."""

    pagination_class = CursorPagination  # the schema's envelope; `get` pages by hand

    @extend_schema(
        operation_id="operations_list",
        parameters=[OperationQuerySerializer],
        responses=OperationSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        account = account_resolve(request)
        query = _query(OperationQuerySerializer, request.query_params)
        operations = selectors.operation_list(
            account_ids=[account.pk],
            status=query.get("status"),
            type=query.get("type"),
            parent_id=query.get("parent"),
            created_from=query.get("from"),
            created_to=query.get("to"),
        )
        paginator = CursorPagination()
        page = paginator.paginate_queryset(operations, request, view=self) or []
        return paginator.get_paginated_response([operation_payload(op) for op in page])


class OperationDetailView(OperationView):
    """GET /operations/{id}."""

    @extend_schema(responses=OperationSerializer)
    def get(self, request: Request, operation_id: str) -> Response:
        operation = selectors.operation_get(
            operation_id=operation_id, account_ids=account_ids_for(request)
        )
        return Response(operation_payload(operation))


class OperationMetricsView(OperationView):
    """GET /operations/{id}/metrics: the job's own figures, partial while it runs."""

    @extend_schema(responses=OperationMetricsSerializer)
    def get(self, request: Request, operation_id: str) -> Response:
        operation = selectors.operation_get(
            operation_id=operation_id, account_ids=account_ids_for(request)
        )
        return Response(
            {
                "id": operation.pk,
                "type": operation.type,
                "status": operation.status,
                "progress": progress_payload(operation),
                "metrics": operation.metrics,
            }
        )


class OperationCancelView(OperationView):
    """DELETE /operations/{id}/cancel (POST is an alias).

    200 with the operation when it is cancelled (it was pending); 202 when it runs and will stop
    at its next checkpoint; 409 OPERATION_NOT_CANCELABLE when it has finished. The status code
    says what the call did: a running operation whose stop was requested gets 202 even when it
    has already stopped by the time the reply is written (its body then shows `cancelled`).
    """

    @extend_schema(
        operation_id="operations_cancel",
        responses={200: OperationSerializer, 202: OperationSerializer, **errors(409)},
    )
    def delete(self, request: Request, operation_id: str) -> Response:
        operation = selectors.operation_get(
            operation_id=operation_id, account_ids=account_ids_for(request)
        )
        operation = services.operation_cancel(operation_id=operation.pk)
        # Only a running operation gets a stop request; a pending one is cancelled at once.
        requested = operation.cancel_requested_at is not None
        code = status.HTTP_202_ACCEPTED if requested else status.HTTP_200_OK
        return Response(operation_payload(operation), status=code)

    @extend_schema(
        operation_id="operations_cancel_post",
        request=None,
        responses={200: OperationSerializer, 202: OperationSerializer, **errors(409)},
    )
    def post(self, request: Request, operation_id: str) -> Response:
        return self.delete(request, operation_id)
