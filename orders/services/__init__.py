"""Order writes: entry (preview, submit, modify) and lifecycle (cancel, venue events, fills)."""

from orders.services.entry import order_modify, order_preview, order_submit, order_validate
from orders.services.lifecycle import (
    order_accept,
    order_apply_fill,
    order_cancel,
    order_cancel_all,
    order_cancel_by_venue,
    order_expire,
    order_reject_by_venue,
    order_stop_trigger,
)

__all__ = [
    "order_accept",
    "order_apply_fill",
    "order_cancel",
    "order_cancel_all",
    "order_cancel_by_venue",
    "order_expire",
    "order_modify",
    "order_preview",
    "order_reject_by_venue",
    "order_stop_trigger",
    "order_submit",
    "order_validate",
]
