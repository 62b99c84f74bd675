"""notify: the caller's own notification preferences (channels per kind of message, quiet hours, digest)."""

import grpc
from _run import channel_from_environment

from zgov.notify.v1 import notify_pb2, notify_pb2_grpc


def run(channel: grpc.Channel) -> str:
    notify = notify_pb2_grpc.NotifyServiceStub(channel)
    mine = notify.GetMyPreferences(notify_pb2.GetMyPreferencesRequest())
    quiet = f"{mine.quiet_start}–{mine.quiet_end}" if mine.quiet_start else "none"
    return f"my preferences: {len(mine.channels)} kinds set, quiet hours {quiet}, daily digest {mine.daily_digest}"


if __name__ == "__main__":
    print(run(channel_from_environment()))
