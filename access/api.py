"""Endpoints: JWT issue/refresh/logout, /me and /api-keys."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.db import transaction
from django_ratelimit.core import get_usage
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import Throttled
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from access import selectors, services
from access.enums import ApiKeyScheme, Scope
from access.models import ApiKey
from idempotency.gate import IdempotencyGate
from kernel.api.fields import AwareDateTimeField, IdField
from kernel.identity import client_ip, credential_label

# --- auth -----------------------------------------------------------------------------------


def _login_username_key(group: str, request) -> str:
    data = request.data if isinstance(request.data, Mapping) else {}
    return str(data.get("username") or "").strip().lower()


def _login_ip_key(group: str, request) -> str:
    return client_ip(request) or "unknown"


class LoginThrottled(Throttled):
    default_detail = "Too many login attempts"


class TokenObtainView(jwt_views.TokenObtainPairView):
    """POST {username, password} -> {access, refresh}. Attempts are limited per IP and per
    username (LOGIN_RATE_LIMIT, e.g. 5/m) against brute force."""

    # The login brake below replaces the per-credential limiter, which would count by IP only.
    rate_class = None
    schema_error_statuses = (401, 429)  # a wrong password; the login brake

    def post(self, request, *args, **kwargs):
        for part, key in (("ip", _login_ip_key), ("username", _login_username_key)):
            usage = get_usage(
                request,
                group=f"auth.token.{part}",
                key=key,
                rate=settings.LOGIN_RATE_LIMIT,
                increment=True,
            )
            if usage is not None and usage["should_limit"]:
                # The window's counter starts over one second after its reported time_left.
                raise LoginThrottled(wait=max(1, usage["time_left"] + 1))
        return super().post(request, *args, **kwargs)


def _unverified_jti(raw: object) -> str | None:
    """The jti claim of a token without checking it (the refresh serializer checks it next)."""
    try:
        # The stubs say Token; simplejwt takes the encoded token text.
        return RefreshToken(str(raw), verify=False).get("jti")  # type: ignore[arg-type]
    except TokenError:
        return None


class TokenRefreshView(jwt_views.TokenRefreshView):
    """POST {refresh} -> {access, refresh}; the refresh token used is blacklisted (rotation)."""

    # A refresh token is unguessable and single-use, so there is nothing to brute-force here.
    rate_class = None
    schema_error_statuses = (401,)  # an invalid, expired or blacklisted refresh token

    def post(self, request, *args, **kwargs):
        # Lock the token's row first so two concurrent refreshes with one token cannot both pass
        # the blacklist check: the second waits, then sees the first one's blacklist entry.
        with transaction.atomic():
            data = request.data if isinstance(request.data, Mapping) else {}
            jti = _unverified_jti(data.get("refresh"))
            if jti:
                list(OutstandingToken.objects.select_for_update().filter(jti=jti))
            return super().post(request, *args, **kwargs)


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class LogoutView(APIView):
    """POST {refresh}: blacklist the caller's refresh token, ending that login."""

    # Ending one's own login needs no scope: a user whose roles were all taken away can log out.
    permission_classes = [IsAuthenticated]
    rate_class = "data"
    serializer_class = LogoutSerializer

    @extend_schema(request=LogoutSerializer, responses={204: None})
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invalid = serializers.ValidationError({"refresh": ["Invalid or expired refresh token."]})
        try:
            token = RefreshToken(serializer.validated_data["refresh"])
        except TokenError as exc:
            raise invalid from exc
        if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(request.user.pk):
            raise invalid
        services.auth_logout(user=request.user, refresh_token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- /me ------------------------------------------------------------------------------------


class AccountBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    base_currency = serializers.CharField()


class MeSerializer(serializers.Serializer):
    user = inline_serializer(
        "MeUser", {"id": serializers.IntegerField(), "username": serializers.CharField()}
    )
    credential = inline_serializer(
        "MeCredential",
        {
            "type": serializers.CharField(help_text="jwt, api_key or session"),
            "scheme": serializers.CharField(allow_null=True),
            "key_id": serializers.CharField(allow_null=True),
        },
    )
    roles = serializers.ListField(child=serializers.CharField())
    scopes = serializers.ListField(child=serializers.ChoiceField(Scope.choices))
    accounts = AccountBriefSerializer(many=True)


def _account_brief(account) -> dict:
    return {"id": account.pk, "name": account.name, "base_currency": account.base_currency}


class MeView(APIView):
    """Who is calling: user, roles, effective scopes, accounts and the credential in use."""

    required_scope = Scope.READ
    rate_class = "data"

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        user, api_key = selectors.principal_get(request)
        label = credential_label(request)
        return Response(
            {
                "user": {"id": user.pk, "username": user.get_username()},
                "credential": {
                    "type": label.split(":", 1)[0],
                    "scheme": api_key.scheme if api_key is not None else None,
                    "key_id": api_key.key_id if api_key is not None else None,
                },
                "roles": selectors.roles_for(request),
                "scopes": sorted(selectors.scopes_for(request)),
                "accounts": [
                    _account_brief(account)
                    for account in selectors.account_queryset_for(request).order_by("id")
                ],
            }
        )


# --- /api-keys ------------------------------------------------------------------------------


class ApiKeySerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)
    # JSON columns, typed for the schema.
    scopes = serializers.ListField(child=serializers.ChoiceField(Scope.choices), read_only=True)
    allowed_ips = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="IP addresses or CIDR networks; empty allows any.",
    )
    rate_limits = serializers.DictField(
        child=serializers.CharField(),
        read_only=True,
        help_text='Overrides per route class, e.g. {"data": "20/s", "trading": "2/s"}.',
    )

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "key_id",
            "name",
            "scheme",
            "scopes",
            "account",
            "user",
            "expires_at",
            "allowed_ips",
            "rate_limits",
            "public_key",
            "last_used_at",
            "revoked_at",
            "created_at",
        ]
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    secret = serializers.CharField(read_only=True, allow_null=True)

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "secret"]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    # Not trimmed here: the schema bounds the raw value; the service strips it.
    name = serializers.CharField(max_length=100, trim_whitespace=False)
    scopes = serializers.ListField(child=serializers.ChoiceField(Scope.choices), min_length=1)
    account = IdField(required=False)
    scheme = serializers.ChoiceField(ApiKeyScheme.choices, required=False)
    expires_at = AwareDateTimeField(required=False, allow_null=True)
    allowed_ips = serializers.ListField(child=serializers.CharField(), required=False)
    public_key = serializers.CharField(required=False, allow_blank=True)
    rate_limits = serializers.DictField(child=serializers.CharField(), required=False)


class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """API keys of the caller's accounts. Managing keys needs the `admin` scope; a key with it
    manages only its own account's keys. DELETE revokes."""

    required_scope = Scope.ADMIN
    # Key management is not order flow: it counts against the data limit, not the trading one.
    rate_class = "data"
    serializer_class = ApiKeySerializer

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            # The answer holds the key's secret, which must never be stored, so it is not kept
            # for idempotent replay; a retried create makes a second key (revoke the extra one).
            throttles = [t for t in throttles if not isinstance(t, IdempotencyGate)]
        return throttles

    def get_queryset(self):
        return selectors.api_key_list_for(self.request)

    def get_object(self):
        return selectors.api_key_get_for(self.request, self.kwargs["pk"])

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer})
    def create(self, request):
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = selectors.account_resolve(request, data.get("account"))
        api_key, secret = services.api_key_create(
            user=request.user,
            account=account,
            name=data["name"],
            scopes=data["scopes"],
            scheme=data.get("scheme"),
            public_key=data.get("public_key", ""),
            expires_at=data.get("expires_at"),
            allowed_ips=data.get("allowed_ips", []),
            rate_limits=data.get("rate_limits"),
            grantor=services.Grantor(
                user=request.user,
                api_key=request.auth if isinstance(request.auth, ApiKey) else None,
            ),
        )
        # Shown in this answer only, never stored.
        api_key.secret = secret  # type: ignore[attr-defined]
        return Response(ApiKeyCreatedSerializer(api_key).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ApiKeySerializer})
    def destroy(self, request, pk=None):
        api_key = services.api_key_revoke(api_key=self.get_object())
        return Response(ApiKeySerializer(api_key).data)
