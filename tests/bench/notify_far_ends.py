"""The notify bench's far ends, each in a process of its own: the service that publishes the burst and
the SMTP server that takes the e-mails. In notify's process they took the interpreter (one GIL, one
event loop) from notify itself: the publisher's 500 awaited publications took 2.5 s there, sharing the
loop with the consumer and the dispatcher, and the aiosmtpd thread held the GIL for every message it
took, so the figures were the bench's, not notify's. Apart, as in production, they cost notify nothing.

    python -m tests.bench.notify_far_ends smtp PORT           an SMTP server (aiosmtpd) on 127.0.0.1:PORT:
                                                              prints "ready", then "<key> <time>" per message
                                                              taken (the key is the subject's last word), until
                                                              its standard input closes
    python -m tests.bench.notify_far_ends publish URL COUNT   COUNT meetings.topic.refused events back to back
                                                              on NATS at URL, as meetings' relay publishes them;
                                                              prints {key: time published} as JSON

Times are time.time(): one clock for the three processes.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Printing:
    """aiosmtpd handler: one line per message taken, with the moment it was taken."""

    async def handle_DATA(self, server, session, envelope):
        subject = str(message_from_bytes(envelope.content, policy=policy.default)["Subject"])
        sys.stdout.write(f"{subject.rsplit(' ', 1)[-1]} {time.time()}\n")
        sys.stdout.flush()
        return "250 OK"


def smtp(port: int) -> None:
    controller = Controller(Printing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        print("ready", flush=True)
        sys.stdin.read()  # the bench closes it when done (or dies): the server ends with it
    finally:
        controller.stop()


async def publish(url: str, count: int) -> dict[str, float]:
    import nats

    from shared.outbox import MSG_ID_HEADER, build_envelope
    from zgov.meetings.v1 import events_pb2, meetings_pb2

    client = await nats.connect(url)
    js = client.jetstream(timeout=10)
    published: dict[str, float] = {}
    try:
        for n in range(count):
            key = f"t{n}"
            topic = meetings_pb2.Topic(
                id=str(uuid.uuid4()), title=f"议题 {key}", owning_organisation_code="bureau"
            )
            envelope = build_envelope(
                "meetings.topic.refused", events_pb2.TopicRefused(topic=topic), "topic/1"
            )
            published[key] = time.time()
            await js.publish(
                "meetings.topic.refused",
                envelope.SerializeToString(),
                headers={MSG_ID_HEADER: envelope.event_id},
            )
    finally:
        await client.close()
    return published


def main(argv: list[str]) -> int:
    if argv[:1] == ["smtp"] and len(argv) == 2:
        smtp(int(argv[1]))
        return 0
    if argv[:1] == ["publish"] and len(argv) == 3:
        print(json.dumps(asyncio.run(publish(argv[1], int(argv[2])))))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
