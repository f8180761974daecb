"""Serializer fields and query serializers shared by every app's API."""

from typing import Any

from rest_framework import serializers


class CaseInsensitiveChoiceField(serializers.ChoiceField):
    """Enum input in any case (contract: input enums are case-insensitive)."""

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(data.lower() if isinstance(data, str) else data)


class TimeRangeQuerySerializer(serializers.Serializer):
    """`from` and `to` (ISO 8601), `from` not after `to`; subclasses add their filters."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # `from` is a Python keyword, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField(required=False)
        fields["to"] = serializers.DateTimeField(required=False)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("from"), attrs.get("to")
        if start is not None and end is not None and start > end:
            raise serializers.ValidationError({"from": ["Must not be after `to`."]})
        return super().validate(attrs)
