"""Seed the demo data idempotently; running it twice changes nothing."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from access.demo import DEMO_ADMIN_USERNAME, demo_admin_seed


class Command(BaseCommand):
    help = "Create demo data (staff user, then each app's seeders in settings.DEMO_SEEDERS)."

    def handle(self, *args, **options):
        password = demo_admin_seed(password=os.environ.get("DEMO_ADMIN_PASSWORD") or None)
        if password:
            self.stdout.write(
                f"Created demo superuser {DEMO_ADMIN_USERNAME!r} with password {password!r}. "
                "It is shown only now; reset it with `manage.py changepassword admin`."
            )
        else:
            self.stdout.write(f"Demo superuser {DEMO_ADMIN_USERNAME!r} exists already.")
        for path in settings.DEMO_SEEDERS:
            summary = import_string(path)()
            self.stdout.write(f"{path}: {summary}")
