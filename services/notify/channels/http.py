"""One shared HTTP client for the gateways and webhooks, and their common failure handling."""

from __future__ import annotations

import httpx

from services.notify.channels import SendFailed


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: dict,
    *,
    params: dict | None = None,
    headers: dict | None = None,
    errcode: bool = False,
) -> dict:
    """POST JSON; a transport error, a non-2xx status or (for 企业微信 and 钉钉) a non-zero
    `errcode` in the answer is a failed send."""
    if params:  # beside the query the URL already has (a robot's access_token or key)
        url = str(httpx.URL(url).copy_merge_params(params))
    try:
        response = await client.post(url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise SendFailed(f"{url}: {exc.__class__.__name__} {exc}") from exc
    if response.status_code >= 300:
        raise SendFailed(f"{url}: HTTP {response.status_code} {response.text[:200]}")
    try:
        answer = response.json() if response.content else {}
    except ValueError:
        answer = {}
    if errcode and answer.get("errcode", 0) != 0:
        raise SendFailed(f"{url}: errcode {answer.get('errcode')} {answer.get('errmsg', '')}")
    return answer
