"""System endpoints over every kind of credential."""

import pytest
from trading_client.errors import NotAuthenticatedError


def test_health_needs_no_credential(server):
    assert server.client(None).system.health().status == "ok"


@pytest.mark.parametrize(
    ("key", "scheme"), [("demo", "simple"), ("demo-hmac", "hmac"), ("async", "ed25519")]
)
def test_me_with_each_key_scheme(server, key, scheme):
    me = server.client(key).system.me()

    assert me.credential.type == "api_key"
    assert me.credential.scheme == scheme
    assert me.credential.key_id == server.keys[key]["key_id"]
    assert me.user.username == "it-admin"
    assert [a.id for a in me.accounts] == [server.keys[key]["account"]]


def test_status_reports_the_run_mode_and_its_engine(server):
    status = server.client("demo").system.status()

    assert status.mode == ("services" if server.services else "embedded")
    assert status.engine.state == "running"
    assert status.engine.started_at.tzinfo is not None
    assert status.connections.database == "up"
    # Embedded: tasks run in the server's process; services: a Celery worker answers its ping.
    assert status.connections.workers.state == ("up" if server.services else "in-process")


def test_without_a_credential_the_server_says_not_authenticated(server):
    with pytest.raises(NotAuthenticatedError) as caught:
        server.client(None).system.me()

    assert caught.value.status == 401
    assert caught.value.request_id
