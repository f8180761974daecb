"""Admin: risk configuration (versioned), overrides (four-eyes), trading state, breakers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from access.admin_access import AdminRoleAccess
from kernel.errors import ApplicationError
from marketdata.models import Instrument
from risk import services
from risk.enums import OVERRIDABLE_LIMITS, OverrideStatus
from risk.errors import OverrideInvalid, RiskConfigInvalid
from risk.models import (
    CircuitBreaker,
    RiskConfig,
    RiskConfigVersion,
    RiskOverride,
    TradingState,
    TradingStateChange,
)
from risk.selectors import RISK_CONFIG_FIELDS, risk_config_as_dict, risk_config_version_diff


class ReadOnlyAdmin(AdminRoleAccess):
    """History and state rows change only through services."""

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _shown(value: Any) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return (
            "; ".join(
                f"{zone['zone']} at {zone['drawdown_pct']}%, risk x{zone['risk_multiplier']}"
                for zone in value
            )
            or "none"
        )
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    return str(value)


class RiskConfigVersionInline(ReadOnlyAdmin, admin.TabularInline):
    """The history as diffs: what each version changed, who changed it and when."""

    model = RiskConfigVersion
    fields = ("version", "actor", "created_at", "changes", "restore")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "version"
    verbose_name_plural = "version history"

    @admin.display(description="changes (field: before → after)")
    def changes(self, obj: RiskConfigVersion) -> str:
        previous = (
            RiskConfigVersion.objects.filter(config_id=obj.config_id, version__lt=obj.version)
            .order_by("-version")
            .values_list("snapshot", flat=True)
            .first()
        )
        rows = risk_config_version_diff(snapshot=obj.snapshot, previous=previous)
        if not rows:
            return "no change"
        return format_html(
            '<table class="risk-diff"><thead><tr><th>field</th><th>before</th><th>after</th>'
            "</tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((name, _shown(before), _shown(after)) for name, before, after in rows),
            ),
        )

    @admin.display(description="restore")
    def restore(self, obj: RiskConfigVersion) -> str:
        if obj.version == obj.config.version:
            return "current"
        url = reverse("admin:risk_riskconfig_restore", args=[obj.config_id, obj.version])
        return format_html(
            '<a class="button" style="white-space: nowrap" href="{}">Restore v{}</a>',
            url,
            obj.version,
        )


ZONE_ROWS = [
    (zone, f"{zone}_drawdown_pct", f"{zone}_risk_multiplier") for zone in services.ZONE_NAMES
]


def _symbol_choices(*selected: list[str]) -> list[tuple[str, str]]:
    symbols = set(Instrument.objects.values_list("symbol", flat=True))
    for chosen in selected:
        symbols.update(chosen or [])
    return [(symbol, symbol) for symbol in sorted(symbols)]


def _zone_threshold(zone: str) -> forms.DecimalField:
    return forms.DecimalField(
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        label=f"{zone.capitalize()} zone from drawdown (%)",
    )


def _zone_multiplier() -> forms.DecimalField:
    return forms.DecimalField(
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("1"),
        label="Risk multiplier (0 to 1)",
    )


class RiskConfigForm(forms.ModelForm):
    allowed_symbols = forms.MultipleChoiceField(
        required=False,
        widget=FilteredSelectMultiple("allowed symbols", is_stacked=False),
        help_text="None chosen: every instrument may trade.",
    )
    blocked_symbols = forms.MultipleChoiceField(
        required=False, widget=FilteredSelectMultiple("blocked symbols", is_stacked=False)
    )

    caution_drawdown_pct = _zone_threshold("caution")
    caution_risk_multiplier = _zone_multiplier()
    danger_drawdown_pct = _zone_threshold("danger")
    danger_risk_multiplier = _zone_multiplier()
    halt_drawdown_pct = _zone_threshold("halt")
    halt_risk_multiplier = _zone_multiplier()

    class Meta:
        model = RiskConfig
        fields = ["account", *(name for name in RISK_CONFIG_FIELDS if name != "dd_zones")]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance_symbols = (self.instance.allowed_symbols, self.instance.blocked_symbols)
        for name in ("allowed_symbols", "blocked_symbols"):
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = _symbol_choices(*instance_symbols)
        zones = {zone["zone"]: zone for zone in self.instance.dd_zones or []}
        for zone, threshold, multiplier in ZONE_ROWS:
            self.initial.setdefault(threshold, zones.get(zone, {}).get("drawdown_pct"))
            self.initial.setdefault(multiplier, zones.get(zone, {}).get("risk_multiplier"))

    def _zones(self, cleaned: dict[str, Any]) -> list[dict[str, str]]:
        zones = []
        for zone, threshold, multiplier in ZONE_ROWS:
            pct, factor = cleaned.get(threshold), cleaned.get(multiplier)
            if threshold in self.errors or multiplier in self.errors:
                continue
            if pct is None and factor is None:
                continue
            if pct is None or factor is None:
                self.add_error(threshold if pct is None else multiplier, "Give both, or neither.")
                continue
            zones.append(
                {
                    "zone": zone,
                    "drawdown_pct": format(pct, "f"),
                    "risk_multiplier": format(factor, "f"),
                }
            )
        return zones

    def clean(self):
        cleaned = super().clean() or {}
        changes = {
            name: cleaned.get(name)
            for name in self.changed_data
            if name in RISK_CONFIG_FIELDS and name != "account"
        }
        zones = self._zones(cleaned)
        if self.errors:
            return cleaned
        current = services.risk_config_validate(changes={"dd_zones": self.instance.dd_zones or []})
        try:
            proposed = services.risk_config_validate(changes={"dd_zones": zones})
        except RiskConfigInvalid as error:
            self.add_error(None, (error.details or {}).get("fields", {}).get("dd_zones"))
            return cleaned
        if proposed != current:
            changes["dd_zones"] = zones
        try:
            self.validated_changes = services.risk_config_validate(changes=changes)
        except RiskConfigInvalid as error:
            for field, field_messages in (error.details or {}).get("fields", {}).items():
                self.add_error(field if field in self.fields else None, field_messages)
        return cleaned


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
    fieldsets = [
        (None, {"fields": ["account", "version", "updated_at"]}),
        (
            "Order and position limits (empty: no limit)",
            {
                "fields": [
                    ("max_order_quantity", "max_order_notional"),
                    ("max_position_notional", "max_gross_exposure"),
                    ("max_open_orders", "max_orders_per_second"),
                    ("price_band_pct", "market_protection_pct"),
                    "risk_per_trade_pct",
                ]
            },
        ),
        ("Symbols", {"fields": ["allowed_symbols", "blocked_symbols"]}),
        (
            "Losses and drawdown zones",
            {
                "description": "A zone starts at its drawdown and scales new risk by its "
                "multiplier (1 keeps it, 0 allows no new risk). Thresholds rise from caution "
                "to danger to halt; leave a zone empty to drop it.",
                "fields": [
                    ("daily_loss_limit", "max_drawdown_pct"),
                    *((threshold, multiplier) for _, threshold, multiplier in ZONE_ROWS),
                ],
            },
        ),
        ("Approvals and halts", {"fields": [("require_four_eyes", "flatten_on_halt")]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "account"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/restore/<int:version>/",
                self.admin_site.admin_view(self.restore_view),
                name="risk_riskconfig_restore",
            ),
            *super().get_urls(),
        ]

    def restore_view(self, request, object_id: str, version: int):
        """GET: what restoring `version` would change; POST: restore it through the service."""
        config = self.get_object(request, object_id)
        if config is None or not self.has_change_permission(request, config):
            raise PermissionDenied
        target = RiskConfigVersion.objects.filter(config=config, version=version).first()
        if target is None:
            raise Http404(f"No version {version}")
        change_url = reverse("admin:risk_riskconfig_change", args=[config.pk])
        if request.method == "POST":
            try:
                restored = services.risk_config_restore(
                    account=config.account, version=version, actor=request.user
                )
            except ApplicationError as error:
                self.message_user(request, error.message, level=messages.ERROR)
            else:
                self.message_user(
                    request, f"Restored v{version} as v{restored.version}.", messages.SUCCESS
                )
            return HttpResponseRedirect(change_url)
        current = risk_config_as_dict(config=config)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Restore version {version} of {config}",
            "opts": self.opts,
            "original": config,
            "version": target,
            "rows": [
                (name, _shown(before), _shown(after))
                for name, before, after in risk_config_version_diff(
                    snapshot=target.snapshot, previous=current
                )
            ],
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/risk/riskconfig/restore.html", context)

    def save_model(self, request, obj, form, change):
        account = obj.account
        services.risk_config_get_or_create(account=account)
        saved = services.risk_config_update(
            account=account, changes=form.validated_changes, actor=request.user
        )
        obj.pk, obj.version, obj.updated_at = saved.pk, saved.version, saved.updated_at
        obj._state.adding = False


admin.site.register(RiskConfig, RiskConfigAdmin)


class RiskOverrideAddForm(forms.ModelForm):
    """A new override: validated by the service; four-eyes decides whether it starts pending."""

    class Meta:
        model = RiskOverride
        fields = ["account", "kind", "target", "value", "reason", "expires_at"]
        help_texts = {
            "target": "Limit overrides: the limit's name ("
            + ", ".join(sorted(OVERRIDABLE_LIMITS))
            + "). Empty otherwise.",
            "value": "A risk multiplier (0 to 10), a limit value, or a trading state.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The service names what is missing, with the same messages as the API.
        for name in ("reason", "expires_at", "value"):
            self.fields[name].required = False

    def clean(self):
        cleaned = super().clean() or {}
        if "account" not in cleaned or "kind" not in cleaned:
            return cleaned
        try:
            target, value = services.risk_override_validate(
                kind=cleaned["kind"],
                target=cleaned.get("target") or "",
                value=cleaned.get("value"),
                reason=cleaned.get("reason") or "",
                expires_at=cleaned.get("expires_at"),
                now=timezone.now(),
            )
        except OverrideInvalid as error:
            for field, field_messages in (error.details or {}).get("fields", {}).items():
                self.add_error(field if field in self.fields else None, field_messages)
        else:
            cleaned["target"], cleaned["value"] = target, value
        return cleaned


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
    add_form = RiskOverrideAddForm

    def has_add_permission(self, request, *args) -> bool:
        return super(ReadOnlyAdmin, self).has_add_permission(request, *args)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_form.Meta.fields
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_changeform_initial_data(self, request):
        return {
            "expires_at": timezone.now() + timedelta(hours=1),
            **super().get_changeform_initial_data(request),
        }

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        created = services.risk_override_create(
            account=data["account"],
            kind=data["kind"],
            target=data["target"],
            value=data["value"],
            reason=data["reason"],
            expires_at=data["expires_at"],
            actor=request.user,
        )
        for field in RiskOverride._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False
        if created.status == OverrideStatus.PENDING_APPROVAL:
            self.message_user(
                request,
                f"Override {created.pk} awaits approval by another user with the control role "
                "(four-eyes).",
                messages.WARNING,
            )

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
