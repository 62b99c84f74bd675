"""The meetings service's settings: the platform's common ones (shared.config) and its own."""

from pydantic import Field

from shared.config import ServiceSettings


class MeetingsSettings(ServiceSettings):
    service_name: str = "meetings"
    grpc_port: int = Field(50052, ge=0, le=65535)
    # Where `org` answers (who holds which position, who acts for an absent holder).
    org_address: str = Field("127.0.0.1:50051", description="the org service's gRPC address, host:port")
    # How long the position holders read from org are reused.
    org_cache_seconds: float = Field(30.0, ge=0)
    # Calendar apps poll the feeds over HTTP (feed_http): the port, and the address they reach
    # it by when that differs (behind an ingress: e.g. https://calendar.ziyang.gov.cn).
    http_host: str = Field("127.0.0.1", description="address the calendar feeds' HTTP server binds")
    http_port: int = Field(
        8052, ge=0, le=65535, description="HTTP port of the calendar feeds (0: any free port)"
    )
    feed_base_url: str = Field(
        "", description="public base URL of the calendar feeds; empty: http://<http host>:<http port>"
    )
