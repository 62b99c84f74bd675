"""The hash chain of recorded acts (审计记录哈希链): linking an act, and verifying a chain.

Each act's hash covers its content, its place in the chain and the hash of the act before it:

    chain_hash = H(canonical JSON of {seq, id, subject_ref, act, actor, at, reason, prev_hash, algorithm})

with H = SHA-256 or SM3 (the row names which). The first act's predecessor is GENESIS. Altering
a row changes its hash; deleting one leaves a gap in `chain_seq` and a `prev_hash` that names no
predecessor; a row slipped in by hand carries no link at all. `first_break` walks a chain and
names the first of these; `python -m shared.audit verify --service org` runs it on a database, and
checks it against the anchors of its head kept on NATS (shared/audit_anchor.py): a chain rewritten
from an altered act on, or cut short, is whole but contradicts the anchors published before.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ALGORITHMS = ("sha256", "sm3")
DEFAULT_ALGORITHM = "sha256"
# The operator's choice of hash for new acts: sha256 (default) or sm3 (国密 GB/T 32905-2016).
ALGORITHM_ENV = "ZGOV_AUDIT_HASH"
GENESIS = "0" * 64

# Each service's chain migration (00NN_audit_hash_chain.py) runs these, then `rechain`.
ADD_CHAIN_COLUMNS = (
    "ALTER TABLE audit_record ADD COLUMN chain_seq BIGINT, ADD COLUMN prev_hash VARCHAR(64),"
    " ADD COLUMN chain_hash VARCHAR(64), ADD COLUMN chain_algorithm VARCHAR(8)",
    "ALTER TABLE audit_record ADD CONSTRAINT uq_audit_record_chain_seq UNIQUE (chain_seq)",
)
DROP_CHAIN_COLUMNS = (
    "ALTER TABLE audit_record DROP COLUMN chain_seq, DROP COLUMN prev_hash, DROP COLUMN chain_hash,"
    " DROP COLUMN chain_algorithm",
)


class UnknownAlgorithm(ValueError):
    """The configured or recorded hash algorithm is not one the platform knows or this OpenSSL has."""


def configured_algorithm() -> str:
    algorithm = os.environ.get(ALGORITHM_ENV, DEFAULT_ALGORITHM).strip().lower() or DEFAULT_ALGORITHM
    digest(algorithm, b"")  # refuse an unusable choice at the first act, not at verify time
    return algorithm


def digest(algorithm: str, data: bytes) -> str:
    """Hex digest; SM3 comes from the OpenSSL hashlib is linked to (OpenSSL 1.1.1+ has it)."""
    if algorithm not in ALGORITHMS:
        raise UnknownAlgorithm(f"hash algorithm {algorithm!r} is not one of {', '.join(ALGORITHMS)}")
    try:
        return hashlib.new(algorithm, data).hexdigest()
    except ValueError as exc:
        raise UnknownAlgorithm(f"this Python's OpenSSL has no {algorithm}: {exc}") from exc


def _instant(at: datetime) -> str:
    # One spelling of an instant whatever time zone the database session uses.
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def canonical(row: Mapping[str, Any]) -> bytes:
    """The bytes an act's hash covers (keys sorted, no spaces, UTF-8)."""
    content = {
        "seq": int(row["chain_seq"]),
        "id": str(row["id"]),
        "subject_ref": row["subject_ref"],
        "act": row["act"],
        "actor": row["actor"],
        "at": _instant(row["at"]),
        "reason": row["reason"],
        "prev_hash": row["prev_hash"],
        "algorithm": row["chain_algorithm"],
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def hash_of(row: Mapping[str, Any]) -> str:
    return digest(row["chain_algorithm"], canonical(row))


def link(act: Mapping[str, Any], *, seq: int, prev_hash: str, algorithm: str) -> dict[str, Any]:
    """The act with its chain columns filled in, ready to insert."""
    row = {**act, "chain_seq": seq, "prev_hash": prev_hash, "chain_algorithm": algorithm}
    return row | {"chain_hash": hash_of(row)}


@dataclass(frozen=True)
class Break:
    """The first broken link: which act, and what is wrong with it."""

    seq: int | None
    act_id: str
    problem: str

    def __str__(self) -> str:
        where = f"act #{self.seq}" if self.seq is not None else "an act outside the chain"
        return f"{where} (id {self.act_id}): {self.problem}"


def first_break(rows: Iterable[Mapping[str, Any]]) -> Break | None:
    """Walk acts in chain order (chain_seq, unlinked rows last); the first broken link, or None."""
    expected_seq, prev_hash = 1, GENESIS
    for row in rows:
        seq, act_id = row["chain_seq"], str(row["id"])
        if seq is None or row["chain_hash"] is None:
            return Break(None, act_id, "carries no link: written outside record_act (slipped in)")
        if seq != expected_seq:
            return Break(seq, act_id, f"act #{expected_seq} is missing (deleted) before it")
        if row["prev_hash"] != prev_hash:
            return Break(seq, act_id, "its prev_hash is not the hash of the act before it")
        try:
            recomputed = hash_of(row)
        except UnknownAlgorithm as exc:
            return Break(seq, act_id, str(exc))
        if recomputed != row["chain_hash"]:
            return Break(seq, act_id, "its content no longer matches its hash (altered)")
        expected_seq, prev_hash = seq + 1, row["chain_hash"]
    return None


# ---------------------------------------------------------------- reading a database

CHAIN_ORDER_SQL = (
    "SELECT id, subject_ref, act, actor, at, reason, chain_seq, prev_hash, chain_hash, chain_algorithm"
    " FROM audit_record ORDER BY chain_seq NULLS LAST, at, id"
)


async def read_chain(database_url: str) -> list[dict[str, Any]]:
    """The audit_record rows of one database, in chain order."""
    from sqlalchemy import text

    from shared.db import create_engine

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(text(CHAIN_ORDER_SQL))]
    finally:
        await engine.dispose()


async def verify_database(database_url: str) -> tuple[int, Break | None]:
    """(number of acts, first broken link or None) of the audit_record table of one database."""
    rows = await read_chain(database_url)
    return len(rows), first_break(rows)


def rechain(conn) -> int:
    """Link every act of an existing table in (at, id) order; used by each service's chain migration.

    The append-only trigger refuses UPDATE, so the migration (run by the table's owner) lifts it for
    this one statement set and puts it back in the same transaction (`conn`: op.get_bind())."""
    from sqlalchemy import text

    rows = [
        dict(r._mapping)
        for r in conn.execute(
            text("SELECT id, subject_ref, act, actor, at, reason FROM audit_record ORDER BY at, id")
        )
    ]
    if not rows:
        return 0
    conn.execute(text("ALTER TABLE audit_record DISABLE TRIGGER audit_record_append_only"))
    prev_hash = GENESIS
    for seq, row in enumerate(rows, start=1):
        linked = link(row, seq=seq, prev_hash=prev_hash, algorithm=configured_algorithm())
        conn.execute(
            text(
                "UPDATE audit_record SET chain_seq = :chain_seq, prev_hash = :prev_hash,"
                " chain_hash = :chain_hash, chain_algorithm = :chain_algorithm WHERE id = :id"
            ),
            {k: linked[k] for k in ("id", "chain_seq", "prev_hash", "chain_hash", "chain_algorithm")},
        )
        prev_hash = linked["chain_hash"]
    conn.execute(text("ALTER TABLE audit_record ENABLE TRIGGER audit_record_append_only"))
    return len(rows)


def _endpoints(run_dir: Path) -> dict:
    endpoints = run_dir / "endpoints.json"
    return json.loads(endpoints.read_text()) if endpoints.exists() else {}


def _database_url_of(service: str, run_dir: Path) -> str:
    url = os.environ.get("ZGOV_DATABASE_URL")
    if url:
        return url
    dsns = _endpoints(run_dir).get("postgres", {})
    if service in dsns:
        return dsns[service]
    raise SystemExit(
        f"no database for {service!r}: pass --database-url, set ZGOV_DATABASE_URL"
        f" or run 'make up' (reads {run_dir / 'endpoints.json'})"
    )


def _nats_of(service: str, args: argparse.Namespace) -> tuple[str, dict] | None:
    """The NATS holding the anchors and how to connect there (a seed that may read them: the
    service's own or an operator's), or None when none is given (the chain alone is checked)."""
    # make up's NATS goes with make up's database only, not with a database named on the command line
    from_make_up = not (args.database_url or os.environ.get("ZGOV_DATABASE_URL"))
    local = _endpoints(args.run_dir).get("nats", {}) if from_make_up else {}
    url = args.nats_url or os.environ.get("ZGOV_NATS_URL") or local.get("url")
    if not url or url == "none":
        return None
    local_seed = Path(local.get("credentials", "")) / f"{service}.nk"
    if args.nats_seed_file:
        seed = args.nats_seed_file.read_text()
    elif os.environ.get("ZGOV_NATS_NKEY_SEED"):
        seed = os.environ["ZGOV_NATS_NKEY_SEED"]
    elif url == local.get("url") and local.get("credentials") and local_seed.is_file():
        seed = local_seed.read_text()  # make up's NATS: the service's own seed
    else:
        seed = ""
    options: dict[str, Any] = {"nkeys_seed_str": seed.strip()} if seed.strip() else {}
    if url.startswith("tls://"):
        from shared.bus import tls_context

        ca = os.environ.get("ZGOV_NATS_CA_FILE")
        options["tls"] = tls_context(Path(ca) if ca else None)
    return url, options


async def _verify(service: str, database_url: str, nats: tuple[str, dict] | None) -> int:
    from nats.errors import Error as NatsError

    from shared import audit_anchor

    rows = await read_chain(database_url)
    broken = first_break(rows)
    if broken is not None:
        print(f"{service}: broken chain at {broken}", file=sys.stderr)
    if nats is None:
        if broken is None:
            print(
                f"{service}: the chain of {len(rows)} recorded acts is whole (anchors not checked: no NATS)"
            )
        return 0 if broken is None else 1
    url, options = nats
    try:
        check = await audit_anchor.check_anchors(url, service, rows, **options)
    except (OSError, TimeoutError, NatsError) as exc:
        print(f"{service}: anchors not checked: cannot read them from {url} ({exc!r})", file=sys.stderr)
        return 2
    for foreign in check.foreign:
        print(f"{service}: anchor message {foreign.stream_seq} ignored: {foreign.problem}", file=sys.stderr)
    if check.contradiction is not None:
        print(f"{service}: the database contradicts an anchor: {check.contradiction}", file=sys.stderr)
    if broken is not None or check.contradiction is not None:
        return 1
    last = max((a.head.seq for a in check.anchors), default=0)
    print(
        f"{service}: the chain of {len(rows)} recorded acts is whole and agrees with its"
        f" {len(check.anchors)} anchors; acts after #{last} are covered by the chain only"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.audit", description="Verify the hash chain of a service's recorded acts."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser(
        "verify", help="walk the chain, name the first broken link and the first anchor it contradicts"
    )
    verify.add_argument("--service", required=True, help="the service whose audit_record to verify (org, …)")
    verify.add_argument("--database-url", help="its database (default: ZGOV_DATABASE_URL, else make up's)")
    verify.add_argument(
        "--nats-url",
        help="NATS keeping the anchors (default: ZGOV_NATS_URL, else make up's; 'none': the chain only)",
    )
    verify.add_argument(
        "--nats-seed-file",
        type=Path,
        help="NKEY seed of a user that may read AUDIT_<SERVICE> (default: ZGOV_NATS_NKEY_SEED, else make up's)",
    )
    verify.add_argument("--run-dir", type=Path, default=Path(".run"), help="state folder of 'make up'")
    # exit status: 0 whole and agreeing, 1 broken or contradicted, 2 anchors unreadable
    args = parser.parse_args(argv)
    url = args.database_url or _database_url_of(args.service, args.run_dir)
    return asyncio.run(_verify(args.service, url, _nats_of(args.service, args)))
