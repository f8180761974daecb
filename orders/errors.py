"""Domain errors of orders."""

from kernel.errors import ApplicationError, ConflictError, ObjectNotFound


class OrderValidationError(ApplicationError):
    """An order field is missing or off the instrument's grid; `details.fields` names it."""

    code = "VALIDATION_ERROR"
    status_code = 400

    def __init__(self, fields: dict[str, list[str]]):
        first = next(iter(fields))
        super().__init__(f"{first}: {fields[first][0]}", details={"fields": fields})


class OrderNotFound(ObjectNotFound):
    code = "ORDER_NOT_FOUND"


class DuplicateClientOrderId(ConflictError):
    code = "DUPLICATE_CLIENT_ORDER_ID"


class OrderNotCancelable(ConflictError):
    code = "ORDER_NOT_CANCELABLE"


class OrderNotModifiable(ConflictError):
    code = "ORDER_NOT_MODIFIABLE"


class VersionMismatch(ApplicationError):
    code = "VERSION_MISMATCH"
    status_code = 412


class RiskRejected(ApplicationError):
    """Pre-trade checks failed; the rejected order is kept and named in `details.order_id`."""

    code = "RISK_REJECTED"
    status_code = 422


class FillRefused(ConflictError):
    """The venue reported a fill the order cannot take (larger than what remains)."""

    code = "FILL_REFUSED"


class VenueFenced(ConflictError):
    """A venue whose epoch is no longer the current one tried to act: another venue leads."""

    code = "VENUE_FENCED"


class PositionAlreadyClosing(ConflictError):
    """Working orders on the reducing side already close the whole position."""

    code = "POSITION_ALREADY_CLOSING"
