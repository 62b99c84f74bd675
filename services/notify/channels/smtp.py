"""Kept SMTP connections (连接复用): a burst of e-mails goes over a few open connections, not one
connection per message.

A new connection costs the TCP handshake, the server's greeting, EHLO (and STARTTLS and AUTH where
configured) and QUIT around the message: four to seven round trips and a TLS handshake, before and
after the three (MAIL, RCPT, DATA) the message itself needs, and the server's work for each. Kept, a
connection carries message after message.

- At most `size` connections are open, each carrying one message at a time; a sender waits for one.
- A connection idle for `idle_seconds` is closed (QUIT), as mail clients do (Postfix keeps one 2 s):
  a quiet service holds none of the server's connection slots.
- After `messages_per_connection` messages a connection is closed and a new one opened: servers
  limit what one connection may carry.
- A connection on which anything failed is closed, never reused (its state is unknown).
- A kept connection the server closed meanwhile (its idle timeout, a restart: the message fails with
  a disconnection or a 421) is replaced and the message tried once more at once, on a new connection.
  Should the server have taken the message before the connection broke, it arrives twice: the same
  at-least-once rule as the dispatcher's retries (acts/dispatch.py), never a lost message.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message

import aiosmtplib

# What a connection the server closed while it was kept looks like when it is used again.
GONE = (aiosmtplib.SMTPServerDisconnected, ConnectionError, BrokenPipeError)
SERVICE_CLOSING = 421  # "service not available, closing transmission channel" (RFC 5321 3.8)


def server_went_away(exc: BaseException) -> bool:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code == SERVICE_CLOSING
    return isinstance(exc, GONE)


@dataclass
class Kept:
    client: aiosmtplib.SMTP
    messages: int = 0
    idle_since: float = 0.0


@dataclass
class SmtpPool:
    """Connections to one SMTP server, opened by `open_client` (an unconnected aiosmtplib.SMTP)."""

    open_client: Callable[[], aiosmtplib.SMTP]
    size: int = 4
    idle_seconds: float = 10.0
    messages_per_connection: int = 100
    clock: Callable[[], float] = time.monotonic
    _idle: list[Kept] = field(default_factory=list)
    _slots: asyncio.Semaphore | None = None
    _closing: set[asyncio.Task] = field(default_factory=set)
    _reaper: asyncio.TimerHandle | None = None
    opened: int = 0  # connections opened so far (the tests and the bench read it)

    async def send(self, mail: Message, sender: str, recipient: str) -> None:
        """`mail` to `recipient` over a kept connection (or a new one); raises what aiosmtplib raised."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        async with self._slots:
            kept = self._take()
            if kept is None:
                kept = await self._connect()
            elif not kept.client.is_connected:  # the server closed it and we saw it go
                self._close(kept)
                kept = await self._connect()
            try:
                await kept.client.send_message(mail, sender=sender, recipients=[recipient])
            except Exception as exc:
                self._close(kept)
                if kept.messages == 0 or not server_went_away(exc):
                    raise
                kept = await self._connect()  # once more, on a new connection
                try:
                    await kept.client.send_message(mail, sender=sender, recipients=[recipient])
                except BaseException:
                    self._close(kept)
                    raise
            except BaseException:  # cancelled mid-message: the connection's state is unknown
                self._close(kept)
                raise
            self._give_back(kept)

    def _take(self) -> Kept | None:
        """The most recently used connection still fit to carry a message; stale ones are closed."""
        now = self.clock()
        while self._idle:
            kept = self._idle.pop()
            if now - kept.idle_since < self.idle_seconds:
                return kept
            self._close(kept)
        return None

    async def _connect(self) -> Kept:
        client = self.open_client()
        try:
            await client.connect()
        except BaseException:
            client.close()
            raise
        self.opened += 1
        return Kept(client)

    def _give_back(self, kept: Kept) -> None:
        kept.messages += 1
        if kept.messages >= self.messages_per_connection:
            self._close(kept)
            return
        kept.idle_since = self.clock()
        self._idle.append(kept)
        if self._reaper is None:
            self._reaper = asyncio.get_running_loop().call_later(self.idle_seconds, self._reap)

    def _reap(self) -> None:
        """Close the connections idle for `idle_seconds`; look again later while some are kept."""
        self._reaper = None
        now = self.clock()
        for kept in [k for k in self._idle if now - k.idle_since >= self.idle_seconds]:
            self._idle.remove(kept)
            self._close(kept)
        if self._idle:
            oldest = min(k.idle_since for k in self._idle)
            wait = max(0.05, oldest + self.idle_seconds - now)
            self._reaper = asyncio.get_running_loop().call_later(wait, self._reap)

    def _close(self, kept: Kept) -> None:
        """QUIT in the background (the server is told politely), or just close a broken connection."""
        if not kept.client.is_connected:
            kept.client.close()
            return
        task = asyncio.create_task(_quit(kept.client))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        """Close every kept connection (the service stopping)."""
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        while self._idle:
            self._close(self._idle.pop())
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    @property
    def kept(self) -> int:
        return len(self._idle)


async def _quit(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        await client.quit(timeout=5)
    client.close()
