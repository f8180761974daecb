"""Admin: operations read-only, with a cancel action that goes through the service."""

from django.contrib import admin, messages

from kernel.errors import ApplicationError
from operations.models import Operation
from operations.services import operation_cancel


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "type",
        "status",
        "account",
        "parent",
        "phase",
        "items_done",
        "items_total",
        "worker",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "type"]
    search_fields = ["id", "type", "worker"]
    ordering = ["-id"]
    actions = ["cancel_operations"]
    readonly_fields = [field.name for field in Operation._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Cancel selected operations")
    def cancel_operations(self, request, queryset) -> None:
        done = 0
        for operation in queryset.order_by("id"):
            try:
                operation_cancel(operation_id=operation.pk)
                done += 1
            except ApplicationError as error:
                self.message_user(request, f"#{operation.pk}: {error.message}", messages.WARNING)
        if done:
            self.message_user(request, f"Cancel requested for {done} operation(s).")
