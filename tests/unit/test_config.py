"""Service configuration from ZGOV_ environment variables (shared.config)."""

from pathlib import Path

import pytest
from pydantic import Field, ValidationError

import shared.config
from shared.config import ServiceSettings, settings_for, variables

BASE = {
    "ZGOV_DATABASE_URL": "postgresql+asyncpg://org:pw@127.0.0.1:5432/org",
    "ZGOV_NATS_URL": "nats://127.0.0.1:4222",
    "ZGOV_KEYCLOAK_URL": "http://127.0.0.1:8080/",
    "ZGOV_GRPC_PORT": "50061",
}


@pytest.fixture
def env(monkeypatch):
    for variable, *_ in variables():
        monkeypatch.delenv(variable, raising=False)
    for key, value in BASE.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


def test_reads_environment_with_defaults(env):
    settings = settings_for("org")
    assert settings.service_name == "org"
    assert settings.client_id == "org"  # defaults to the service name
    assert settings.keycloak_realm == "zgov"
    assert settings.keycloak_url == "http://127.0.0.1:8080"  # trailing slash dropped
    assert settings.issuer == "http://127.0.0.1:8080/realms/zgov"
    assert settings.grpc_address == "127.0.0.1:50061"
    assert settings.grpc_port == 50061
    assert settings.otlp_endpoint is None and settings.calendar_dir is None
    assert settings.client_secret is None
    assert settings.log_level == "INFO"


def test_optional_variables(env, tmp_path):
    env.setenv("ZGOV_SERVICE_NAME", "meetings")
    env.setenv("ZGOV_CLIENT_ID", "meetings-api")
    env.setenv("ZGOV_CLIENT_SECRET", "s3cret")
    env.setenv("ZGOV_OTLP_ENDPOINT", "http://127.0.0.1:4317")
    env.setenv("ZGOV_LOG_LEVEL", "debug")
    env.setenv("ZGOV_CALENDAR_DIR", str(tmp_path))
    env.setenv("ZGOV_SOMETHING_ELSE", "ignored")
    settings = ServiceSettings()
    assert settings.service_name == "meetings"
    assert settings.client_id == "meetings-api"
    assert settings.client_secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.otlp_endpoint == "http://127.0.0.1:4317"
    assert settings.log_level == "DEBUG"
    assert settings.calendar_dir == Path(tmp_path)


def test_empty_optional_variable_means_unset(env):
    env.setenv("ZGOV_OTLP_ENDPOINT", "")
    assert settings_for("org").otlp_endpoint is None


def test_missing_and_wrong_variables_are_named(env):
    env.delenv("ZGOV_NATS_URL")
    env.setenv("ZGOV_DATABASE_URL", "postgresql://org@localhost/org")
    with pytest.raises(ValidationError) as err:
        settings_for("org")
    text = str(err.value)
    assert "nats_url" in text and "database_url" in text and "postgresql+asyncpg://" in text


@pytest.mark.parametrize(
    ("variable", "value"),
    [("ZGOV_LOG_LEVEL", "LOUD"), ("ZGOV_GRPC_PORT", "70000"), ("ZGOV_KEYCLOAK_URL", "keycloak:8080")],
)
def test_bad_values_are_refused(env, variable, value):
    env.setenv(variable, value)
    with pytest.raises(ValidationError):
        settings_for("org")


def test_keyword_overrides_win(env):
    assert settings_for("org", grpc_port=0).grpc_port == 0
    with pytest.raises(ValidationError):
        settings_for("Org Service")


def test_a_service_adds_its_own_settings(env):
    class OrgSettings(ServiceSettings):
        relay_batch: int = Field(100, description="outbox rows per relay round")

    env.setenv("ZGOV_RELAY_BATCH", "7")
    settings = settings_for("org", OrgSettings)
    assert settings.relay_batch == 7
    assert ("ZGOV_RELAY_BATCH", False, "100", "outbox rows per relay round") in variables(OrgSettings)


def test_every_variable_is_documented_in_the_module_docstring():
    for variable, _required, _default, meaning in variables():
        assert variable in shared.config.__doc__, variable
        assert meaning, variable


def test_the_nats_user_seed_is_a_secret_of_a_user_key(env, capsys):
    from deploy.local.nats_auth import new_seed

    seed = new_seed()
    env.setenv("ZGOV_NATS_NKEY_SEED", seed)
    env.setenv("ZGOV_NATS_CA_FILE", "/etc/zgov/nats-ca/ca.crt")
    settings = settings_for("org")
    assert settings.nats_nkey_seed.get_secret_value() == seed and seed not in repr(settings)
    assert settings.nats_ca_file == Path("/etc/zgov/nats-ca/ca.crt")
    shared.config._print_environment()
    assert seed not in capsys.readouterr().out
    env.setenv(
        "ZGOV_NATS_NKEY_SEED", "SAAGOFYEYZFOXEHJWQKRMEXZBDDC6BLCOYWBBBMSTHFW3GQMJHNMWKMNOU"
    )  # an account's
    with pytest.raises(ValidationError, match="starts with SU"):
        settings_for("org")
    env.setenv("ZGOV_NATS_NKEY_SEED", "")
    assert settings_for("org").nats_nkey_seed is None
