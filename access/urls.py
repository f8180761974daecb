"""Routes of access control: /auth/token, /auth/token/refresh, /auth/logout, /me, /api-keys."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from access import api

router = SimpleRouter()
# Routes are slash-less as in the contract; a trailing slash is tolerated.
router.trailing_slash = "/?"
router.register("api-keys", api.ApiKeyViewSet, basename="api-key")

urlpatterns = [
    path("auth/token", api.TokenObtainView.as_view(), name="auth-token"),
    path("auth/token/refresh", api.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout", api.LogoutView.as_view(), name="auth-logout"),
    path("me", api.MeView.as_view(), name="me"),
    *router.urls,
]
