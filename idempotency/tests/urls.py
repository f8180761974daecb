"""Views for infrastructure tests: every one goes through the real middleware and DRF hooks."""

import threading

from django.urls import include, path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import audit_record
from trading_api.urls import urlpatterns as project_urlpatterns

# Set by a test to let a held request finish (the in-flight test holds one on purpose).
release_held = threading.Event()


class EffectView(APIView):
    """Each executed call leaves one "test.effect" audit row: the effect the tests count."""

    required_scope = "trade"
    rate_class = None

    def _effect(self, request, status: int):
        if request.data.get("hold"):
            release_held.wait(timeout=30)
        entry = audit_record(
            action="test.effect",
            object_type="effect",
            object_id=request.data.get("name"),
            after={"name": request.data.get("name")},
        )
        return Response({"effect_id": entry.id, "echo": request.data}, status=status)

    def post(self, request):
        return self._effect(request, 201)

    def put(self, request):
        return self._effect(request, 200)

    def patch(self, request):
        return self._effect(request, 200)

    def delete(self, request):
        return self._effect(request, 200)


class _NameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=5)


class ValidatedView(APIView):
    """Answers 400 for a long name, else leaves an effect."""

    required_scope = "trade"
    rate_class = None

    def post(self, request):
        serializer = _NameSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = audit_record(action="test.effect", object_type="effect", object_id=None)
        return Response({"effect_id": entry.id}, status=201)


class BrokenView(APIView):
    """Fails with an unexpected exception (a 500)."""

    required_scope = "trade"
    rate_class = None

    def post(self, request):
        raise RuntimeError("the venue is on fire")


class DataView(APIView):
    required_scope = "read"
    rate_class = "data"

    def get(self, request):
        return Response({"ok": True})


class TradingView(APIView):
    required_scope = "trade"
    rate_class = "trading"

    def post(self, request):
        return Response({"ok": True}, status=201)


class DefaultClassView(APIView):
    """Declares no rate class: reads count as data, writes as trading."""

    required_scope = {"GET": "read", "POST": "trade"}

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True}, status=201)


test_patterns = [
    path("effects", EffectView.as_view()),
    path("validated", ValidatedView.as_view()),
    path("broken", BrokenView.as_view()),
    path("data", DataView.as_view()),
    path("trading", TradingView.as_view()),
    path("default-class", DefaultClassView.as_view()),
]

urlpatterns = [path("api/test/", include(test_patterns)), *project_urlpatterns]
