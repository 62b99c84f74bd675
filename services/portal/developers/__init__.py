"""The API reference for departments' integrators (开发者参考), served under /developers.

Every service, RPC, message, field, enum, the permission each RPC needs and the error reasons a
service answers, read from reference.json beside this file. That file is generated from proto/, the
servicers' `@requires` and the rules catalogue by `make reference` (deploy/local/reference.py) and
checked against them by tests/deploy/test_reference.py: the portal never needs the contracts themselves.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse

from services.portal.web import PageError, PortalDep, VisitorDep, render

REFERENCE = Path(__file__).parent / "reference.json"
router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=1)
def reference() -> dict:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


def types_used_by(service: dict, types: dict[str, dict]) -> list[dict]:
    """The messages and enums a service's RPCs carry, transitively, in the order they are first met."""
    seen: dict[str, dict] = {}
    pending = [name for rpc in service["rpcs"] for name in (rpc["request"], rpc["response"])]
    while pending:
        name = pending.pop(0)
        if name in seen or name not in types:
            continue
        seen[name] = types[name]
        pending += [f["type"] for f in types[name].get("fields", [])]
    return list(seen.values())


@router.get("/developers", response_class=HTMLResponse)
async def index(portal: PortalDep, visitor: VisitorDep):
    ref = reference()
    return render(
        portal,
        visitor,
        "developers/index.html",
        services=ref["services"],
        common_reasons=ref["common_reasons"],
    )


@router.get("/developers/reference.json")
async def reference_json():
    return JSONResponse(reference())


@router.get("/developers/{name}", response_class=HTMLResponse)
async def service_page(name: str, portal: PortalDep, visitor: VisitorDep):
    ref = reference()
    service = next((s for s in ref["services"] if s["name"] == name), None)
    if service is None:
        raise PageError(404, "没有这个接口", f"没有名为 {name[:80]} 的服务。请从开发者参考首页进入。")
    return render(
        portal,
        visitor,
        "developers/service.html",
        service=service,
        types=types_used_by(service, ref["types"]),
        known=set(ref["types"]),
        example=ref["examples"].get(service["platform_service"], ""),
        common_reasons=ref["common_reasons"],
    )
