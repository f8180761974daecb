"""The default permission: an authenticated caller holding the scope the view declares.

A view declares `required_scope = "read" | "trade" | "control" | "admin"` for all its methods, or a
mapping by viewset action or HTTP method, e.g. `{"list": "read", "create": "trade"}` or
`{"GET": "read", "POST": "trade"}`. Undeclared: safe methods need `read`; any other method needs
`admin`, so a mutating endpoint that forgot to declare its scope fails closed.
"""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework.permissions import SAFE_METHODS, BasePermission

from access.enums import Scope
from access.selectors import scopes_for


def required_scope_for(request, view) -> str:
    """The scope `view` requires for this request."""
    declared = getattr(view, "required_scope", None)
    if isinstance(declared, Mapping):
        action = getattr(view, "action", None)
        declared = declared.get(action) if action in declared else declared.get(request.method)
    if declared:
        return str(declared)
    return Scope.READ if request.method in SAFE_METHODS else Scope.ADMIN


class HasRequiredScope(BasePermission):
    """Authenticated, and the credential's scopes (key) or roles (user) include the view's scope."""

    message = "This credential lacks the scope this endpoint needs"

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        needed = required_scope_for(request, view)
        if needed in scopes_for(request):
            return True
        self.message = f"This endpoint needs the `{needed}` scope"
        return False
