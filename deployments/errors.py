"""Domain errors of deployments."""

from kernel.errors import ApplicationError, ObjectNotFound


class DeploymentNotFound(ObjectNotFound):
    code = "DEPLOYMENT_NOT_FOUND"


class DeploymentValidationError(ApplicationError):
    """A field or strategy parameter is invalid; `details.fields` names each."""

    code = "VALIDATION_ERROR"
    status_code = 400

    def __init__(self, fields: dict[str, list[str]]):
        first = next(iter(fields))
        super().__init__(f"{first}: {fields[first][0]}", details={"fields": fields})
