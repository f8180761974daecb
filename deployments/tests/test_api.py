"""The deployment endpoints: start, list, detail, pause, resume and stop, scoped and audited."""

from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from analytics.models import Signal
from audit.models import AuditEntry
from control.services import trading_stop
from deployments.component import DeploymentRunner
from deployments.models import Deployment, DeploymentDecision
from deployments.tests.helpers import HISTORY_BARS, bars_store, pass_after, pending_fill
from kernel.publish import account_group
from risk.services import trading_start

D = Decimal
pytestmark = pytest.mark.django_db
BASE = "/api/v1"
BODY = {
    "symbol": "AAPL",
    "interval": "1m",
    "parameters": {"fast": 1, "slow": 2, "allow_short": True},
    "capital": "10000",
}


def _start(client, body=None, strategy="sma_crossover"):
    return client.post(f"{BASE}/strategies/{strategy}/deployments", body or BODY, format="json")


@pytest.fixture
def history(aapl):
    bars_store(aapl, 0, HISTORY_BARS)
    return aapl


def test_start_returns_the_running_deployment_audited(trader_api, account, history):
    response = _start(trader_api)
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"].endswith(f"/api/v1/deployments/{body['id']}")
    assert body["status"] == "running"
    assert body["strategy"] == "sma_crossover"
    assert body["symbol"] == "AAPL"
    assert body["capital"] == "10000"
    assert body["parameters"] == {"fast": 1, "slow": 2, "allow_short": True}
    assert body["target"] == "flat"
    assert body["position"] == "0"
    assert body["client_order_id_prefix"] == f"dep{body['id']}-"
    entry = AuditEntry.objects.get(action="deployment.started")
    assert entry.object_id == str(body["id"])
    assert entry.account_id == account.pk
    assert entry.actor_username == "tom"


def test_start_several_symbols_makes_one_deployment_each(trader_api, history, msft):
    body = {**BODY, "symbols": ["AAPL", "MSFT"]}
    del body["symbol"]
    response = _start(trader_api, body)
    assert response.status_code == 201, response.content
    assert [d["symbol"] for d in response.json()["results"]] == ["AAPL", "MSFT"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"parameters": {"fast": 5, "slow": 2}}, "parameters.fast"),
        ({"parameters": {"speed": 1}}, "parameters.speed"),
        ({"capital": "0"}, "capital"),
        ({"risk_per_trade_pct": "1"}, "stop_loss_pct"),
        ({"stop_loss_pct": "100"}, "stop_loss_pct"),
        ({"interval": "7m"}, "interval"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field(trader_api, history, change, field):
    response = _start(trader_api, {**BODY, **change})
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]["fields"]
    assert not Deployment.objects.exists()


def test_unknown_strategy_and_symbol_are_404(trader_api, history):
    assert _start(trader_api, strategy="nope").json()["error"]["code"] == "STRATEGY_NOT_FOUND"
    response = _start(trader_api, {**BODY, "symbol": "NOPE"})
    assert response.status_code == 404
    assert not Deployment.objects.exists()


def test_reads_are_scoped_to_the_callers_account(trader_api, other_trader_api, history):
    mine = _start(trader_api).json()
    theirs = _start(other_trader_api).json()
    listed = trader_api.get(f"{BASE}/deployments").json()["results"]
    assert [d["id"] for d in listed] == [mine["id"]]
    for path in ("", "/pause", "/stop", "/resume"):
        method = trader_api.get if not path else trader_api.post
        response = method(f"{BASE}/deployments/{theirs['id']}{path}")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "DEPLOYMENT_NOT_FOUND"
    assert Deployment.objects.get(pk=theirs["id"]).status == "running"


def test_credentials_and_the_trade_scope_are_required(client, reader_api, history):
    assert client.get(f"{BASE}/deployments").status_code in (401, 403)
    assert _start(client).status_code in (401, 403)
    assert _start(reader_api).status_code == 403
    assert not Deployment.objects.exists()


def _step_with_a_new_engine() -> dict:
    """One pass of a freshly made engine component (what a restarted engine runs first)."""
    return async_to_sync(DeploymentRunner(interval_s=0.1).step)()


@pytest.mark.django_db(transaction=True)
def test_start_pause_resume_stop_across_engine_restarts(trader_api, account, history):
    # given: a running deployment that acted on bars, with a new engine each time
    deployment = _start(trader_api).json()
    bar = HISTORY_BARS
    while not DeploymentDecision.objects.exists():
        bars_store(history, bar)
        pass_after(bar)
        bar += 1
    pending_fill(account)
    decisions = DeploymentDecision.objects.count()
    # when: paused, the bars that close are not acted on, whichever engine runs
    response = trader_api.post(f"{BASE}/deployments/{deployment['id']}/pause", {"reason": "lunch"})
    assert response.status_code == 200
    assert response.json()["status"] == "paused"
    assert response.json()["status_reason"] == "lunch"
    bars_store(history, bar, 20)
    bar += 20
    _step_with_a_new_engine()
    pass_after(bar - 1)
    assert DeploymentDecision.objects.count() == decisions
    # then: resumed, it acts again from the next bar on (not on those of the pause)
    resumed = trader_api.post(f"{BASE}/deployments/{deployment['id']}/resume").json()
    assert resumed["status"] == "running"
    assert resumed["last_bar_at"].startswith(
        Deployment.objects.get(pk=deployment["id"]).last_bar_at.isoformat()[:19]
    )
    while DeploymentDecision.objects.count() == decisions:
        bars_store(history, bar)
        pass_after(bar)
        bar += 1
    assert (
        DeploymentDecision.objects.order_by("id").last().bar_at.isoformat()[:19]
        > (resumed["last_bar_at"][:19])
    )
    # and stopped, it stays stopped and places nothing more
    stopped = trader_api.post(f"{BASE}/deployments/{deployment['id']}/stop").json()
    assert stopped["status"] == "stopped"
    assert stopped["stopped_at"] is not None
    decisions = DeploymentDecision.objects.count()
    bars_store(history, bar, 20)
    _step_with_a_new_engine()
    pass_after(bar + 19)
    assert DeploymentDecision.objects.count() == decisions
    again = trader_api.post(f"{BASE}/deployments/{deployment['id']}/resume")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "INVALID_DEPLOYMENT_STATE"
    actions = list(
        AuditEntry.objects.filter(object_type="deployment")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "deployment.started",
        "deployment.paused",
        "deployment.resumed",
        "deployment.stopped",
    ]


def test_resume_is_refused_while_trading_is_stopped(trader_api, account, history):
    deployment = _start(trader_api).json()
    trading_stop(account=account, reason="kill switch")
    pass_after(HISTORY_BARS)
    detail = trader_api.get(f"{BASE}/deployments/{deployment['id']}").json()
    assert detail["status"] == "paused"
    assert detail["status_reason"] == "trading stopped"
    response = trader_api.post(f"{BASE}/deployments/{deployment['id']}/resume")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "TRADING_STOPPED"
    trading_start(account=account, reason="all clear")
    assert trader_api.post(f"{BASE}/deployments/{deployment['id']}/resume").status_code == 200


def test_status_and_signals_are_published_on_the_accounts_channels(
    trader_api, account, history, settings, django_capture_on_commit_callbacks
):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    layer = get_channel_layer()
    listeners = {}
    for stream in ("deployments", "signals"):
        listeners[stream] = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(account_group(account.pk, stream), listeners[stream])
    with django_capture_on_commit_callbacks(execute=True):
        deployment = _start(trader_api).json()
        bar = HISTORY_BARS
        while not Signal.objects.exists():
            bars_store(history, bar)
            pass_after(bar)
            bar += 1
    started = async_to_sync(layer.receive)(listeners["deployments"])
    assert started["event"] == "deployment.started"
    assert started["data"]["id"] == deployment["id"]
    recorded = async_to_sync(layer.receive)(listeners["signals"])
    signal = Signal.objects.get()
    assert recorded["event"] == "signal.recorded"
    assert recorded["data"]["id"] == signal.pk
    assert recorded["data"]["deployment"] == deployment["id"]
    # the same representation as GET /signals
    listed = trader_api.get(f"{BASE}/signals").json()["results"][0]
    assert {k: v for k, v in recorded["data"].items() if k != "deployment"} == listed
    channel_layers.backends.clear()


def test_staff_stop_a_deployment_from_the_admin_audited_as_themselves(
    trader_api, admin_client, admin_user, history
):
    deployment = _start(trader_api).json()
    response = admin_client.post(
        "/admin/deployments/deployment/",
        {"action": "stop", "_selected_action": [deployment["id"]]},
    )
    assert response.status_code == 302
    assert Deployment.objects.get(pk=deployment["id"]).status == "stopped"
    entry = AuditEntry.objects.get(action="deployment.stopped")
    assert entry.actor_username == admin_user.get_username()
    assert admin_client.get("/admin/deployments/deployment/").status_code == 200
