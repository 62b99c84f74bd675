"""企业微信 (WeCom): the group robot webhook and application messages, in their documented formats.

Group robot (群机器人): POST {webhook} {"msgtype": "text", "text": {"content": ...,
"mentioned_mobile_list": [mobile]}} — the person is @-mentioned in the group by mobile number.
Application message (应用消息): GET {api}/cgi-bin/gettoken?corpid=&corpsecret= → access_token
(cached until shortly before expires_in), then POST {api}/cgi-bin/message/send?access_token=
{"touser": userid, "msgtype": "text", "agentid": N, "text": {"content": ...}}. Both answer
{"errcode": 0, "errmsg": "ok"} when taken.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

from services.notify.channels import Message, SendFailed
from services.notify.channels.http import post_json


@dataclass(frozen=True)
class WecomRobotSender:
    client: httpx.AsyncClient
    webhook_url: str

    async def send(self, address: str, message: Message) -> None:
        body = {"msgtype": "text", "text": {"content": message.plain(), "mentioned_mobile_list": [address]}}
        await post_json(self.client, self.webhook_url, body, errcode=True)


@dataclass
class WecomAppSender:
    client: httpx.AsyncClient
    api_base: str
    corp_id: str
    secret: str
    agent_id: int
    _token: str = ""
    _expires: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def access_token(self) -> str:
        async with self._lock:
            if self._token and time.monotonic() < self._expires:
                return self._token
            try:
                response = await self.client.get(
                    f"{self.api_base}/cgi-bin/gettoken",
                    params={"corpid": self.corp_id, "corpsecret": self.secret},
                )
                answer = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise SendFailed(f"企业微信 gettoken: {exc}") from exc
            if answer.get("errcode", 0) != 0 or not answer.get("access_token"):
                raise SendFailed(
                    f"企业微信 gettoken: errcode {answer.get('errcode')} {answer.get('errmsg', '')}"
                )
            self._token = answer["access_token"]
            # renewed five minutes early (the documented lifetime is 7200 s)
            self._expires = time.monotonic() + max(60, int(answer.get("expires_in", 7200)) - 300)
            return self._token

    async def send(self, address: str, message: Message) -> None:
        body = {
            "touser": address,
            "msgtype": "text",
            "agentid": self.agent_id,
            "text": {"content": message.plain()},
        }
        token = await self.access_token()
        await post_json(
            self.client,
            f"{self.api_base}/cgi-bin/message/send",
            body,
            params={"access_token": token},
            errcode=True,
        )
