"""Admin: the kill switch. Stop (cancel and flatten), reduce-only and start, each with a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from access.admin_access import AdminRoleAccess
from control.models import TradingControl
from control.selectors import account_trading_overview
from control.services import trading_stop
from kernel.errors import ApplicationError
from risk.selectors import trading_state_get
from risk.services import trading_reduce_only, trading_start


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Kept with the trading state, its history and the audit log.",
    )


def _stop(*, account, reason: str, actor) -> str:
    result = trading_stop(account=account, reason=reason, actor=actor)
    return (
        f"{result['trading']['state']}; canceled {len(result['canceled_orders'])} order(s), "
        f"placed {len(result['closing_orders'])} closing order(s)"
    )


def _reduce_only(*, account, reason: str, actor) -> str:
    return trading_reduce_only(account=account, reason=reason, actor=actor)["state"]


def _start(*, account, reason: str, actor) -> str:
    return trading_start(account=account, reason=reason, actor=actor)["state"]


@admin.register(TradingControl)
class TradingControlAdmin(AdminRoleAccess, admin.ModelAdmin):
    """Every account with its trading state; the actions ask for a reason, then call services."""

    list_display = [
        "name",
        "state",
        "state_reason",
        "open_orders",
        "open_positions",
        "dd_zone",
    ]
    list_display_links = None
    actions = ["stop_trading", "set_reduce_only", "start_trading"]
    search_fields = ["name"]

    def has_add_permission(self, request, *args) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        title = "Kill switch: choose accounts, then stop, set reduce-only or start (with a reason)"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _overview(self, obj) -> dict[str, Any]:
        cache = getattr(obj, "_overview", None)
        if cache is None:
            cache = {
                **account_trading_overview(account_id=obj.pk),
                "reason": trading_state_get(account_id=obj.pk)["reason"],
            }
            obj._overview = cache
        return cache

    @admin.display(description="trading state")
    def state(self, obj) -> str:
        return self._overview(obj)["trading_state"]

    @admin.display(description="reason")
    def state_reason(self, obj) -> str:
        return self._overview(obj)["reason"] or ""

    @admin.display(description="open orders")
    def open_orders(self, obj) -> int:
        return self._overview(obj)["open_orders"]

    @admin.display(description="open positions")
    def open_positions(self, obj) -> int:
        return self._overview(obj)["open_positions"]

    @admin.display(description="drawdown zone")
    def dd_zone(self, obj) -> str:
        return self._overview(obj)["dd_zone"]

    def _with_reason(
        self, request, queryset, *, action: str, title: str, service: Callable[..., str]
    ):
        """First show the reason form for the chosen accounts, then apply `service` to each."""
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.opts,
                "form": form,
                "accounts": list(queryset.order_by("name")),
                "action": action,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/control/reason.html", context)
        for account in queryset.order_by("id"):
            try:
                outcome = service(
                    account=account, reason=form.cleaned_data["reason"], actor=request.user
                )
            except ApplicationError as error:
                self.message_user(request, f"{account}: {error.message}", level=messages.ERROR)
            else:
                self.message_user(request, f"{account}: {outcome}.", messages.SUCCESS)
        return None

    @admin.action(description="Stop trading: cancel open orders and flatten positions")
    def stop_trading(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            action="stop_trading",
            title="Stop trading (cancel open orders, close every position)",
            service=_stop,
        )

    @admin.action(description="Reduce-only: accept only orders that shrink a position")
    def set_reduce_only(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            action="set_reduce_only",
            title="Set reduce-only",
            service=_reduce_only,
        )

    @admin.action(description="Start trading")
    def start_trading(self, request, queryset):
        return self._with_reason(
            request, queryset, action="start_trading", title="Start trading", service=_start
        )
