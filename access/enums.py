"""Scopes, roles and API key schemes."""

from django.db import models


class Scope(models.TextChoices):
    READ = "read", "Read"
    TRADE = "trade", "Trade"
    CONTROL = "control", "Control"
    ADMIN = "admin", "Admin"


class Role(models.TextChoices):
    """Roles are Django groups of these names (created by a data migration)."""

    VIEWER = "viewer", "Viewer"
    TRADER = "trader", "Trader"
    RISK_MANAGER = "risk_manager", "Risk manager"
    ADMIN = "admin", "Admin"


class ApiKeyScheme(models.TextChoices):
    SIMPLE = "simple", "Api-Key <key_id>.<secret>"
    HMAC = "hmac", "HMAC-SHA256 signed"
    ED25519 = "ed25519", "Ed25519 signed"


ALL_SCOPES: frozenset[str] = frozenset(Scope.values)

ROLE_SCOPES: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({Scope.READ}),
    Role.TRADER: frozenset({Scope.READ, Scope.TRADE}),
    Role.RISK_MANAGER: frozenset({Scope.READ, Scope.CONTROL}),
    Role.ADMIN: ALL_SCOPES,
}
