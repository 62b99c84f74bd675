"""An SMS gateway's HTTP API: a JSON POST made from the operator's template.

The template is JSON with the placeholders "{phone}" and "{text}" inside string values, e.g.
`{"mobile": "{phone}", "content": "【资阳市政府】{text}", "sign": "zgov"}`; an optional bearer token
goes in the Authorization header. Any 2xx answer counts as taken.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from services.notify.channels import Message
from services.notify.channels.http import post_json

DEFAULT_TEMPLATE = '{"phone": "{phone}", "text": "{text}"}'
SMS_LIMIT = 300  # characters: long texts are cut, the link is kept


def fill(template: str, phone: str, text: str) -> dict:
    """The template with its placeholders replaced inside the parsed JSON (so no escaping issue)."""

    def walk(value):
        if isinstance(value, str):
            return value.replace("{phone}", phone).replace("{text}", text)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(json.loads(template))


def short_text(message: Message) -> str:
    body = f"{message.title}：{message.text}"
    if message.link and message.link not in body:
        body += f" {message.link}"
    return body if len(body) <= SMS_LIMIT else body[: SMS_LIMIT - 1] + "…"


@dataclass(frozen=True)
class SmsSender:
    client: httpx.AsyncClient
    url: str
    template: str = DEFAULT_TEMPLATE
    token: str = ""

    async def send(self, address: str, message: Message) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        await post_json(
            self.client, self.url, fill(self.template, address, short_text(message)), headers=headers
        )
