"""WSGI entry point for the services mode's HTTP workers (gunicorn); WebSockets stay on ASGI."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading_api.settings")
django_wsgi_app = get_wsgi_application()

from kernel.api.gate import GateWSGI  # noqa: E402

# A source the rate limits have locked out is refused before Django (kernel.api.gate).
application = GateWSGI(django_wsgi_app)
