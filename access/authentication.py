"""DRF authentication: JWT, API keys (plain, HMAC-signed, Ed25519-signed) and credential labels."""

from __future__ import annotations

import time

from django.http.request import RawPostDataException
from django.utils.encoding import escape_uri_path
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework_simplejwt import authentication as jwt_authentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from access.credential_cache import user_cache
from access.credentials import (
    SIMPLE_KEYWORD,
    api_key_verify_signature,
    api_key_verify_simple,
    signed_message,
)
from access.errors import CredentialRejected
from kernel.identity import client_ip


class CredentialFailed(exceptions.AuthenticationFailed):
    """401 whose error `code` names the reason (API_KEY_EXPIRED, REPLAYED_REQUEST, ...)."""

    def __init__(self, error: CredentialRejected):
        super().__init__(error.message)
        self.error_code = error.code
        self.error_details = error.details


class TokenRejected(exceptions.AuthenticationFailed):
    """401 for a bearer token, with a clean message and a code a dashboard can act on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.error_code = code


class JWTAuthentication(jwt_authentication.JWTAuthentication):
    """`Authorization: Bearer <access token>`; `request.auth` is the validated token.

    An expired token is 401 TOKEN_EXPIRED (refresh it); any other bad token is 401
    AUTHENTICATION_FAILED.
    """

    www_authenticate_realm = "api"

    def get_user(self, validated_token):
        """The token's user from the in-process user cache (fresh for AUTH_CACHE_TTL_S), held to
        simplejwt's own checks: unknown, inactive, or a token from before a password change."""
        try:
            user_id = validated_token[jwt_settings.USER_ID_CLAIM]
        except KeyError as error:
            raise InvalidToken("Token contained no recognizable user identification") from error
        user = user_cache.get(user_id) if jwt_settings.USER_ID_FIELD == "id" else None
        if user is None:
            return super().get_user(validated_token)  # unknown: simplejwt's own refusal
        if jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise exceptions.AuthenticationFailed("User is inactive", code="user_inactive")
        if jwt_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            jwt_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise exceptions.AuthenticationFailed(
                "The user's password has been changed.", code="password_changed"
            )
        return user

    def get_validated_token(self, raw_token: bytes):
        for token_class in jwt_settings.AUTH_TOKEN_CLASSES:
            try:
                return token_class(raw_token)
            except ExpiredTokenError as error:
                raise TokenRejected(
                    "TOKEN_EXPIRED", "The access token has expired: refresh it."
                ) from error
            except TokenError:
                continue
        raise TokenRejected("AUTHENTICATION_FAILED", "The access token is not valid.")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key_id>.<secret>`; `request.auth` is the `ApiKey`."""

    keyword = SIMPLE_KEYWORD

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace").lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Expected `Api-Key <key_id>.<secret>`")
        try:
            api_key = api_key_verify_simple(
                token=parts[1].decode(errors="replace"), client_ip=client_ip(request)
            )
        except CredentialRejected as error:
            raise CredentialFailed(error) from error
        return api_key.user, api_key

    def authenticate_header(self, request) -> str:
        return self.keyword


class SignedApiKeyAuthentication(authentication.BaseAuthentication):
    """`X-API-Key`, `X-Timestamp` (unix ms) and `X-Signature` (HMAC hex or Ed25519 base64).

    The signed message is timestamp + METHOD + path + ("?" + raw query, if any) + raw body. `timer`
    is the clock (seconds), replaceable in tests.
    """

    timer = staticmethod(time.time)

    def authenticate(self, request):
        key_id = request.META.get("HTTP_X_API_KEY")
        if not key_id:
            return None
        timestamp = request.META.get("HTTP_X_TIMESTAMP", "")
        signature = request.META.get("HTTP_X_SIGNATURE", "")
        if not timestamp or not signature:
            raise exceptions.AuthenticationFailed("Signed requests need X-Timestamp, X-Signature")
        try:
            body = request.body
        except RawPostDataException as exc:
            raise exceptions.AuthenticationFailed("Request body unavailable for signing") from exc
        message = signed_message(
            timestamp=timestamp,
            method=request.method,
            path=escape_uri_path(request.path),
            query=request.META.get("QUERY_STRING", ""),
            body=body,
        )
        try:
            api_key = api_key_verify_signature(
                key_id=key_id,
                timestamp=timestamp,
                signature=signature,
                message=message,
                client_ip=client_ip(request),
                now_ms=int(self.timer() * 1000),
            )
        except CredentialRejected as error:
            raise CredentialFailed(error) from error
        return api_key.user, api_key

    def authenticate_header(self, request) -> str:
        return "X-Signature"


class JWTScheme(SimpleJWTScheme):
    """OpenAPI: the project's JWT authentication is simplejwt's bearer scheme."""

    target_class = "access.authentication.JWTAuthentication"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """OpenAPI: `Authorization: Api-Key <key_id>.<secret>`."""

    target_class = "access.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key_id>.<secret>`",
        }


class SignedApiKeyScheme(OpenApiAuthenticationExtension):
    """OpenAPI: signed requests (HMAC-SHA256 or Ed25519), see docs/access.md."""

    target_class = "access.authentication.SignedApiKeyAuthentication"
    name = "signedApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": (
                "With `X-Timestamp` (unix ms) and `X-Signature`: HMAC-SHA256 hex or Ed25519 base64 "
                "of timestamp + METHOD + path + ('?' + query) + body."
            ),
        }
