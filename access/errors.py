"""Domain errors of access control."""

from kernel.errors import ApplicationError


class AccessValidationError(ApplicationError):
    """Input a service refuses; `details.fields` names the fields like a serializer would."""

    code = "VALIDATION_ERROR"
    status_code = 400

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__(f"Invalid input: {', '.join(sorted(fields))}", details={"fields": fields})


class AccountRequired(ApplicationError):
    code = "ACCOUNT_REQUIRED"
    status_code = 400


class CredentialRejected(ApplicationError):
    """A credential that does not authenticate; the API answers 401 with this `code`."""

    code = "AUTHENTICATION_FAILED"
    status_code = 401


class ApiKeyExpired(CredentialRejected):
    code = "API_KEY_EXPIRED"


class ApiKeyRevoked(CredentialRejected):
    code = "API_KEY_REVOKED"


class IpNotAllowed(CredentialRejected):
    code = "IP_NOT_ALLOWED"


class TimestampOutOfWindow(CredentialRejected):
    code = "TIMESTAMP_OUT_OF_WINDOW"


class ReplayedRequest(CredentialRejected):
    code = "REPLAYED_REQUEST"


class InvalidSignature(CredentialRejected):
    code = "INVALID_SIGNATURE"
