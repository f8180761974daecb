"""Test-only routes that raise each kind of error, to check the API's error shape."""

from django.contrib.auth.models import Group
from django.urls import include, path
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.errors import ConflictError
from kernel.serializers import DecimalField


class _EchoSerializer(serializers.Serializer):
    price = DecimalField()
    quantity = DecimalField()
    legs = serializers.ListField(child=serializers.DictField(), required=False)


class EchoView(APIView):
    """Echoes the parsed body with the Python type of each value."""

    permission_classes = [AllowAny]
    required_scope = "read"

    def post(self, request):
        serializer = _EchoSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        raw_types = {key: type(value).__name__ for key, value in request.data.items()}
        return Response({"validated": serializer.validated_data, "raw_types": raw_types})


class BoomView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret internals that must not leak")


class ConflictView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise ConflictError("Already done", details={"id": 7})


class _GroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["id", "name"]


class GroupListView(ListAPIView):
    permission_classes = [AllowAny]
    queryset = Group.objects.all()
    serializer_class = _GroupSerializer


api = [
    path("echo", EchoView.as_view()),
    path("boom", BoomView.as_view()),
    path("conflict", ConflictView.as_view()),
    path("groups", GroupListView.as_view()),
]

urlpatterns = [path("api/v1/test/", include(api)), path("", include("trading_api.urls"))]
