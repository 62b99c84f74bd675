"""A service's configuration, read from the environment in one place (prefix ZGOV_).

| variable            | required | default    | meaning                                                     |
| ------------------- | -------- | ---------- | ----------------------------------------------------------- |
| ZGOV_SERVICE_NAME   | yes      |            | the service (org, meetings, documents, ...)                 |
| ZGOV_DATABASE_URL   | yes      |            | its own database, postgresql+asyncpg://user:pw@host:port/db |
| ZGOV_NATS_URL       | yes      |            | NATS with JetStream, nats://host:port (tls://host:port)     |
| ZGOV_NATS_NKEY_SEED | no       |            | the service's own NATS user: its NKEY seed (SU...)          |
| ZGOV_NATS_CA_FILE   | no       |            | CA certificate that signs the NATS server's (TLS)           |
| ZGOV_KEYCLOAK_URL   | yes      |            | Keycloak base URL, e.g. http://127.0.0.1:8080               |
| ZGOV_KEYCLOAK_ISSUER_URL| no   | = keycloak | Keycloak's public base URL, as tokens name it (iss)         |
| ZGOV_KEYCLOAK_REALM | no       | zgov       | the government's realm                                      |
| ZGOV_CLIENT_ID      | no       | = name     | the service's Keycloak client (its token audience)          |
| ZGOV_CLIENT_SECRET  | no       |            | that client's secret, for service-to-service calls          |
| ZGOV_GRPC_HOST      | no       | 127.0.0.1  | address the gRPC server binds                               |
| ZGOV_GRPC_PORT      | yes      |            | port the gRPC server listens on                             |
| ZGOV_OTLP_ENDPOINT  | no       |            | deprecated: OTEL_EXPORTER_OTLP_ENDPOINT (shared/telemetry)  |
| ZGOV_LOG_LEVEL      | no       | INFO       | DEBUG, INFO, WARNING, ERROR                                 |
| ZGOV_CALENDAR_DIR   | no       |            | folder of official holiday schedules, <year>.json each      |
| ZGOV_STREAM_REPLICAS| no       | 1          | JetStream replicas of the service's stream (3 on 3 nodes)   |
| ZGOV_DB_POOL_SIZE   | no       | 10         | PostgreSQL connections kept open per replica                |
| ZGOV_DB_POOL_OVERFLOW| no      | 5          | extra connections a replica may open at a peak              |
| ZGOV_DB_STATEMENT_CACHE| no    | true       | asyncpg's prepared statements; false behind PgBouncer       |
| ZGOV_LEADER_DATABASE_URL| no   | = database | direct (not PgBouncer) DSN: sweep leader's lock, relay's LISTEN |
| ZGOV_METRICS_PORT   | no       | 0          | Prometheus scrape endpoint (/metrics); 0: none              |
| ZGOV_AUDIT_ANCHOR_SECONDS| no  | 60         | how often the audit chain's head is anchored on NATS        |

`python -m shared.config` prints this table from the field descriptions, and the values
the current environment gives (secrets hidden). A service with settings of its own
subclasses ServiceSettings and passes the class to `settings_for`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeVar

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ServiceSettings", "settings_for", "variables"]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


class ServiceSettings(BaseSettings):
    """Environment of one service. Unknown ZGOV_ variables are ignored (other tools use them)."""

    model_config = SettingsConfigDict(env_prefix="ZGOV_", extra="ignore", frozen=True)

    service_name: str = Field(description="the service (org, meetings, documents, ...)")
    database_url: str = Field(description="its own database, postgresql+asyncpg://user:pw@host:port/db")
    nats_url: str = Field(description="NATS with JetStream, nats://host:port (tls://host:port)")
    # Unset: the service connects without credentials, which only an open NATS (a test's) accepts.
    nats_nkey_seed: SecretStr | None = Field(
        None, description="the service's own NATS user: its NKEY seed (SU...)"
    )
    nats_ca_file: Path | None = Field(None, description="CA certificate that signs the NATS server's (TLS)")
    keycloak_url: str = Field(description="Keycloak base URL, e.g. http://127.0.0.1:8080")
    # A production Keycloak has its own public hostname (its tokens' `iss`), while the services
    # reach it by an in-cluster address (the back channel: keys, tokens). Empty: the same URL.
    keycloak_issuer_url: str = Field(
        "", description="Keycloak's public base URL as its tokens name it (iss); empty: keycloak_url"
    )
    keycloak_realm: str = Field("zgov", description="the government's realm")
    client_id: str = Field(
        "", description="the service's Keycloak client (its token audience); defaults to the name"
    )
    client_secret: SecretStr | None = Field(
        None, description="that client's secret, for service-to-service calls"
    )
    grpc_host: str = Field("127.0.0.1", description="address the gRPC server binds")
    grpc_port: int = Field(ge=0, le=65535, description="port the gRPC server listens on")
    otlp_endpoint: str | None = Field(
        None, description="deprecated alias of the SDK's OTEL_EXPORTER_OTLP_ENDPOINT (shared/telemetry.py)"
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING, ERROR")
    calendar_dir: Path | None = Field(
        None, description="folder of official holiday schedules, <year>.json each"
    )
    stream_replicas: int = Field(
        1, ge=1, le=5, description="JetStream replicas of the service's stream (3 on a 3-node cluster)"
    )
    # Per replica: pool_size kept + pool_overflow at a peak; the chart README has the budget.
    db_pool_size: int = Field(10, ge=1, le=100, description="PostgreSQL connections kept open per replica")
    db_pool_overflow: int = Field(
        5, ge=0, le=100, description="extra connections a replica may open at a peak"
    )
    # PgBouncer in transaction mode hands each transaction another server connection, so a
    # statement prepared on one is unknown on the next: switch the statement cache off there.
    db_statement_cache: bool = Field(
        True, description="asyncpg's prepared statements; false behind PgBouncer"
    )
    metrics_port: int = Field(
        0, ge=0, le=65535, description="port of the Prometheus scrape endpoint (/metrics); 0: none"
    )
    # The window of acts covered by the hash chain only (SECURITY.md): at most this long.
    audit_anchor_seconds: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="how often the head of the audit chain is anchored on NATS when it moved (seconds)",
    )
    leader_database_url: str = Field(
        "",
        description="direct (not PgBouncer) DSN for the sweep leader's lock and the outbox relay's LISTEN;"
        " empty: the database URL",
    )

    @field_validator("service_name")
    @classmethod
    def _service_name(cls, value: str) -> str:
        if not SERVICE_NAME.match(value):
            raise ValueError("a lower-case name such as 'org' or 'meetings'")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # The data layer is async SQLAlchemy: a plain postgresql:// DSN would pick a sync driver.
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError("must start with postgresql+asyncpg://")
        return value

    @field_validator("keycloak_url", "keycloak_issuer_url")
    @classmethod
    def _keycloak_url(cls, value: str, info) -> str:
        # The issuer is compared exactly, so a trailing slash would reject every token.
        if info.field_name == "keycloak_issuer_url" and value == "":
            return value
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("nats_nkey_seed")
    @classmethod
    def _nats_nkey_seed(cls, value: SecretStr | None) -> SecretStr | None:
        # A user's seed starts SU; an account's (SA) or operator's (SO) would be refused by NATS
        # only at connect, with a less helpful message. The value itself is never echoed.
        if value is not None and not value.get_secret_value().strip().startswith("SU"):
            raise ValueError("must be a NATS user's NKEY seed (starts with SU)")
        return value

    @field_validator("otlp_endpoint", "calendar_dir", "nats_nkey_seed", "nats_ca_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        return None if value == "" else value

    @model_validator(mode="after")
    def _client_defaults_to_service(self) -> ServiceSettings:
        if not self.client_id:
            object.__setattr__(self, "client_id", self.service_name)
        return self

    @property
    def issuer(self) -> str:
        """The `iss` claim of the realm's tokens (the public URL)."""
        return f"{self.keycloak_issuer_url or self.keycloak_url}/realms/{self.keycloak_realm}"

    @property
    def back_channel_realm(self) -> str:
        """The realm as the service reaches it (keys, token endpoint): the back-channel URL."""
        return f"{self.keycloak_url}/realms/{self.keycloak_realm}"

    @property
    def grpc_address(self) -> str:
        return f"{self.grpc_host}:{self.grpc_port}"


Settings = TypeVar("Settings", bound=ServiceSettings)


def settings_for(
    service_name: str, settings_class: type[Settings] = ServiceSettings, **overrides
) -> Settings:
    """The settings of `service_name` from the environment; keyword overrides win (tests)."""
    return settings_class(service_name=service_name, **overrides)


def variables(settings_class: type[ServiceSettings] = ServiceSettings) -> list[tuple[str, bool, str, str]]:
    """(variable, required, default, meaning) for each field: the documentation, generated."""
    rows = []
    prefix = settings_class.model_config.get("env_prefix", "")
    for name, info in settings_class.model_fields.items():
        default = "" if info.is_required() or info.default is None else str(info.default)
        rows.append((f"{prefix}{name}".upper(), info.is_required(), default, info.description or ""))
    return rows


def _print_environment() -> None:
    import os

    for variable, required, default, meaning in variables():
        value = os.environ.get(variable)
        if value is not None and ("SECRET" in variable or "SEED" in variable):
            value = "(set)"
        shown = value if value is not None else (f"(default {default})" if default else "(unset)")
        print(f"{variable:<20} {'required' if required else 'optional':<9} {shown:<40} {meaning}")


if __name__ == "__main__":
    _print_environment()
