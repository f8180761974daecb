"""After-commit publishing of deployments and their signals on the account's channels."""

from analytics.models import Signal
from deployments.models import Deployment
from deployments.payloads import deployment_payload, signal_payload
from kernel.publish import account_publish

DEPLOYMENTS_STREAM = "deployments"
SIGNALS_STREAM = "signals"


def deployment_publish(*, deployment: Deployment, event: str) -> None:
    """On commit, send `deployment.<event>` with the deployment to `account.<id>.deployments`."""
    account_publish(
        account_id=deployment.account_id,
        stream=DEPLOYMENTS_STREAM,
        event=f"deployment.{event}",
        data=deployment_payload(deployment),
    )


def signal_publish(*, signal: Signal, deployment: Deployment) -> None:
    """On commit, send `signal.recorded` with the signal to `account.<id>.signals`."""
    account_publish(
        account_id=signal.account_id,
        stream=SIGNALS_STREAM,
        event="signal.recorded",
        data={**signal_payload(signal), "deployment": deployment.pk},
    )
