"""The portal's settings: the platform's common ones (shared.config) and its own.

The portal has no NATS of its own: it is a web front of the services it calls over gRPC. Its
database only holds what its replicas share (sessions, logins in progress, rate limits: store.py);
without ZGOV_DATABASE_URL those stay in the process (one replica only: development).
"""

from pydantic import Field, SecretStr, field_validator

from shared.config import ServiceSettings


class PortalSettings(ServiceSettings):
    service_name: str = "portal"
    database_url: str = ""
    nats_url: str = ""
    # Not served (the portal answers HTTP); kept so the common settings stay the same everywhere.
    grpc_port: int = Field(0, ge=0, le=65535)
    http_host: str = Field("127.0.0.1", description="address the HTTP server binds")
    http_port: int = Field(8000, ge=0, le=65535, description="port of the pages and the JSON API")
    # The address citizens' browsers use (for the login redirect back to /auth/callback).
    public_url: str = Field("http://127.0.0.1:8000", description="the portal's address as browsers see it")
    # Keycloak as browsers reach it, when it differs from ZGOV_KEYCLOAK_URL (the back channel).
    keycloak_public_url: str = ""
    petitions_address: str = Field("127.0.0.1:50056", description="the petitions service, host:port")
    disclosure_address: str = Field("127.0.0.1:50055", description="the disclosure service, host:port")
    org_address: str = Field("127.0.0.1:50051", description="the org service (names of organisations)")
    # Citizens' consent to be told of their own cases (consent_pages.py); empty: not offered.
    notify_address: str = Field("", description="the notify service, host:port")
    # Signs the session cookie and the CSRF tokens. Unset: derived from the client secret (or random
    # per process when that is unset too, which logs everybody out on restart).
    session_secret: SecretStr | None = None
    # Idle lifetime of a logged-in session, seconds.
    session_idle_seconds: int = Field(1800, ge=60)
    # Cookies only over HTTPS (set on every deployment behind TLS).
    secure_cookies: bool = False
    # Behind a reverse proxy: take the visitor's address from the last X-Forwarded-For entry.
    trust_forwarded_for: bool = False
    # Writes (petitions, applications, comments, follow-ups by code) per visitor address: a token
    # bucket of `write_burst` tokens refilled at `writes_per_minute`.
    write_burst: int = Field(5, ge=1)
    writes_per_minute: float = Field(6.0, gt=0)
    # 《政府网站发展指引》(国办发〔2017〕47号): what the footer and the meta tags show, as the operator fills it.
    site_name: str = Field("资阳市人民政府", description="网站名称 (meta SiteName)")
    site_domain: str = Field("www.ziyang.gov.cn", description="网站域名 (meta SiteDomain)")
    site_id_code: str = Field("", description="网站标识码 (meta SiteIDCode), e.g. 5120000001")
    site_organiser: str = Field("资阳市人民政府办公室", description="主办单位")
    site_address: str = Field("", description="主办单位地址")
    site_phone: str = Field("", description="主办单位联系电话")
    site_email: str = Field("", description="联系邮箱")
    site_icp: str = Field("", description="ICP备案号, e.g. 蜀ICP备XXXXXXXX号")
    site_police_record: str = Field("", description="公安机关备案号, e.g. 川公网安备 XXXXXXXXXXXXXX号")
    site_conac_url: str = Field("", description="党政机关网站标识 (开办主体认证) link")
    site_error_report_url: str = Field("https://zfwzzc.www.gov.cn/", description="政府网站找错")
    # A filing's receipt page (its address bookmarkable) is kept this many days.
    receipt_days: float = Field(7.0, gt=0, le=90)
    # A38 open data: a generated download is kept this long before it is made again from live data.
    open_data_cache_seconds: float = Field(600.0, ge=0)
    # Deadline of one backend call, seconds.
    backend_timeout: float = Field(10.0, gt=0)
    # After a backend failed to answer (down, or past the deadline), the portal's own calls to that
    # service (anonymous visitors' pages) fail at once for this long instead of waiting again; 0: never.
    backend_backoff_seconds: float = Field(3.0, ge=0)
    # How old the last whole public page may be to stand in for one a failing backend left incomplete.
    portal_stale_seconds: float = Field(600.0, ge=0)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # Replaces the common check of the same name: the portal may run without a database.
        if value and not value.startswith("postgresql+asyncpg://"):
            raise ValueError("must start with postgresql+asyncpg://")
        return value

    @property
    def browser_keycloak_url(self) -> str:
        return (self.keycloak_public_url or self.keycloak_issuer_url or self.keycloak_url).rstrip("/")
