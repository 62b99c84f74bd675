"""The disclosure service's settings: the platform's common ones (shared.config) and its own."""

from pydantic import Field

from shared.config import ServiceSettings


class DisclosureSettings(ServiceSettings):
    service_name: str = "disclosure"
    grpc_port: int = Field(50055, ge=0, le=65535)
    # Search: how many of the newest matches are ranked (see search.py for the trade-off).
    search_candidates: int = Field(300, ge=50, le=100_000)
    # Consume documents' events (issued, comment-opened, normative filed / cleaned up / expired).
    consume_documents: bool = True
    # A67: consume supervision's replies to suggestions and proposals (supervision.proposal.replied).
    consume_supervision: bool = True
    # Callees named by the chart's caller matrix (organisations, documents): not called yet.
    org_address: str = Field("127.0.0.1:50051", description="the org service's gRPC address, host:port")
    documents_address: str = Field("127.0.0.1:50053", description="the documents service's gRPC address")
    # Applications (art. 30): how often applications never completed are lapsed.
    application_sweep_seconds: float = Field(300.0, gt=0)
    # A70: how often concerns past their response limit (hours) are announced overdue.
    concern_sweep_seconds: float = Field(60.0, gt=0)
