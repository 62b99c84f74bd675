"""钉钉 (DingTalk) custom robot webhook, signed, in its documented format.

Signing (加签): timestamp = milliseconds since the epoch; sign = urlencode(base64(HMAC-SHA256(
key=secret, msg=f"{timestamp}\\n{secret}"))); both go as query parameters beside the webhook's
access_token. Body: {"msgtype": "text", "text": {"content": ...}, "at": {"atMobiles": [mobile],
"isAtAll": false}}; taken when it answers {"errcode": 0}.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

import httpx

from services.notify.channels import Message
from services.notify.channels.http import post_json


def signature(secret: str, timestamp_ms: int) -> str:
    """The base64 HMAC-SHA256 of "timestamp\\nsecret" (httpx url-encodes it as a parameter)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class DingtalkRobotSender:
    client: httpx.AsyncClient
    webhook_url: str
    secret: str = ""

    async def send(self, address: str, message: Message) -> None:
        params = {}
        if self.secret:
            stamp = int(time.time() * 1000)
            params = {"timestamp": str(stamp), "sign": signature(self.secret, stamp)}
        body = {
            "msgtype": "text",
            "text": {"content": f"{message.plain()} @{address}"},
            "at": {"atMobiles": [address], "isAtAll": False},
        }
        await post_json(self.client, self.webhook_url, body, params=params, errcode=True)
