"""Reads of the audit trail."""

import datetime

from django.db.models import QuerySet

from audit.models import AuditEntry


def audit_entry_list(
    *,
    actor: str | None = None,
    action: str | None = None,
    object_ref: str | None = None,
    time_from: datetime.datetime | None = None,
    time_to: datetime.datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Return audit rows matching every given filter.

    `actor` is a username or a numeric user id; `object_ref` is "type" or "type:id";
    `time_from` is inclusive and `time_to` exclusive.
    """
    entries = AuditEntry.objects.all()
    if actor:
        entries = (
            entries.filter(actor_id=int(actor))
            if actor.isascii() and actor.isdigit() and len(actor) < 19
            else entries.filter(actor_username=actor)
        )
    if action:
        entries = entries.filter(action=action)
    if object_ref:
        object_type, _, object_id = object_ref.partition(":")
        entries = entries.filter(object_type=object_type)
        if object_id:
            entries = entries.filter(object_id=object_id)
    if time_from:
        entries = entries.filter(created_at__gte=time_from)
    if time_to:
        entries = entries.filter(created_at__lt=time_to)
    return entries
