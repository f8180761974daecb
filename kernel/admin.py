"""Admin building blocks shared by the apps: decimals shown as people read them, read-only pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.db import models

from kernel.decimals import decimal_text


class DecimalInput(forms.TextInput):
    """A decimal shown without the column's trailing zeros: 1000000, not 1000000.0000000000."""

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Decimal) and value.is_finite():
            return decimal_text(value)
        return super().format_value(value)


def _decimal_column(field: models.DecimalField):
    name = field.name

    @admin.display(description=field.verbose_name, ordering=name)
    def column(obj) -> str:
        value = getattr(obj, name)
        return "-" if value is None else decimal_text(value)

    column.__name__ = name
    return column


class DecimalDisplay(BaseModelAdmin):
    """List columns and form inputs show decimals normalised (the columns keep 10 places)."""

    formfield_overrides = {models.DecimalField: {"widget": DecimalInput}}

    def _normalised(self, names):
        decimals = {
            field.name: field
            for field in self.model._meta.get_fields()
            if isinstance(field, models.DecimalField)
        }
        return [
            _decimal_column(decimals[name]) if isinstance(name, str) and name in decimals else name
            for name in names
        ]

    def get_list_display(self, request):
        return self._normalised(super().get_list_display(request))  # type: ignore[misc]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fields
        # A view-only page shows every field read-only: decimals as people read them there too.
        return self._normalised(fields)


class ReadOnlyAdmin(DecimalDisplay, admin.ModelAdmin):
    """An admin page that shows rows and never changes them: history is written by services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
