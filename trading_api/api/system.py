"""System endpoints: /health (public) and /status."""

from datetime import UTC, datetime

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

import trading_api
from access.selectors import account_resolve
from control.selectors import account_trading_overview
from kernel.api.errors import error_body
from kernel.api.schema import errors
from kernel.errors import ApplicationError
from trading_api import health


class HealthView(APIView):
    """Liveness for load balancers: 200 while the database answers, else 503."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Load balancers poll it; a probe must never be refused for its rate.
    rate_class = None

    @extend_schema(
        responses={
            200: inline_serializer(
                "Health",
                {
                    "status": serializers.ChoiceField(["ok", "degraded"]),
                    "checks": inline_serializer(
                        "HealthChecks",
                        {
                            "database": serializers.ChoiceField(["up"]),
                            "cache": serializers.ChoiceField(["up", "down"]),
                        },
                    ),
                },
            ),
            **errors(503),
        },
        auth=[],
    )
    def get(self, request):
        if health.database_check() != health.UP:
            body = error_body("SERVICE_UNAVAILABLE", "Database unreachable", {"database": "down"})
            return Response(body, status=503)
        # Alive without the cache (reads, cancels and the kill switch work): 200, "degraded".
        cache = health.cache_check()
        return Response(
            {
                "status": "ok" if cache == health.UP else "degraded",
                "checks": {"database": health.UP, "cache": cache},
            }
        )


def _timestamp(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, tz=UTC) if epoch else None


class EngineStatusSerializer(serializers.Serializer):
    state = serializers.CharField(help_text="running or down (from the engine's heartbeat)")
    started_at = serializers.DateTimeField(allow_null=True)
    uptime_s = serializers.FloatField(allow_null=True)
    pid = serializers.IntegerField(allow_null=True)
    host = serializers.CharField(allow_null=True)


class ConnectionsSerializer(serializers.Serializer):
    database = serializers.CharField()
    cache = serializers.CharField()
    channel_layer = serializers.CharField()
    broker = serializers.CharField()
    workers = inline_serializer(
        "WorkersStatus",
        {"state": serializers.CharField(), "count": serializers.IntegerField()},
    )
    market_data = serializers.CharField()


class StatusSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=["embedded", "services"])
    version = serializers.CharField()
    engine = EngineStatusSerializer()
    connections = ConnectionsSerializer()


class StatusView(APIView):
    """Engine state, run mode, version and a real check of every connection."""

    required_scope = "read"

    @extend_schema(responses=StatusSerializer)
    def get(self, request):
        from django.conf import settings

        engine = health.engine_check()
        broker = health.broker_check()
        market_data = engine.get("components", {}).get("market_data", {}).get("state", "down")
        try:
            account = account_resolve(request)
        except ApplicationError:
            # Several accounts and none named (or none at all): the system part still answers.
            trading: dict = {
                "account": None,
                "trading_state": None,
                "open_orders": None,
                "open_positions": None,
                "dd_zone": None,
            }
        else:
            trading = {"account": account.pk, **account_trading_overview(account_id=account.pk)}
        return Response(
            {
                "mode": settings.RUN_MODE,
                **trading,
                "version": trading_api.__version__,
                "engine": {
                    "state": engine["state"],
                    "started_at": _timestamp(engine["started_at"]),
                    "uptime_s": engine["uptime_s"],
                    "pid": engine["pid"],
                    "host": engine["host"],
                },
                "connections": {
                    "database": health.database_check(),
                    "cache": health.cache_check(),
                    "channel_layer": health.channel_layer_check(),
                    "broker": broker["broker"],
                    "workers": broker["workers"],
                    "market_data": market_data if engine["state"] == "running" else "down",
                },
            }
        )
