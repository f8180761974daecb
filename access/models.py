"""Accounts, memberships and API keys."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from access.enums import ApiKeyScheme


class Account(models.Model):
    """A trading account: the unit that owns orders, balances and positions."""

    name = models.CharField(max_length=100, unique=True)
    base_currency = models.CharField(max_length=10, default="USD")
    require_four_eyes = models.BooleanField(
        default=False, help_text="Risk overrides need approval by a second user."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="trading_accounts"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user may act on an account; `is_default` picks the account when a request names none."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="membership_user_account"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="membership_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account}"


class ApiKey(models.Model):
    """A credential for one account, acting for the user who owns it.

    Only what verifies a request is stored: a SHA-256 of the simple scheme's secret, the HMAC
    secret encrypted (Fernet), or the client's Ed25519 public key.
    """

    key_id = models.CharField(max_length=32, unique=True, editable=False)
    name = models.CharField(max_length=100)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="api_keys")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_keys"
    )
    scheme = models.CharField(
        max_length=10, choices=ApiKeyScheme.choices, default=ApiKeyScheme.SIMPLE
    )
    scopes = models.JSONField(default=list)
    secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    secret_encrypted = models.TextField(blank=True, editable=False)
    public_key = models.TextField(blank=True, help_text="Ed25519 public key, base64 of 32 bytes.")
    expires_at = models.DateTimeField(null=True, blank=True)
    allowed_ips = models.JSONField(
        default=list, blank=True, help_text="IP addresses or CIDR networks; empty allows any."
    )
    rate_limits = models.JSONField(
        default=dict,
        blank=True,
        help_text='Overrides per route class, e.g. {"data": "20/s", "trading": "2/s"}.',
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # Not a column: the owner's roles as read with the key by the credential cache, which
    # roles_for() answers with instead of a query (None: not read).
    owner_roles: tuple[str, ...] | None = None

    class Meta:
        ordering = ["id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
