"""Admin: orders with filters and a cancel action (a service call); fills and events read-only."""

from django.contrib import admin, messages

from kernel.admin import ReadOnlyAdmin
from kernel.errors import ApplicationError
from orders.models import Fill, Order, OrderEvent
from orders.services import order_cancel


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "type", "status_before", "status_after", "quantity", "price", "data")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "account",
        "instrument",
        "side",
        "order_type",
        "time_in_force",
        "quantity",
        "filled_quantity",
        "limit_price",
        "stop_price",
        "status",
        "created_at",
    ]
    list_filter = ["status", "side", "order_type", "time_in_force", "account", "instrument"]
    search_fields = ["client_order_id", "venue_order_id", "strategy"]
    list_select_related = ["account", "instrument"]
    date_hierarchy = "created_at"
    inlines = [OrderEventInline]
    actions = ["cancel_selected"]

    def has_cancel_permission(self, request) -> bool:
        # Orders are never edited in the admin; the right to change them means the right to cancel.
        return request.user.has_perm("orders.change_order")

    @admin.action(description="Cancel selected orders", permissions=["cancel"])
    def cancel_selected(self, request, queryset) -> None:
        canceled, refused = 0, []
        for order_id in queryset.order_by("id").values_list("id", flat=True):
            try:
                order_cancel(order_id=order_id, reason=f"canceled in admin by {request.user}")
                canceled += 1
            except ApplicationError as error:
                refused.append(f"{order_id}: {error.message}")
        self.message_user(request, f"{canceled} order(s) canceled.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Refused: " + "; ".join(refused), messages.WARNING)


@admin.register(Fill)
class FillAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "order",
        "account",
        "instrument",
        "side",
        "quantity",
        "price",
        "fee",
        "liquidity",
        "executed_at",
        "venue_exec_id",
    ]
    list_filter = ["side", "liquidity", "account", "instrument"]
    search_fields = ["venue_exec_id"]
    list_select_related = ["account", "instrument"]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "order",
        "type",
        "status_before",
        "status_after",
        "quantity",
        "created_at",
    ]
    list_filter = ["type"]
