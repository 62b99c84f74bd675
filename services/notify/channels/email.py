"""E-mail through SMTP (aiosmtplib): one message per delivery, plain text in UTF-8."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from services.notify.channels import Message, SendFailed


@dataclass(frozen=True)
class EmailSender:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = False
    use_tls: bool = False
    timeout: float = 20.0

    async def send(self, address: str, message: Message) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = address
        mail["Subject"] = message.title
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=self.sender.partition("@")[2] or None)
        mail.set_content(message.plain())
        try:
            await aiosmtplib.send(
                mail,
                hostname=self.host,
                port=self.port,
                username=self.username or None,
                password=self.password or None,
                start_tls=self.starttls,
                use_tls=self.use_tls,
                timeout=self.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"SMTP {self.host}:{self.port}: {exc}") from exc
