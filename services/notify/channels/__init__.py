"""The channels an operator configures (发送渠道): each sends one message to one address and raises
SendFailed when the far end did not take it. Which channels exist is decided by the settings
(config.py): a channel without its settings is not offered, and a message is not planned on it.

| channel         | address                | far end                                                   |
| --------------- | ---------------------- | --------------------------------------------------------- |
| email           | e-mail address         | an SMTP server (aiosmtplib; STARTTLS or TLS as configured) |
| sms             | mobile number          | the SMS gateway's HTTP API: a JSON POST from a template    |
| wecom-robot     | mobile number (@)      | 企业微信 group robot webhook (text, mentioned_mobile_list) |
| wecom-app       | 企业微信 user id        | 企业微信 gettoken + message/send (text, agentid)           |
| dingtalk-robot  | mobile number (@)      | 钉钉 robot webhook, signed (timestamp + HMAC-SHA256)        |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class SendFailed(Exception):
    """The far end did not take the message (refused, unreachable, an error code in its answer)."""


@dataclass(frozen=True)
class Message:
    title: str
    text: str
    link: str

    def plain(self) -> str:
        return f"{self.title}\n{self.text}" + (
            f"\n{self.link}" if self.link and self.link not in self.text else ""
        )


class Sender(Protocol):
    async def send(self, address: str, message: Message) -> None: ...
