"""The append-only, hash-chained audit trail."""

from django.db import models

from audit.enums import AuditKind


class AuditEntry(models.Model):
    """One API call or one domain state change; `hash` covers `prev_hash` and the row's content.

    Actors and accounts are plain ids, not foreign keys: history must outlive the rows it names,
    and a cascade must never delete from this table. `seq`, `prev_hash` and `hash` are set by the
    chainer (`audit.services.audit_chain_extend`): on PostgreSQL shortly after the row commits,
    on SQLite in the transaction that writes it.
    """

    seq = models.PositiveBigIntegerField(unique=True, null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=16, choices=AuditKind.choices)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True, default="")
    object_id = models.CharField(max_length=100, blank=True, default="")
    account_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, db_index=True)
    credential = models.CharField(max_length=150, blank=True, default="")
    method = models.CharField(max_length=10, blank=True, default="")
    path = models.CharField(max_length=2000, blank=True, default="")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # Text, not GenericIPAddressField: PostgreSQL's inet would rewrite the value and break the hash.
    ip = models.CharField(max_length=45, blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")
    params = models.JSONField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # What the chainer looks for: rows not chained yet, in the order they were written.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unchained"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_username}"
