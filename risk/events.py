"""Publishing `risk.changed` and `trading.state_changed` to the account's risk group on commit."""

from typing import Any

from kernel.publish import account_group, account_publish

RISK_STREAM = "risk"


def risk_group(account_id: int) -> str:
    """The channel-layer group of one account's risk events: `account.<id>.risk`."""
    return account_group(account_id, RISK_STREAM)


def risk_event_publish(*, account_id: int, event: str, data: dict[str, Any]) -> None:
    """On commit, send `{"type": "account.event", "stream": "risk", event, data}` to the group."""
    account_publish(account_id=account_id, stream=RISK_STREAM, event=event, data=data)
