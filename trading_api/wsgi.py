"""WSGI entry point for the services mode's HTTP workers (gunicorn); WebSockets stay on ASGI."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading_api.settings")
application = get_wsgi_application()
