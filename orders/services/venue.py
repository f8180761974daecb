"""The venue's fencing token: which venue may book fills and acknowledge orders."""

from django.db import connection, transaction
from django.utils import timezone

from audit.services import audit_record
from orders.errors import VenueFenced
from orders.models import VenueEpoch

_ROW = 1


def venue_epoch_begin(*, holder: str) -> int:
    """Start a new venue epoch for `holder` (the venue that now leads); return it.

    Every venue-side service called with an older epoch is refused from the moment this commits,
    so an engine that lost its leadership cannot book a fill beside its successor.
    """
    with transaction.atomic():
        VenueEpoch.objects.get_or_create(pk=_ROW)
        row = VenueEpoch.objects.select_for_update().get(pk=_ROW)
        before = {"epoch": row.epoch, "holder": row.holder}
        row.epoch += 1
        row.holder = holder[:200]
        row.started_at = timezone.now()
        row.save()
        audit_record(
            action="venue.epoch_started",
            object_type="venue",
            object_id=_ROW,
            before=before,
            after={"epoch": row.epoch, "holder": row.holder},
        )
    return row.epoch


def venue_epoch_check(*, epoch: int | None) -> None:
    """Inside the caller's transaction: return if `epoch` is current (None: not a venue call).

    On PostgreSQL the epoch row is read FOR SHARE, so a successor's `venue_epoch_begin` waits
    for the bookings in flight and every later booking of the old epoch sees the new one. On
    SQLite every write transaction is serialized already. Raises VenueFenced (409) otherwise.
    """
    if epoch is None:
        return
    table = connection.ops.quote_name(VenueEpoch._meta.db_table)
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT epoch FROM {table} WHERE id = %s{lock}", [_ROW])  # noqa: S608
        row = cursor.fetchone()
    current = row[0] if row else 0
    if current != epoch:
        raise VenueFenced(
            f"Venue epoch {epoch} is no longer current ({current} is)",
            details={"epoch": epoch, "current": current},
        )
