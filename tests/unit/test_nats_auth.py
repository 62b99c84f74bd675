"""The event bus's users (deploy/local/nats_auth.py): each service's rights are exactly its own, and its
consumers are the ones it runs. A real nats-server enforces them in tests/integration/test_event_bus_auth.py."""

import json
import stat

import pytest

from deploy.local import nats_auth
from services.disclosure.events import DocumentsConsumer
from services.documents.consumers import EventConsumers as DocumentsEventConsumers
from services.disclosure.events_supervision import SupervisionConsumer
from services.notify.consumers import EventConsumers as NotifyConsumers
from services.supervision.consumers import EventConsumers
from shared.audit_anchor import anchor_stream, anchor_subject
from shared.bus import connect_options, inbox_prefix
from shared.config import settings_for
from shared.streams import stream_name

SERVICES = nats_auth.bus_users()


def user(service: str) -> nats_auth.NatsUser:
    return nats_auth.service_user(service, nats_auth.public_key(nats_auth.new_seed()))


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_may_publish_only_its_own_events_and_manage_only_its_own_stream(service):
    rights = user(service).publish
    assert f"{service}.>" in rights
    assert not [r for r in rights if r in (">", "$JS.>", "$JS.API.>") or r.endswith(".*")]
    for other in SERVICES:
        if other != service:
            assert not [
                r for r in rights if r.startswith(f"{other}.") or r.endswith(f".{stream_name(other)}")
            ]
    stream_rights = [r for r in rights if r.startswith("$JS.API.STREAM.")]
    assert stream_rights == [
        *(f"$JS.API.STREAM.{verb}.{stream_name(service)}" for verb in ("INFO", "CREATE", "UPDATE")),
        *(f"$JS.API.STREAM.{verb}.{anchor_stream(service)}" for verb in ("INFO", "CREATE", "MSG.GET")),
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_A20_a_service_publishes_its_own_chain_anchors_and_may_never_update_purge_or_delete_them(service):
    """Every service records acts, notify too: each anchors its own chain's head, reads its anchors
    back, and may not shorten, purge or delete what its anchor stream keeps (shared/audit_anchor.py)."""
    rights = user(service).publish
    assert anchor_subject(service) in rights
    assert not [r for r in rights if r.startswith("audit.") and r != anchor_subject(service)]
    for verb in ("UPDATE", "PURGE", "DELETE", "MSG.DELETE"):
        assert f"$JS.API.STREAM.{verb}.{anchor_stream(service)}" not in rights


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_subscribes_only_to_its_own_inbox(service):
    assert user(service).subscribe == (f"_INBOX.{service}.>",)
    assert connect_options(
        settings_for(
            service,
            database_url="postgresql+asyncpg://x@h/d",
            nats_url="nats://h:4222",
            keycloak_url="http://k",
            grpc_port=1,
        )
    )["inbox_prefix"] == inbox_prefix(service)


def consumers_run_by() -> dict[str, set[tuple[str, str, str]]]:
    """(stream, durable, subject) of every consumer each consuming service's code declares."""
    return {
        "disclosure": {
            (stream, durable, subject)
            for consumers in (DocumentsConsumer, SupervisionConsumer)
            for stream, durable, subject, _ in consumers(calendar=None, today=None).subscriptions()
        },
        "supervision": {
            (stream, durable, subject)
            for stream, durable, subject, _ in EventConsumers(None, None, None, None).subscriptions()
        },
        "documents": {
            (stream, durable, subject)
            for stream, durable, subject, _ in DocumentsEventConsumers(None, None).subscriptions()
        },
        "notify": {
            (stream, durable, subject)
            for stream, durable, subject, _ in NotifyConsumers(None, frozenset(), "", None).subscriptions()
        },
    }


@pytest.mark.parametrize("service", sorted(consumers_run_by()))
def test_consumer_rights_are_exactly_the_consumers_the_service_runs(service):
    """streams.yaml's consumers (which grant the rights) are the ones the code declares."""
    runs = consumers_run_by()[service]
    declared = {(c.stream, c.name, c.filter) for c in nats_auth.declared_consumers() if c.service == service}
    assert declared == runs
    consumer_rights = [r for r in user(service).publish if r.startswith(("$JS.API.CONSUMER.", "$JS.ACK."))]
    assert sorted(consumer_rights) == sorted(
        right
        for stream, durable, subject in runs
        for right in (
            f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.{subject}",
            f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
            f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
            f"$JS.ACK.{stream}.{durable}.>",
        )
    )


def test_services_that_run_no_consumer_may_consume_nothing():
    for service in set(SERVICES) - set(consumers_run_by()):
        assert not [r for r in user(service).publish if r.startswith(("$JS.API.CONSUMER.", "$JS.ACK."))], (
            service
        )


def test_seed_files_are_private_and_kept_from_run_to_run(tmp_path):
    first = nats_auth.seed_file(tmp_path / "credentials", "org")
    seed = nats_auth.read_seed(first)
    assert seed.startswith("SU") and nats_auth.public_key(seed).startswith("U")
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "credentials").stat().st_mode) == 0o700
    assert nats_auth.read_seed(nats_auth.seed_file(tmp_path / "credentials", "org")) == seed


def test_authorization_block_for_an_operators_nats_names_public_keys_only(capsys, tmp_path):
    nats_auth.main(["seed"])
    seed = capsys.readouterr().out.strip()
    (tmp_path / "documents.nk").write_text(seed + "\n")
    key = nats_auth.public_key(nats_auth.new_seed())
    nats_auth.main(["authorization", f"documents={tmp_path / 'documents.nk'}", f"org={key}"])
    printed = capsys.readouterr().out
    documents, org = json.loads(printed)["authorization"]["users"]
    assert documents["nkey"] == nats_auth.public_key(seed) and org["nkey"] == key and seed not in printed
    assert "documents.>" in documents["permissions"]["publish"]["allow"]
    with pytest.raises(SystemExit, match="public NKEY"):
        nats_auth.main(["authorization", f"documents={seed}"])


def test_a_nats_started_with_other_users_is_not_taken_as_configured(tmp_path):
    """`make up` refuses to go on with a NATS an older `make up` started open (Stack.up)."""
    from deploy.local.servers import Nats

    server = Nats(tmp_path / "nats", 4222, users=[user("org")])
    server.data_dir.mkdir(parents=True)
    assert not server.runs_as_configured()  # no nats.conf: started open
    server.write_config()
    assert server.runs_as_configured()
    assert stat.S_IMODE(server.config_file.stat().st_mode) == 0o600
    assert not Nats(server.data_dir, 4222, users=[user("org")]).runs_as_configured()  # another key
    open_server = Nats(tmp_path / "open", 4222)
    assert open_server.runs_as_configured() and open_server.write_config() is None
