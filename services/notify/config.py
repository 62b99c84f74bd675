"""The notify service's settings: the platform's common ones (shared.config) and its own.

The channels are the operator's: a channel is offered only when its settings are given (an SMTP
host, an SMS gateway URL, a robot's webhook, a 企业微信 application's corp id and secret).
Secrets (SMTP password, gateway token, robot secrets, the 企业微信 application secret) come from
the environment (ZGOV_SMTP_PASSWORD …), never from a file in the repo.
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from services.notify.domain.notices import Channel
from services.notify.domain.retries import RetryPolicy
from shared.config import ServiceSettings


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value else ""


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    # org 50051 … petitions 50056, notify 50057 (deploy/local/stack.py).
    grpc_port: int = Field(50057, ge=0, le=65535)
    org_address: str = Field("127.0.0.1:50051", description="the org service's gRPC address, host:port")
    org_cache_seconds: float = Field(60.0, ge=0)
    # People's contact details and bodies' designated contacts are read from Keycloak this often.
    contacts_cache_seconds: float = Field(300.0, ge=0)
    consume_events: bool = True
    # Events per fetch of each consumer: a fetch of the officers' events is planned at once
    # (consumers.py `planned`: one preferences read and one insert), so a burst drains in fewer,
    # larger transactions (shared/consumer.py's default is 10). At most what a consumer may leave unacked.
    consume_batch: int = Field(100, ge=1, le=1000)
    # Where links in messages point: the office platform's web address.
    link_base: str = Field("https://oa.ziyang.example", description="base URL of links in messages")
    # Citizens' messages (their own cases, with consent) link to the portal's follow-up pages.
    portal_link_base: str = Field(
        "https://www.ziyang.gov.cn", description="the portal's address, for citizens"
    )
    # The general office, told of trips' reports and gifts past their limits (A57, A58).
    office_code: str = "general-office"

    # The dispatcher: how often it looks for due messages when nothing woke it, and how many per round.
    dispatch_seconds: float = Field(1.0, gt=0)
    dispatch_batch: int = Field(200, ge=1, le=10_000)
    dispatch_lease_seconds: float = Field(120.0, gt=0)
    send_concurrency: int = Field(16, ge=1, le=256)
    retry_base_seconds: float = Field(30.0, gt=0)
    retry_cap_seconds: float = Field(3600.0, gt=0)
    retry_max_attempts: int = Field(8, ge=1, le=100)

    # E-mail (SMTP).
    smtp_host: str = ""
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = "notify@ziyang.example"
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_tls: bool = False
    # Kept connections (channels/smtp.py): at most this many open, each closed after this long idle
    # or this many messages. The dispatcher's sends (send_concurrency) wait for one.
    smtp_connections: int = Field(4, ge=1, le=64)
    smtp_idle_seconds: float = Field(10.0, gt=0)
    smtp_messages_per_connection: int = Field(100, ge=1)
    # SMS gateway: a JSON POST from a template with {phone} and {text} (channels/sms.py).
    sms_url: str = ""
    sms_template: str = '{"phone": "{phone}", "text": "{text}"}'
    sms_token: SecretStr | None = None
    # 企业微信 group robot webhook (…/cgi-bin/webhook/send?key=…).
    wecom_robot_url: str = ""
    # 企业微信 application messages.
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    wecom_corp_id: str = ""
    wecom_agent_id: int = 0
    wecom_secret: SecretStr | None = None
    # 钉钉 custom robot webhook (…/robot/send?access_token=…) and its signing secret (SEC…).
    dingtalk_robot_url: str = ""
    dingtalk_secret: SecretStr | None = None

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.retry_base_seconds, self.retry_cap_seconds, self.retry_max_attempts)

    def channels(self) -> frozenset[Channel]:
        """The channels this installation offers."""
        offered = {
            Channel.EMAIL: bool(self.smtp_host),
            Channel.SMS: bool(self.sms_url),
            Channel.WECOM_ROBOT: bool(self.wecom_robot_url),
            Channel.WECOM_APP: bool(self.wecom_corp_id and self.wecom_secret and self.wecom_agent_id),
            Channel.DINGTALK_ROBOT: bool(self.dingtalk_robot_url),
        }
        return frozenset(c for c, on in offered.items() if on)

    def secret(self, name: str) -> str:
        return _secret(getattr(self, name))
