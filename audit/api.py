"""Admin-only endpoints: list the audit trail with filters, verify its hash chain."""

import dataclasses

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import AuditEntry
from audit.selectors import audit_entry_list
from audit.services import audit_chain_verify
from kernel.api.fields import TimeRangeQuerySerializer
from kernel.api.views import query_validated


class AuditEntrySerializer(serializers.ModelSerializer):
    timestamp = serializers.DateTimeField(source="created_at")
    actor = serializers.CharField(source="actor_username")

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "seq",
            "timestamp",
            "kind",
            "action",
            "object_type",
            "object_id",
            "account_id",
            "actor",
            "actor_id",
            "credential",
            "method",
            "path",
            "status_code",
            "ip",
            "request_id",
            "params",
            "duration_ms",
            "before",
            "after",
            "prev_hash",
            "hash",
        ]


class AuditQuerySerializer(TimeRangeQuerySerializer):
    actor = serializers.CharField(required=False, max_length=150, help_text="Username or user id")
    action = serializers.CharField(required=False, max_length=100)
    object = serializers.CharField(required=False, max_length=200, help_text='"type" or "type:id"')


class AuditListView(ListAPIView):
    """Every API call and state change, newest first, filtered by actor, action, object and time."""

    required_scope = "admin"
    rate_class = "data"
    serializer_class = AuditEntrySerializer

    @extend_schema(parameters=[AuditQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = query_validated(AuditQuerySerializer, self.request.query_params)
        return audit_entry_list(
            actor=params.get("actor") or None,
            action=params.get("action") or None,
            object_ref=params.get("object") or None,
            time_from=params.get("from"),
            time_to=params.get("to"),
        )


class AuditVerifyView(APIView):
    """Walks the hash chain: intact, or the first broken row and why."""

    required_scope = "admin"
    rate_class = "data"

    @extend_schema(
        responses=inline_serializer(
            "AuditVerification",
            {
                "intact": serializers.BooleanField(),
                "checked": serializers.IntegerField(),
                "first_broken_id": serializers.IntegerField(allow_null=True),
                "reason": serializers.CharField(),
            },
        )
    )
    def get(self, request):
        return Response(dataclasses.asdict(audit_chain_verify()))
