"""Run `check --deploy` on the production settings with throwaway secrets made for this run."""

import os
import secrets
import subprocess
import sys

env = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "trading_api.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
    "API_KEY_ENCRYPTION_KEY": secrets.token_urlsafe(32),
    "ALLOWED_HOSTS": "backoffice.example.com",
}
env.pop("DATABASE_URL", None)
env.pop("REDIS_URL", None)
command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
sys.exit(subprocess.run(command, env=env).returncode)
