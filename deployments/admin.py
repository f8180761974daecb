"""Deployments in the admin: staff see them and can stop one (through the service, audited)."""

from django.contrib import admin, messages

from audit.context import audit_request_bound
from deployments.models import Deployment, DeploymentDecision
from deployments.services import deployment_stop
from kernel.admin import ReadOnlyAdmin
from kernel.errors import ApplicationError


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "id",
        "account",
        "strategy",
        "instrument",
        "interval",
        "status",
        "target",
        "last_bar_at",
        "error",
    ]
    list_filter = ["status", "strategy", "interval"]
    readonly_fields = [field.name for field in Deployment._meta.fields]
    actions = ["stop"]

    def has_change_permission(self, request, obj=None) -> bool:
        # Needed for the action to show; every field stays read-only.
        return bool(request.user.is_active and request.user.is_staff)

    @admin.action(description="Stop (the deployment places no more orders)")
    def stop(self, request, queryset):
        for deployment in queryset.order_by("id"):
            try:
                # The audit middleware binds API requests only; the admin's own request names
                # the staff member in the audit row.
                with audit_request_bound(request):
                    deployment_stop(
                        deployment=deployment,
                        reason=f"stopped by staff {request.user.get_username()}",
                        actor=request.user,
                    )
            except ApplicationError as error:
                self.message_user(
                    request, f"Deployment {deployment.pk}: {error.message}", level=messages.ERROR
                )
            else:
                self.message_user(request, f"Deployment {deployment.pk} stopped.")


@admin.register(DeploymentDecision)
class DeploymentDecisionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "deployment", "bar_at", "target", "signal", "created_at"]
    readonly_fields = [field.name for field in DeploymentDecision._meta.fields]
