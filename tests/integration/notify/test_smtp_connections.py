"""The e-mail channel's kept connections (services/notify/channels/smtp.py) against a real SMTP server
(aiosmtpd) that records every connection, command and message: a burst goes over a few connections,
idle and worn-out connections are closed with QUIT, a connection the server closed is replaced and its
message sent once, a refusal is a SendFailed that leaves nothing behind, and an address that would
inject a header or a command is refused before anything is sent."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from email import message_from_bytes, policy

import pytest

from deploy.local.servers import free_port
from services.notify.channels import Message, SendFailed
from services.notify.channels.email import EmailSender
from tests.fixtures.polling import eventually
from tests.integration.notify.conftest import smtp_server

pytestmark = pytest.mark.integration


@dataclass
class Server:
    """aiosmtpd handler: messages with the connection (peer) they came on; QUITs; scripted refusals."""

    messages: list[dict] = field(default_factory=list)
    quits: list[tuple] = field(default_factory=list)
    # the n-th MAIL of every connection after its first (n = 2, 3, ...) answered with this, e.g. a 421
    refuse_reused_mail: str = ""
    refuse_mail: str = ""  # every MAIL answered with this
    refuse_recipient: str = ""  # RCPT of this address answered 550
    mails_per_peer: dict = field(default_factory=dict)

    async def handle_MAIL(self, server, session, envelope, address, options):
        seen = self.mails_per_peer.get(session.peer, 0) + 1
        self.mails_per_peer[session.peer] = seen
        if self.refuse_reused_mail and seen > 1:
            return self.refuse_reused_mail
        if self.refuse_mail:
            return self.refuse_mail
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address == self.refuse_recipient:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(
            {
                "peer": session.peer,
                "to": list(envelope.rcpt_tos),
                "header_to": str(mail["To"]),
                "from": str(mail["From"]),
                "subject": str(mail["Subject"]),
                "body": mail.get_body(("plain",)).get_content(),
                "headers": list(mail.keys()),
            }
        )
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):
        self.quits.append(session.peer)
        return "221 Bye"

    def peers(self) -> set:
        return {m["peer"] for m in self.messages}


@pytest.fixture
def smtp():
    with smtp_server(Server()) as server:
        yield server


def sender_to(server: Server, **kw) -> EmailSender:
    return EmailSender("127.0.0.1", server.port, "资阳市人民政府 <notify@ziyang.example>", **kw)


def note(n: int) -> Message:
    return Message(
        f"会议通知 {n}", f"第{n}次常务会议定于明日召开。", f"https://oa.ziyang.example/meetings/{n}"
    )


async def test_a_burst_goes_over_at_most_the_pools_connections_each_carrying_many_messages(smtp):
    email = sender_to(smtp, connections=3)
    try:
        await asyncio.gather(*(email.send(f"user{n}@ziyang.example", note(n)) for n in range(30)))
    finally:
        await email.aclose()
    assert sorted(m["subject"] for m in smtp.messages) == sorted(f"会议通知 {n}" for n in range(30))
    assert email.pool.opened <= 3 and len(smtp.peers()) == email.pool.opened
    # each message to its own address, the display name of the sender kept, the body in UTF-8
    first = next(m for m in smtp.messages if m["subject"] == "会议通知 7")
    assert first["to"] == ["user7@ziyang.example"] and first["header_to"] == "user7@ziyang.example"
    assert first["from"] == "资阳市人民政府 <notify@ziyang.example>"
    assert first["body"].startswith("会议通知 7\n第7次常务会议定于明日召开。")
    assert {"Date", "Message-ID"} <= set(first["headers"])
    # closed politely at the end
    await eventually(lambda: len(smtp.quits) == email.pool.opened)


async def test_one_after_another_the_messages_share_one_connection(smtp):
    email = sender_to(smtp)
    try:
        for n in range(5):
            await email.send("clerk@ziyang.example", note(n))
        assert email.pool.opened == 1 and email.pool.kept == 1
    finally:
        await email.aclose()
    assert len(smtp.messages) == 5 and len(smtp.peers()) == 1


async def test_an_idle_connection_is_closed_with_quit_and_the_next_message_opens_a_new_one(smtp):
    email = sender_to(smtp, idle_seconds=0.2)
    try:
        await email.send("clerk@ziyang.example", note(1))
        await eventually(lambda: smtp.quits)  # closed by the pool's reaper, nothing else sent
        assert email.pool.kept == 0
        await email.send("clerk@ziyang.example", note(2))
        assert email.pool.opened == 2
    finally:
        await email.aclose()
    assert [m["subject"] for m in smtp.messages] == ["会议通知 1", "会议通知 2"]
    assert len(smtp.peers()) == 2


async def test_a_connection_is_replaced_after_its_messages_per_connection(smtp):
    email = sender_to(smtp, messages_per_connection=3)
    try:
        for n in range(7):
            await email.send("clerk@ziyang.example", note(n))
    finally:
        await email.aclose()
    assert email.pool.opened == 3
    assert sorted(smtp.mails_per_peer.values()) == [1, 3, 3]


async def test_a_kept_connection_the_server_closes_is_replaced_and_the_message_sent_once(smtp):
    """The server ends a kept connection with 421 (its idle timeout, a restart): the message goes at
    once over a new connection, once."""
    email = sender_to(smtp)
    try:
        await email.send("clerk@ziyang.example", note(1))
        smtp.refuse_reused_mail = "421 4.4.2 idle too long, closing"
        await email.send("clerk@ziyang.example", note(2))
    finally:
        await email.aclose()
    assert [m["subject"] for m in smtp.messages] == ["会议通知 1", "会议通知 2"]
    assert email.pool.opened == 2 and len(smtp.peers()) == 2


async def test_a_421_on_a_new_connection_is_a_failure_not_tried_again(smtp):
    """Only a kept connection's failure is taken for a server that went away: a new connection's 421 is
    the server refusing now, and the dispatcher retries it later with backoff."""
    smtp.refuse_mail = "421 4.3.2 busy"
    email = sender_to(smtp)
    try:
        with pytest.raises(SendFailed, match="421"):
            await email.send("clerk@ziyang.example", note(1))
    finally:
        await email.aclose()
    assert email.pool.opened == 1 and email.pool.kept == 0 and smtp.messages == []


async def test_a_refused_recipient_is_a_send_failure_and_the_connection_is_not_reused(smtp):
    smtp.refuse_recipient = "gone@ziyang.example"
    email = sender_to(smtp)
    try:
        with pytest.raises(SendFailed, match="550"):
            await email.send("gone@ziyang.example", note(1))
        assert email.pool.kept == 0
        await email.send("clerk@ziyang.example", note(2))
    finally:
        await email.aclose()
    assert [m["to"] for m in smtp.messages] == [["clerk@ziyang.example"]]
    assert email.pool.opened == 2


@pytest.mark.parametrize(
    "address",
    [
        "clerk@ziyang.example\r\nBcc: everyone@ziyang.example",
        "clerk@ziyang.example> NOTIFY=NEVER",
        "a b@ziyang.example",
        "<clerk@ziyang.example>",
        "Clerk <clerk@ziyang.example>",
    ],
)
async def test_an_address_that_would_inject_a_header_or_a_command_is_refused_and_nothing_sent(smtp, address):
    email = sender_to(smtp)
    try:
        with pytest.raises(SendFailed, match="not an e-mail address"):
            await email.send(address, note(1))
    finally:
        await email.aclose()
    assert smtp.messages == [] and email.pool.opened == 0


async def test_an_unreachable_server_is_a_send_failure():
    email = EmailSender("127.0.0.1", free_port(), "notify@ziyang.example", timeout=2)
    with pytest.raises(SendFailed, match="SMTP 127.0.0.1"):
        await email.send("clerk@ziyang.example", note(1))
    assert email.pool.opened == 0 and email.pool.kept == 0
