"""Domain errors of risk and trading control."""

from kernel.errors import ApplicationError, ConflictError, ObjectNotFound


class TradingStopped(ConflictError):
    """The account's trading state refuses new orders (stopped or halted)."""

    code = "TRADING_STOPPED"


class TradingReduceOnly(TradingStopped):
    """The account is reduce-only and the order would not reduce its position."""

    code = "TRADING_REDUCE_ONLY"


class RiskConfigInvalid(ApplicationError):
    """A risk configuration change failed validation; details are {"fields": {name: [msg]}}."""

    code = "VALIDATION_ERROR"
    status_code = 400


class OverrideNotFound(ObjectNotFound):
    code = "OVERRIDE_NOT_FOUND"


class OverrideInvalid(ApplicationError):
    code = "VALIDATION_ERROR"
    status_code = 400


class OverrideNotPending(ConflictError):
    code = "OVERRIDE_NOT_PENDING"


class OverrideNotRevocable(ConflictError):
    code = "OVERRIDE_NOT_REVOCABLE"


class OverrideSelfApproval(ApplicationError):
    """Four-eyes: the requester of an override cannot approve it."""

    code = "OVERRIDE_SELF_APPROVAL"
    status_code = 403


class OverrideApproverLacksScope(ApplicationError):
    code = "OVERRIDE_APPROVER_LACKS_SCOPE"
    status_code = 403


class RiskConfigVersionConflict(ConflictError):
    """`version` was sent with an update and the configuration has moved on since."""

    code = "RISK_CONFIG_VERSION_CONFLICT"


class CircuitBreakerNotTripped(ApplicationError):
    code = "CIRCUIT_BREAKER_NOT_TRIPPED"
    status_code = 409
