"""Deployment checks (`manage.py check --deploy`) for the project's own secrets."""

from typing import Any

from django.conf import settings
from django.core import checks

SECRET_MIN_LENGTH = 32


def _secrets() -> dict[str, str]:
    return {
        "JWT_SIGNING_KEY": str(getattr(settings, "SIMPLE_JWT", {}).get("SIGNING_KEY") or ""),
        "API_KEY_ENCRYPTION_KEY": str(getattr(settings, "API_KEY_ENCRYPTION_KEY", "") or ""),
    }


@checks.register(checks.Tags.security, deploy=True)
def secrets_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Each secret is long, and none is another's: a leaked SECRET_KEY must not forge tokens."""
    errors: list[checks.CheckMessage] = []
    seen = {"SECRET_KEY": str(settings.SECRET_KEY)}
    for name, value in _secrets().items():
        if len(value) < SECRET_MIN_LENGTH:
            errors.append(
                checks.Error(
                    f"{name} is shorter than {SECRET_MIN_LENGTH} characters.",
                    hint="Generate one with secrets.token_urlsafe(48).",
                    id="kernel.E001",
                )
            )
        for other, other_value in seen.items():
            if value and value == other_value:
                errors.append(
                    checks.Error(
                        f"{name} is the same as {other}.",
                        hint="Every secret must be generated on its own.",
                        id="kernel.E002",
                    )
                )
        seen[name] = value
    return errors
