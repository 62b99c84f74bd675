"""The portal's own tables: what every replica must see alike (several replicas behind one Service).

- portal_sessions (市民会话): a logged-in citizen's tokens by visitor id, encrypted at rest;
- portal_pending_logins (待完成登录): the PKCE verifier, state and nonce of a login on its way
  through Keycloak, so the callback may land on any replica;
- portal_rate_buckets (限流桶): one token bucket per visitor address and kind of write, shared,
  so N replicas do not allow N times the limit;
- portal_receipts (回执): what a filing answered (number, query code), sealed, by a random token in
  the receipt's address, so the page after the Post/Redirect/Get is the same on any replica
  (migration 0002).
Rows expire: `store.forget_expired` deletes them (one replica's sweep, shared/sweep.py).
"""

from sqlalchemy import Column, DateTime, Float, LargeBinary, PrimaryKeyConstraint, String, Table

from shared.db import make_metadata

metadata = make_metadata()

sessions = Table(
    "portal_sessions",
    metadata,
    Column("sid", String(64), primary_key=True),
    # the CitizenSession (names and tokens), JSON encrypted with a key derived from the session secret
    Column("sealed", LargeBinary, nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False, index=True),
)

pending_logins = Table(
    "portal_pending_logins",
    metadata,
    Column("sid", String(64), primary_key=True),
    Column("sealed", LargeBinary, nullable=False),
    Column("started", DateTime(timezone=True), nullable=False, index=True),
)

rate_buckets = Table(
    "portal_rate_buckets",
    metadata,
    Column("address", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("tokens", Float, nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False, index=True),
    PrimaryKeyConstraint("address", "kind"),
)

receipts = Table(
    "portal_receipts",
    metadata,
    Column("token", String(64), primary_key=True),
    # store.Receipt as JSON, encrypted like the sessions (it holds a query code)
    Column("sealed", LargeBinary, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False, index=True),
)
