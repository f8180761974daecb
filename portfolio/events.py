"""After-commit publishing of balances and positions to the account's groups."""

from kernel.publish import account_publish
from portfolio.representations import balance_representation, position_representation


def position_publish(*, position) -> None:
    """On commit, publish `position.changed` to `account.<id>.positions`."""
    account_publish(
        account_id=position.account_id,
        stream="positions",
        event="position.changed",
        data=position_representation(position),
    )


def balance_publish(*, balance) -> None:
    """On commit, publish `balance.changed` to `account.<id>.balances`."""
    account_publish(
        account_id=balance.account_id,
        stream="balances",
        event="balance.changed",
        data=balance_representation(balance),
    )
