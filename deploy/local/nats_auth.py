"""Who may do what on the event bus (事件总线): one NATS user per service, with exactly the rights it needs.

A user is an NKEY (an Ed25519 key pair: the server keeps the public key `U...`, the service keeps the
seed `SU...`; the seed never travels, NATS asks the client to sign a nonce). Its permissions:

- publish its own events, `<service>.>`, and nothing else of the platform's;
- the JetStream API for its own stream only (`$JS.API.STREAM.INFO|CREATE|UPDATE.<STREAM>`: the
  service declares it at start, shared/streams.py);
- for each consumer it runs (deploy/nats/streams.yaml `consumers`, `<service>-<purpose>`): create
  exactly that consumer with exactly its filter, pull its next messages,
  acknowledge them (`$JS.ACK.<STREAM>.<consumer>.>`) and read its info (the metrics' consumer lag);
  no other consumer, so no other stream;
- publish the head of its hash chain of recorded acts on `audit.<service>.anchored`, and create and
  read (never update, purge or delete) the stream that keeps those anchors, `AUDIT_<SERVICE>`
  (`$JS.API.STREAM.INFO|CREATE|MSG.GET.AUDIT_<SERVICE>`; shared/audit_anchor.py);
- subscribe only to its own inbox `_INBOX.<service>.>` (shared/bus.py sets the prefix), where
  publish acks and pulled messages arrive, so no user reads another's replies.

Anything else (a subject of another service, `$JS.API.STREAM.DELETE`, a consumer of a stream it
does not consume, a plain subscription to `documents.>`) is a permissions violation: the server
drops it and tells the client. A client without a known NKEY cannot connect at all.

    users = [service_user(name, public_key(seed)) for name, seed in seeds.items()]
    Nats(data_dir, port, users=users).start()        # writes nats.conf with `authorization`

For an operator's NATS: `python -m deploy.local.nats_auth seed` prints a new seed (for a service's
Secret); `python -m deploy.local.nats_auth authorization documents=documents.nk org=U... ...` prints
the server's `authorization` block, public keys only (e.g. for the zgov-infra chart's `config.merge`).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import nkeys
import yaml

from shared.audit_anchor import anchor_stream, anchor_subject
from shared.bus import inbox_prefix
from shared.streams import stream_name

STREAMS_DOC = Path(__file__).resolve().parents[2] / "deploy" / "nats" / "streams.yaml"
SEED_FILE_MODE = 0o600


@dataclass(frozen=True)
class NatsUser:
    """One NATS user: its public NKEY and what it may publish and subscribe to."""

    name: str
    public_key: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]

    def authorization_entry(self) -> dict:
        """The user as nats-server's configuration writes it (JSON is valid NATS configuration)."""
        return {
            "nkey": self.public_key,
            "permissions": {
                "publish": {"allow": list(self.publish)},
                "subscribe": {"allow": list(self.subscribe)},
            },
        }


@dataclass(frozen=True)
class Consumer:
    """A durable consumer a service runs on another service's stream."""

    name: str
    stream: str
    filter: str

    @property
    def service(self) -> str:
        """Consumers are named <consuming service>-<purpose> (streams.yaml)."""
        return self.name.split("-", 1)[0]


def bus_services(doc: Path = STREAMS_DOC) -> list[str]:
    """The services that publish events: one stream each (ORG → org)."""
    return [s["name"].lower() for s in yaml.safe_load(doc.read_text())["streams"]]


def bus_users(doc: Path = STREAMS_DOC) -> list[str]:
    """Every service with a NATS user: those that publish (a stream each) and those that only consume
    (notify: its consumers are its only rights besides its inbox)."""
    publishers = bus_services(doc)
    return publishers + sorted({c.service for c in declared_consumers(doc)} - set(publishers))


def declared_consumers(doc: Path = STREAMS_DOC) -> list[Consumer]:
    return [
        Consumer(c["name"], c["stream"], c["filter"])
        for c in yaml.safe_load(doc.read_text()).get("consumers") or []
    ]


def consumer_rights(consumer: Consumer) -> list[str]:
    """The subjects one durable pull consumer needs to be declared, pulled from, acknowledged, and
    watched (its INFO: pending and redelivered counts for the metrics, shared/metrics.py)."""
    api = "$JS.API.CONSUMER"
    return [
        f"{api}.CREATE.{consumer.stream}.{consumer.name}.{consumer.filter}",
        f"{api}.MSG.NEXT.{consumer.stream}.{consumer.name}",
        f"{api}.INFO.{consumer.stream}.{consumer.name}",
        f"$JS.ACK.{consumer.stream}.{consumer.name}.>",
    ]


def anchor_rights(service: str) -> list[str]:
    """Publish its chain's head, create its anchor stream (an existing one is never updated: the
    service may not shorten how long anchors are kept) and read it back (its last anchor at start,
    every anchor for the verify command run with its credentials)."""
    stream = anchor_stream(service)
    return [
        anchor_subject(service),
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.STREAM.CREATE.{stream}",
        f"$JS.API.STREAM.MSG.GET.{stream}",
    ]


def service_user(service: str, public_key: str, consumers: list[Consumer] | None = None) -> NatsUser:
    """The NATS user of `service`: see the module docstring for what each right is for."""
    stream = stream_name(service)
    own = [c for c in (declared_consumers() if consumers is None else consumers) if c.service == service]
    publish = [
        f"{service}.>",
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.STREAM.CREATE.{stream}",
        f"$JS.API.STREAM.UPDATE.{stream}",
    ]
    publish += anchor_rights(service)
    for consumer in own:
        publish += consumer_rights(consumer)
    return NatsUser(service, public_key, tuple(publish), (f"{inbox_prefix(service)}.>",))


def admin_user(name: str, public_key: str) -> NatsUser:
    """Everything: for an operator's tools and for tests that play several services at once."""
    return NatsUser(name, public_key, (">",), (">",))


def authorization(users: list[NatsUser]) -> dict:
    return {"users": [user.authorization_entry() for user in users]}


# ---------------------------------------------------------------- keys


def new_seed() -> str:
    """A fresh user NKEY seed (SU...)."""
    return nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER).decode()


def public_key(seed: str) -> str:
    return nkeys.from_seed(bytearray(seed.strip().encode())).public_key.decode()


def seed_file(folder: Path, service: str, create: bool = True) -> Path:
    """`<folder>/<service>.nk`, created (mode 600) with a new seed if missing; kept from run to run."""
    path = folder / f"{service}.nk"
    if create and not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SEED_FILE_MODE)
        with os.fdopen(fd, "w") as f:
            f.write(new_seed() + "\n")
    path.chmod(SEED_FILE_MODE)
    return path


def read_seed(path: Path) -> str:
    return path.read_text().strip()


def _public_key_of(value: str) -> str:
    """A public key as given (U...), or the one of the seed in the file named."""
    if value.startswith("U"):
        return value
    path = Path(value)
    if path.is_file():
        return public_key(read_seed(path))
    raise SystemExit(f"{value!r}: give a public NKEY (U...) or a file holding a seed (SU...)")


def main(argv: list[str]) -> None:
    """`seed`: print a new user seed. `authorization name=<U... or seed file> ...`: print the server's
    authorization block for those services (public keys only)."""
    command, *args = argv or [""]
    if command == "seed":
        print(new_seed())
        return
    if command != "authorization" or not args:
        raise SystemExit(
            "usage: python -m deploy.local.nats_auth seed | authorization <service>=<U... or seed file> ..."
        )
    users = []
    for arg in args:
        name, _, key = arg.partition("=")
        users.append(service_user(name, _public_key_of(key)))
    print(json.dumps({"authorization": authorization(users)}, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
