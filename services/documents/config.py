"""The documents service's settings: the platform's common ones (shared.config) and its own."""

from pydantic import Field

from shared.config import ServiceSettings


class DocumentsSettings(ServiceSettings):
    service_name: str = "documents"
    grpc_port: int = Field(50053, ge=0, le=65535)
    # Where the org service answers (portfolios, who may act): ZGOV_ORG_ADDRESS.
    org_address: str = "127.0.0.1:50051"
    # How long answers of org about positions and organisations are reused.
    org_cache_seconds: float = Field(30.0, ge=0)
    # How often overdue countersigns are recorded as no objection (A49).
    countersign_clock_seconds: float = Field(60.0, gt=0)
    # Whether other services' events are consumed (A61: supervision's circulars become drafts).
    consume_events: bool = True
    # A61: the issuer code of the supervision office's monthly circulars (资府督〔2026〕N号).
    circular_issuer_code: str = Field("资府督", min_length=1, max_length=8)
