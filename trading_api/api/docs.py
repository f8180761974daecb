"""Schema and interactive docs; a browser without a session is sent to the login page."""

from typing import Any

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib.auth.views import redirect_to_login
from django.utils.decorators import method_decorator
from django.views import View
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from kernel.api.renderers import JSONRenderer


class _LoginFirst(View):
    """HTML docs pages: an anonymous browser is redirected to log in, not shown a JSON 401."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)


class SchemaView(SpectacularAPIView):
    """The OpenAPI document (YAML, or JSON with `?format=json`); its errors are JSON."""

    def handle_exception(self, exc: Exception) -> Any:
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SwaggerView(_LoginFirst, SpectacularSwaggerSplitView):
    """Swagger UI, its start-up script served apart so the page needs no inline script (CSP)."""


@method_decorator(
    # ReDoc's page starts with an inline script and runs its renderer in a blob: worker.
    csp_update({"script-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}),
    name="dispatch",
)
class RedocView(_LoginFirst, SpectacularRedocView):
    pass
