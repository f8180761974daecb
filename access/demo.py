"""Demo data for the embedded mode: a staff user to log in with."""

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

DEMO_ADMIN_USERNAME = "admin"


@transaction.atomic
def demo_admin_seed(*, password: str | None = None) -> str | None:
    """Create the demo superuser if missing; return the password it got, or None if it existed.

    The password is printed once by `seed_demo` and never stored in plaintext.
    """
    users = get_user_model()
    if users.objects.filter(username=DEMO_ADMIN_USERNAME).exists():
        return None
    password = password or secrets.token_urlsafe(12)
    users.objects.create_superuser(username=DEMO_ADMIN_USERNAME, email="", password=password)
    return password
