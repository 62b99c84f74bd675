"""JetStream replicas are configuration, and start-up never lowers what an operator set (shared/streams.py).

A single test NATS server cannot hold a stream of more than one replica (JetStream refuses R>1
outside a cluster), so the rule is proven on its pure part; the chart test checks the setting
reaches every service (ZGOV_STREAM_REPLICAS).
"""

from shared import streams
from shared.config import settings_for


def test_declared_replicas_reach_the_stream_config():
    assert streams.stream_config("org", replicas=3).num_replicas == 3


def test_start_up_raises_replicas_to_the_declared_count():
    assert streams.settled_replicas(3, 1) == 3


def test_start_up_never_lowers_replicas_an_operator_raised():
    assert streams.settled_replicas(1, 3) == 3
    assert streams.settled_replicas(1, None) == 1


def test_stream_replicas_setting_defaults_to_one_and_is_read_from_the_environment(monkeypatch):
    common = dict(
        database_url="postgresql+asyncpg://u@h/d",
        nats_url="nats://h:4222",
        keycloak_url="http://k",
        grpc_port=1,
    )
    assert settings_for("org", **common).stream_replicas == 1
    monkeypatch.setenv("ZGOV_STREAM_REPLICAS", "3")
    monkeypatch.setenv("ZGOV_DB_POOL_SIZE", "4")
    settings = settings_for("org", **common)
    assert settings.stream_replicas == 3 and settings.db_pool_size == 4
