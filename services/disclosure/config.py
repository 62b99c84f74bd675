"""The disclosure service's settings: the platform's common ones (shared.config) and its own."""

from pydantic import Field

from shared.config import ServiceSettings


class DisclosureSettings(ServiceSettings):
    service_name: str = "disclosure"
    grpc_port: int = Field(50055, ge=0, le=65535)
    # Search: how many of the newest matches are ranked (see search.py for the trade-off).
    search_candidates: int = Field(1000, ge=50, le=100_000)
    # Consume documents' events (issued, comment-opened, normative filed / cleaned up / expired).
    consume_documents: bool = True
