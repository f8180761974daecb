"""Admin: risk configuration (versioned), overrides (four-eyes), trading state, breakers."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from access.admin_access import AdminRoleAccess
from kernel.errors import ApplicationError
from risk import services
from risk.errors import RiskConfigInvalid
from risk.models import (
    CircuitBreaker,
    RiskConfig,
    RiskConfigVersion,
    RiskOverride,
    TradingState,
    TradingStateChange,
)
from risk.selectors import RISK_CONFIG_FIELDS


class ReadOnlyAdmin(AdminRoleAccess):
    """History and state rows change only through services."""

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RiskConfigVersionInline(ReadOnlyAdmin, admin.TabularInline):
    model = RiskConfigVersion
    fields = ("version", "actor", "created_at", "snapshot")
    readonly_fields = fields
    extra = 0
    can_delete = False


class RiskConfigForm(forms.ModelForm):
    class Meta:
        model = RiskConfig
        fields = ["account", *RISK_CONFIG_FIELDS]

    def clean(self):
        cleaned = super().clean() or {}
        changes = {name: cleaned.get(name) for name in self.changed_data if name != "account"}
        try:
            self.validated_changes = services.risk_config_validate(changes=changes)
        except RiskConfigInvalid as error:
            for field, field_messages in (error.details or {}).get("fields", {}).items():
                self.add_error(field if field in self.fields else None, field_messages)
        return cleaned


@admin.register(RiskConfig)
class RiskConfigAdmin(AdminRoleAccess, admin.ModelAdmin):
    form = RiskConfigForm
    list_display = [
        "account",
        "version",
        "max_order_quantity",
        "max_order_notional",
        "max_gross_exposure",
        "max_open_orders",
        "require_four_eyes",
        "updated_at",
    ]
    readonly_fields = ["version", "updated_at"]
    inlines = [RiskConfigVersionInline]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "account"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        account = obj.account
        services.risk_config_get_or_create(account=account)
        saved = services.risk_config_update(
            account=account, changes=form.validated_changes, actor=request.user
        )
        obj.pk, obj.version, obj.updated_at = saved.pk, saved.version, saved.updated_at
        obj._state.adding = False


@admin.register(RiskOverride)
class RiskOverrideAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "id",
        "account",
        "kind",
        "target",
        "value",
        "status",
        "expires_at",
        "requested_by",
        "approved_by",
    ]
    list_filter = ["status", "kind"]
    readonly_fields = [field.name for field in RiskOverride._meta.fields]
    actions = ["approve", "revoke"]

    def has_change_permission(self, request, obj=None) -> bool:
        # Needed for actions to show; every field stays read-only.
        return self._is_admin_role(request) or super(ReadOnlyAdmin, self).has_change_permission(
            request, obj
        )

    def _each(self, request, queryset, service, done: str) -> None:
        for override in queryset.order_by("id"):
            try:
                service(override=override, actor=request.user)
            except ApplicationError as error:
                self.message_user(
                    request, f"Override {override.pk}: {error.message}", level=messages.ERROR
                )
            else:
                self.message_user(request, f"Override {override.pk} {done}.")

    @admin.action(description="Approve (four-eyes: not your own request)")
    def approve(self, request, queryset):
        self._each(request, queryset, services.risk_override_approve, "approved")

    @admin.action(description="Revoke")
    def revoke(self, request, queryset):
        self._each(request, queryset, services.risk_override_revoke, "revoked")


@admin.register(TradingState)
class TradingStateAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["account", "state", "reason", "actor", "changed_at"]
    readonly_fields = ["account", "state", "reason", "actor", "changed_at"]


@admin.register(TradingStateChange)
class TradingStateChangeAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["created_at", "account", "from_state", "to_state", "actor", "reason"]
    list_filter = ["to_state"]
    readonly_fields = ["created_at", "account", "from_state", "to_state", "actor", "reason"]


@admin.register(CircuitBreaker)
class CircuitBreakerAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Shown read-only: a reset needs a reason and goes through POST /risk/circuit-breaker/reset."""

    list_display = ["account", "tripped", "reason", "tripped_at", "reset_by", "reset_at"]
    list_filter = ["tripped"]
    readonly_fields = [
        "account", "tripped", "reason", "tripped_at", "reset_reason", "reset_by", "reset_at",
    ]  # fmt: skip
