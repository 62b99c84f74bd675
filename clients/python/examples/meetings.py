"""meetings: the executive meetings (常务会议) on the caller's calendar, newest first."""

import grpc
from _run import channel_from_environment

from zgov.meetings.v1 import meetings_pb2, meetings_pb2_grpc


def run(channel: grpc.Channel) -> str:
    meetings = meetings_pb2_grpc.MeetingsServiceStub(channel)
    page = meetings.ListMeetings(meetings_pb2.ListMeetingsRequest(kind=meetings_pb2.MEETING_KIND_EXECUTIVE))
    titles = [m.title for m in page.meetings]
    return f"{len(titles)} executive meetings: {', '.join(titles) or 'none yet'}"


if __name__ == "__main__":
    print(run(channel_from_environment()))
