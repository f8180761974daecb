"""The API's base view: the scope and rate class of each method, and validated queries."""

from typing import Any

from rest_framework import serializers
from rest_framework.views import APIView


def query_validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """Return `data` (a query dict or a body) validated by `serializer_class`.

    Raises DRF's ValidationError (400 VALIDATION_ERROR naming the fields) otherwise.
    """
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ApiView(APIView):
    """Reads need `read_scope` and count as `data`; writes need `write_scope` and count as
    `write_rate_class`. Subclasses set the three, or `required_scope`/`rate_class` outright."""

    read_scope = "read"
    write_scope = "trade"
    write_rate_class = "trading"

    @property
    def required_scope(self) -> dict[str, str]:
        return {
            "GET": self.read_scope,
            "HEAD": self.read_scope,
            "OPTIONS": self.read_scope,
            "POST": self.write_scope,
            "PUT": self.write_scope,
            "PATCH": self.write_scope,
            "DELETE": self.write_scope,
        }

    @property
    def rate_class(self) -> str:
        request = getattr(self, "request", None)
        if request is None or request.method in ("GET", "HEAD", "OPTIONS"):
            return "data"
        return self.write_rate_class
