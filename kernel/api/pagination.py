"""Cursor pagination: opaque `cursor`, `limit` (default 50, max 500), {"results", "next"}."""

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination on a unique, indexed ordering: a deep page costs what the first costs."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500
    ordering = "-id"

    def get_page_size(self, request) -> int:
        """Return `limit` from the query, or the default; out-of-range values are a 400."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            limit = int(raw)
        except ValueError:
            raise ValidationError({"limit": ["Must be an integer."]}) from None
        if not 1 <= limit <= self.max_page_size:
            raise ValidationError({"limit": [f"Must be between 1 and {self.max_page_size}."]})
        return limit

    def decode_cursor(self, request):
        """Decode `cursor`; a tampered or stale cursor is a 400 naming the field."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": ["Invalid cursor."]}) from None

    def get_paginated_response(self, data) -> Response:
        """Return the page as {"results": [...], "next": url or None}."""
        return Response({"results": data, "next": self.get_next_link()})

    def get_schema_operation_parameters(self, view) -> list[dict]:
        """`cursor` (opaque) and `limit` with its bounds and default."""
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from a previous page's `next`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": "Items per page.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                },
            },
        ]

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True, "format": "uri"},
            },
        }
