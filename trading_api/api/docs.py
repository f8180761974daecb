"""Schema and interactive docs; a browser without a session is sent to the login page."""

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.views import View
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView


class _LoginFirst(View):
    """HTML docs pages: an anonymous browser is redirected to log in, not shown a JSON 401."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)


class SwaggerView(_LoginFirst, SpectacularSwaggerView):
    pass


class RedocView(_LoginFirst, SpectacularRedocView):
    pass
