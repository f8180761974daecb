"""Verify the audit hash chain; exit 1 and name the first broken row when it is broken."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.anchors import audit_anchors_verify
from audit.services import audit_chain_verify


class Command(BaseCommand):
    help = (
        "Walk the audit trail's hash chain and report whether it is intact; with "
        "AUDIT_ANCHOR_KEY set, also check the signed checkpoints in AUDIT_ANCHOR_PATH."
    )

    def handle(self, *args, **options):
        result = audit_chain_verify()
        if not result.intact:
            raise CommandError(
                f"audit chain broken at row id {result.first_broken_id} "
                f"({result.reason}); {result.checked} rows checked",
                returncode=1,
            )
        self.stdout.write(f"audit chain intact: {result.checked} rows checked")
        if settings.AUDIT_ANCHOR_KEY:
            anchors = audit_anchors_verify()
            if not anchors.intact:
                raise CommandError(f"audit checkpoints: {anchors.reason}", returncode=1)
            self.stdout.write(f"audit checkpoints intact: {anchors.checkpoints} checked")
