"""Admin: accounts with memberships, API keys (secret shown once, revoke action), user roles."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.utils.html import format_html

from access import services
from access.admin_access import AdminRoleAccess
from access.enums import ApiKeyScheme, Scope
from access.errors import AccessValidationError
from access.models import Account, ApiKey, Membership
from access.selectors import user_roles
from access.services import RATE_LIMIT_CLASSES

User = get_user_model()


def _add_service_errors(form: forms.BaseForm, error: AccessValidationError) -> None:
    for field, field_messages in (error.details or {}).get("fields", {}).items():
        form.add_error(field if field in form.fields else None, field_messages)


class MembershipInline(AdminRoleAccess, admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Account)
class AccountAdmin(AdminRoleAccess, admin.ModelAdmin):
    list_display = ["id", "name", "base_currency", "require_four_eyes", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        fields = {
            "name": obj.name,
            "base_currency": obj.base_currency,
            "require_four_eyes": obj.require_four_eyes,
        }
        if change:
            services.account_update(account=obj, **fields)
        else:
            created = services.account_create(**fields)
            obj.pk, obj.created_at = created.pk, created.created_at
            obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        memberships = formset.save(commit=False)
        for membership in formset.deleted_objects:
            services.membership_remove(membership=membership)
        for membership in memberships:
            services.membership_add(
                user=membership.user, account=form.instance, is_default=membership.is_default
            )
        return None


class ApiKeyAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)
    allowed_ips = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="IP addresses or CIDR networks, one per line or comma-separated; empty = any.",
    )
    rate_limit_data = forms.CharField(
        required=False,
        max_length=16,
        label="rate limit: data endpoints",
        help_text="Requests per s, m, h or d, e.g. 20/s. Empty: the server default.",
    )
    rate_limit_trading = forms.CharField(
        required=False,
        max_length=16,
        label="rate limit: trading endpoints",
        help_text="Order entry, cancel and control, e.g. 2/s. Empty: the server default.",
    )

    class Meta:
        model = ApiKey
        fields = [
            "name",
            "account",
            "user",
            "scheme",
            "scopes",
            "public_key",
            "expires_at",
            "allowed_ips",
            "rate_limit_data",
            "rate_limit_trading",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "allowed_ips" in self.fields:
            self.initial["allowed_ips"] = "\n".join(self.instance.allowed_ips)
        for route_class in RATE_LIMIT_CLASSES:
            field = self.fields[f"rate_limit_{route_class}"]
            field.widget.attrs["placeholder"] = settings.RATE_LIMITS.get(route_class, "")
            if self.instance.pk:
                self.initial[f"rate_limit_{route_class}"] = self.instance.rate_limits.get(
                    route_class, ""
                )

    def clean_allowed_ips(self) -> list[str]:
        raw = self.cleaned_data.get("allowed_ips") or ""
        return [part.strip() for part in raw.replace(",", "\n").splitlines() if part.strip()]

    def _rate_limits(self, data: dict) -> dict[str, str]:
        limits = {
            route_class: (data.get(f"rate_limit_{route_class}") or "").strip()
            for route_class in RATE_LIMIT_CLASSES
        }
        data["rate_limits"] = {name: rate for name, rate in limits.items() if rate}
        return data["rate_limits"]

    def clean(self):
        data = super().clean() or {}
        self._rate_limits(data)
        if self.errors:
            return data
        try:
            services.api_key_create_validate(
                user=data["user"],
                account=data.get("account"),
                name=data.get("name", ""),
                scopes=data.get("scopes", []),
                scheme=data.get("scheme"),
                public_key=data.get("public_key") or "",
                expires_at=data.get("expires_at"),
                allowed_ips=data.get("allowed_ips", []),
                rate_limits=data.get("rate_limits"),
            )
        except AccessValidationError as error:
            _add_service_errors(self, error)
        return data


class ApiKeyChangeForm(ApiKeyAddForm):
    class Meta(ApiKeyAddForm.Meta):
        fields = [
            "name",
            "scopes",
            "expires_at",
            "allowed_ips",
            "rate_limit_data",
            "rate_limit_trading",
        ]

    def clean(self):
        data = forms.ModelForm.clean(self) or {}
        self._rate_limits(data)
        if self.errors:
            return data
        try:
            services.api_key_update_validate(
                api_key=self.instance,
                name=data.get("name"),
                scopes=data.get("scopes"),
                expires_at=data.get("expires_at"),
                allowed_ips=data.get("allowed_ips"),
                rate_limits=data.get("rate_limits"),
            )
        except AccessValidationError as error:
            _add_service_errors(self, error)
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(AdminRoleAccess, admin.ModelAdmin):
    list_display = [
        "key_id",
        "name",
        "account",
        "user",
        "scheme",
        "scopes",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["scheme", "account", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["key_id", "name", "user__username", "account__name"]
    actions = ["revoke_selected"]
    autocomplete_fields = ["account", "user"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ApiKeyChangeForm if obj is not None else ApiKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ApiKeyAddForm.Meta.fields
        return [*ApiKeyChangeForm.Meta.fields, *self.get_readonly_fields(request, obj)]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "key_id",
            "account",
            "user",
            "scheme",
            "public_key",
            "revoked_at",
            "last_used_at",
            "created_at",
        ]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Keys are revoked, never deleted: the audit trail refers to them.
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.api_key_update(
                api_key=obj,
                name=data["name"],
                scopes=data["scopes"],
                expires_at=data.get("expires_at"),
                allowed_ips=data["allowed_ips"],
                rate_limits=data["rate_limits"],
            )
            return
        created, secret = services.api_key_create(
            user=data["user"],
            account=data["account"],
            name=data["name"],
            scopes=data["scopes"],
            scheme=data["scheme"],
            public_key=data.get("public_key") or "",
            expires_at=data.get("expires_at"),
            allowed_ips=data["allowed_ips"],
            rate_limits=data["rate_limits"],
        )
        for field in ApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False
        if secret is None:
            messages.success(request, f"Ed25519 key {created.key_id} created.")
        elif created.scheme == ApiKeyScheme.SIMPLE:
            messages.warning(
                request,
                format_html(
                    "Key {} created. Copy its secret now, it is not stored and will not be "
                    "shown again: <code>{}</code> (header <code>Authorization: Api-Key {}.{}"
                    "</code>)",
                    created.key_id,
                    secret,
                    created.key_id,
                    secret,
                ),
            )
        else:
            messages.warning(
                request,
                format_html(
                    "Key {} created. Copy its HMAC secret now, it will not be shown again: "
                    "<code>{}</code>",
                    created.key_id,
                    secret,
                ),
            )

    @admin.action(description="Revoke selected API keys")
    def revoke_selected(self, request, queryset):
        for api_key in queryset:
            services.api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


class MembershipUserInline(AdminRoleAccess, admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ["account", "is_default", "created_at"]
    readonly_fields = ["account", "is_default", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(AdminRoleAccess, GroupAdmin):
    """Groups are the roles viewer, trader, risk_manager and admin."""


@admin.register(User)
class TradingUserAdmin(AdminRoleAccess, UserAdmin):
    """Django's user admin; roles are the groups viewer/trader/risk_manager/admin."""

    inlines = [MembershipUserInline]
    list_display = [*UserAdmin.list_display, "roles"]  # type: ignore[misc]

    @admin.display(description="Roles")
    def roles(self, obj) -> str:
        return ", ".join(user_roles(obj))

    def save_related(self, request, form, formsets, change):
        before = user_roles(form.instance) if change else []
        super().save_related(request, form, formsets, change)
        services.user_roles_change_record(
            user=form.instance, before=before, after=user_roles(form.instance)
        )
