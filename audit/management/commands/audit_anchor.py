"""Append a signed checkpoint of the audit chain's head to AUDIT_ANCHOR_PATH (run from cron)."""

from django.core.management.base import BaseCommand

from audit.anchors import audit_anchor_write


class Command(BaseCommand):
    help = "Sign the audit chain's head with AUDIT_ANCHOR_KEY and append it to the checkpoints."

    def handle(self, *args, **options):
        checkpoint = audit_anchor_write()
        if checkpoint is None:
            self.stdout.write("audit chain empty: nothing to anchor")
        else:
            self.stdout.write(f"anchored seq {checkpoint.seq} ({checkpoint.hash[:12]}…)")
