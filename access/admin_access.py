"""Admin permission rule shared by every app's admin: staff with the admin role manage models."""

from __future__ import annotations

from access.enums import Role
from access.selectors import user_roles
from kernel.admin import DecimalDisplay


class AdminRoleAccess(DecimalDisplay):
    """Staff users with the admin role manage these models without per-model Django permissions."""

    def _is_admin_role(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and Role.ADMIN in user_roles(user)

    def has_module_permission(self, request) -> bool:
        return self._is_admin_role(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._is_admin_role(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return self._is_admin_role(request) or super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._is_admin_role(request) or super().has_change_permission(request, obj)
