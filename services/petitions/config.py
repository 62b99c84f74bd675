"""The petitions service's settings: the platform's common ones (shared.config) and its own."""

from pydantic import Field, SecretStr, model_validator

from shared.config import ServiceSettings


class PetitionsSettings(ServiceSettings):
    service_name: str = "petitions"
    grpc_port: int = Field(50056, ge=0, le=65535)
    # The petition bureau (信访局): its officers register, triage and see every case in full.
    bureau_organisation_code: str = Field("petition-bureau", pattern=r"^[a-z][a-z0-9-]{1,63}$")
    # 回避 (A71): a petition about one of these bodies is handled by the body named, never by the body
    # complained about; the bureau itself must be here (JSON in the environment, e.g.
    # ZGOV_ROUTES_ABOVE='{"petition-bureau": "general-office", "general-office": "city-government"}').
    routes_above: dict[str, str] = Field(default_factory=lambda: {"petition-bureau": "general-office"})
    # How often the overdue sweep looks for cases past their limit, and how many it takes per round.
    overdue_sweep_seconds: float = Field(300.0, gt=0)
    overdue_sweep_batch: int = Field(1000, ge=1, le=100_000)
    # The org service: which organisations exist, who holds a leader's position, who acts for whom.
    org_address: str = Field("127.0.0.1:50051", description="the org service's gRPC address, host:port")
    org_cache_seconds: float = Field(60.0, ge=0)
    # Key of the hashes that recognise a repeat petitioner (domain.person_keys). Unset: the client
    # secret is used; set it explicitly before rotating that secret, or earlier keys stop matching.
    person_key_secret: SecretStr | None = None
    # Administrative reconsideration (A69): the office that handles it (行政复议机构), the statutory
    # numbers as a JSON file an operator edits (domain/reconsiderations.py ReconsiderationLimits; unset:
    # the 2023 law's), and how often its overdue sweep runs.
    reconsideration_office_code: str = Field("justice-bureau", pattern=r"^[a-z][a-z0-9-]{1,63}$")
    reconsideration_limits_file: str = ""
    reconsideration_sweep_seconds: float = Field(300.0, gt=0)

    def person_key(self) -> bytes:
        secret = self.person_key_secret or self.client_secret
        return (secret.get_secret_value() if secret else "zgov-petitions").encode()

    @model_validator(mode="after")
    def _bureau_is_routed_above(self):
        if self.bureau_organisation_code not in self.routes_above:
            raise ValueError(
                f"routes_above must name who handles petitions about {self.bureau_organisation_code}"
            )
        if any(body == above for body, above in self.routes_above.items()):
            raise ValueError("routes_above cannot route a body's petitions to that body")
        return self
