"""Idempotency keys in the admin: read-only, for support questions ("did my retry run twice?")."""

from django.contrib import admin

from idempotency.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "owner", "route", "state", "response_status", "created_at", "expires_at"]
    list_filter = ["state", "response_status"]
    search_fields = ["key", "owner", "route"]
    readonly_fields = [field.name for field in IdempotencyKey._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
