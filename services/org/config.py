"""The org service's settings: the platform's common ones (shared.config) and its own."""

from pydantic import Field

from shared.config import ServiceSettings


class OrgSettings(ServiceSettings):
    service_name: str = "org"
    grpc_port: int = Field(50051, ge=0, le=65535)
    # How often the acting clock checks for leaves that began or ended (A10, A59).
    acting_clock_seconds: float = Field(60.0, gt=0)
    # How often trips abroad are checked for a report or a gift hand-over past its limit (A57, A58).
    trip_clock_seconds: float = Field(300.0, gt=0)
    # How long position holders read from Keycloak are reused.
    directory_ttl_seconds: float = Field(30.0, ge=0)
    # How often Keycloak's admin events are copied into the audit record (0: never, e.g. in tests).
    admin_events_seconds: float = Field(30.0, ge=0)
    # Trips abroad (A57, A58): the national limits as a JSON file an operator edits
    # (domain/trips.py TripLimits; unset: the numbers of 中办发〔2013〕16号 in that module).
    trip_limits_file: str = ""
