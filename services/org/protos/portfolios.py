"""A leader's portfolio (分管, A8) on the wire. No rules."""

from __future__ import annotations

from zgov.common.v1 import common_pb2
from zgov.org.v1 import org_pb2


def portfolio_to_proto(leader: str, codes: list[str], row) -> org_pb2.Portfolio:
    p = org_pb2.Portfolio(leader_user_id=leader, organisation_codes=codes, matters=row.matters)
    p.updated_at.FromDatetime(row.updated_at)
    by = row.updated_by or {}
    p.updated_by.CopyFrom(common_pb2.Actor(user_id=by.get("user_id", ""), username=by.get("username", "")))
    return p
