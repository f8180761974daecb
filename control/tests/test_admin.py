"""Admin: the kill switch asks for a reason and goes through the control services."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from audit.models import AuditEntry
from control.admin import ReasonForm
from orders.enums import OrderStatus
from orders.models import Order
from orders.services import order_submit
from orders.tests.helpers import fill, quote_set
from portfolio.models import Position
from risk.models import TradingState, TradingStateChange

D = Decimal
CHANGELIST = "/admin/control/tradingcontrol/"


@pytest.fixture
def staff(db):
    user = User.objects.create_superuser("ada", password="pw-not-used")
    client = Client()
    client.force_login(user)
    return user, client


def test_the_kill_switch_page_lists_accounts_with_their_state(staff, account, aapl):
    quote_set("AAPL", bid="99.99", ask="100.01")
    order_submit(
        account=account, symbol="AAPL", side="buy", order_type="limit",
        quantity=D("1"), limit_price=D("90"),
    )  # fmt: skip

    page = staff[1].get(CHANGELIST)

    assert page.status_code == 200
    text = page.content.decode()
    assert '<td class="field-state">running</td>' in text
    assert '<td class="field-open_orders">1</td>' in text
    assert '<td class="field-open_positions">0</td>' in text
    assert '<td class="field-dd_zone">normal</td>' in text
    assert 'value="stop_trading"' in text


def test_an_action_without_a_reason_asks_for_one_and_changes_nothing(staff, account):
    action = {"action": "stop_trading", "_selected_action": [account.pk]}

    first = staff[1].post(CHANGELIST, action)
    blank = staff[1].post(CHANGELIST, {**action, "apply": "1", "reason": "  "})

    assert first.status_code == 200
    assert isinstance(first.context["form"], ReasonForm)
    assert blank.context["form"].errors == {"reason": ["This field is required."]}
    assert not TradingState.objects.filter(account=account).exists()
    assert not AuditEntry.objects.filter(action="trading.state_changed").exists()


def test_stop_cancels_and_flattens_through_the_service_audited_as_the_staff_user(
    staff, account, aapl
):
    user, client = staff
    quote_set("AAPL", bid="99.99", ask="100.01")
    bought = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="market", quantity=D("10")
    )
    fill(bought, quantity="10", price="100")
    resting = order_submit(
        account=account, symbol="AAPL", side="buy", order_type="limit",
        quantity=D("1"), limit_price=D("90"),
    )  # fmt: skip

    response = client.post(
        CHANGELIST,
        {"action": "stop_trading", "_selected_action": [account.pk], "apply": "1",
         "reason": "venue outage"},
        follow=True,
    )  # fmt: skip

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        f"{account}: stopped; canceled 1 order(s), placed 1 closing order(s)."
    ]
    state = TradingState.objects.get(account=account)
    assert (state.state, state.reason, state.actor) == ("stopped", "venue outage", user)
    resting.refresh_from_db()
    assert resting.status == OrderStatus.CANCELED
    close = Order.objects.exclude(pk__in=[bought.pk, resting.pk]).get()
    assert (close.side, close.quantity) == ("sell", D("10"))
    assert Position.objects.get(account=account).quantity == D("10")  # until the close fills
    entry = AuditEntry.objects.get(action="trading.state_changed")
    assert (entry.actor_username, entry.after) == (
        "ada", {"state": "stopped", "reason": "venue outage"},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("action", "state"), [("set_reduce_only", "reduce_only"), ("start_trading", "running")]
)
def test_reduce_only_and_start_record_the_reason(staff, account, action, state):
    user, client = staff

    client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [account.pk], "apply": "1", "reason": "desk call"},
    )

    change = TradingStateChange.objects.get(account=account)
    assert (change.to_state, change.reason, change.actor) == (state, "desk call", user)
    assert AuditEntry.objects.get(action="trading.state_changed").actor_username == "ada"
