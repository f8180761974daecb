"""Serializer fields and query serializers shared by every app's API."""

import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from kernel.ids import ID_MAX


class CaseInsensitiveChoiceField(serializers.ChoiceField):
    """Enum input in any case (contract: input enums are case-insensitive)."""

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(data.lower() if isinstance(data, str) else data)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime with a time zone ("Z" or an offset), or a bare date (00:00 UTC).

    A naive date and time is refused: DRF would read it in the server's zone, which a client
    cannot know.
    """

    default_error_messages = {"naive": "Must be an ISO 8601 datetime with a time zone."}

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            try:
                parsed = parse_datetime(text)
            except ValueError:
                parsed = None
            if parsed is None or (timezone.is_naive(parsed) and len(text) != len("2026-01-31")):
                self.fail("naive")
            if timezone.is_naive(parsed):
                return timezone.make_aware(parsed, datetime.UTC)
        return super().to_internal_value(value)


class IdField(serializers.IntegerField):
    """An object id in a filter or a body: 1 to 2**63 - 1 (what the databases store)."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)


class QuerySerializer(serializers.Serializer):
    """A query string's parameters: one given blank (`?symbol=`) is refused, not ignored.

    DRF drops a blank optional value from a query dict, which would turn a client's mistake
    into "no filter" (every row).
    """

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "getlist"):
            blank = {
                name: ["May not be blank."]
                for name, field in self.fields.items()
                if not field.read_only
                and data.get(name) == ""
                and not getattr(field, "allow_blank", False)
            }
            if blank:
                raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


class TimeRangeQuerySerializer(QuerySerializer):
    """`from` and `to` (ISO 8601), `from` not after `to`; subclasses add their filters."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # `from` is a Python keyword, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["from"] = AwareDateTimeField(required=False)
        fields["to"] = AwareDateTimeField(required=False)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("from"), attrs.get("to")
        if start is not None and end is not None and start > end:
            raise serializers.ValidationError({"from": ["Must not be after `to`."]})
        return super().validate(attrs)
