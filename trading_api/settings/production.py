"""Production settings: every secret from the environment, HTTPS enforced."""

import environ
from django.core.exceptions import ImproperlyConfigured

_env = environ.Env()
for _name in ("SECRET_KEY", "JWT_SIGNING_KEY", "API_KEY_ENCRYPTION_KEY"):
    if not _env.str(_name, default=""):
        raise ImproperlyConfigured(f"{_name} must be set in the environment in production")

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
WHITENOISE_USE_FINDERS = False
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))  # noqa: F405
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
