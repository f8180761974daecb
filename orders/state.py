"""The order state machine: one literal table of (status, event) -> status."""

from kernel.errors import ApplicationError
from kernel.state import state_next
from orders.enums import OrderEventType as E
from orders.enums import OrderStatus as S

# Every allowed edge. An (status, event) pair that is not here is refused and changes nothing.
ORDER_STATE_TABLE: dict[tuple[S, E], S] = {
    # Entry: pre-trade risk either hands the order to the venue or rejects it for the record.
    (S.NEW, E.SUBMITTED): S.PENDING,
    (S.NEW, E.REJECTED): S.REJECTED,
    # Venue acknowledgement.
    (S.PENDING, E.ACCEPTED): S.OPEN,
    (S.PENDING, E.REJECTED): S.REJECTED,
    # A marketable order can fill before the venue's acknowledgement is processed.
    (S.PENDING, E.PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.PENDING, E.FILLED): S.FILLED,
    (S.PENDING, E.CANCEL_REQUESTED): S.PENDING_CANCEL,
    # An IOC/FOK order that finds nothing to trade is canceled without ever resting.
    (S.PENDING, E.CANCELED): S.CANCELED,
    (S.PENDING, E.EXPIRED): S.EXPIRED,
    # A stop triggers while resting; the status stays, the order now works at market/limit.
    (S.PENDING, E.TRIGGERED): S.PENDING,
    # Resting.
    (S.OPEN, E.PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.OPEN, E.FILLED): S.FILLED,
    (S.OPEN, E.MODIFIED): S.OPEN,
    (S.OPEN, E.CANCEL_REQUESTED): S.PENDING_CANCEL,
    (S.OPEN, E.CANCELED): S.CANCELED,
    (S.OPEN, E.EXPIRED): S.EXPIRED,
    (S.OPEN, E.TRIGGERED): S.OPEN,
    (S.PARTIALLY_FILLED, E.PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, E.FILLED): S.FILLED,
    (S.PARTIALLY_FILLED, E.MODIFIED): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, E.CANCEL_REQUESTED): S.PENDING_CANCEL,
    # The remainder of a partially filled order is canceled; its fills stay.
    (S.PARTIALLY_FILLED, E.CANCELED): S.CANCELED,
    (S.PARTIALLY_FILLED, E.EXPIRED): S.EXPIRED,
    # Fills that the venue executed before it saw the cancel request still count; a fill of the
    # whole remainder wins the race and the cancel is moot.
    (S.PENDING_CANCEL, E.PARTIALLY_FILLED): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, E.FILLED): S.FILLED,
    (S.PENDING_CANCEL, E.CANCELED): S.CANCELED,
    (S.PENDING_CANCEL, E.EXPIRED): S.EXPIRED,
}


class InvalidOrderTransition(ApplicationError):
    code = "INVALID_ORDER_STATE"
    status_code = 409


def order_next_status(*, status: str, event: str) -> S:
    """Return the status `event` moves an order in `status` to.

    Raises InvalidOrderTransition when the table has no such edge.
    """
    return state_next(
        ORDER_STATE_TABLE,
        states=S,
        events=E,
        status=status,
        event=event,
        refusal=InvalidOrderTransition,
        message=f"An order in status {status!r} cannot take event {event!r}",
    )
