"""Audit trail in the admin: read-only, filterable."""

from django.contrib import admin

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "seq",
        "created_at",
        "kind",
        "action",
        "actor_username",
        "credential",
        "method",
        "path",
        "status_code",
        "object_type",
        "object_id",
    ]
    list_filter = ["kind", "action", "status_code", "object_type", "created_at"]
    search_fields = ["actor_username", "path", "object_id", "request_id", "hash"]
    date_hierarchy = "created_at"
    ordering = ["-seq"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
