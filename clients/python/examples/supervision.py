"""supervision: the open items (督办事项) a body leads or helps with, with their colour and due day."""

import grpc
from _run import channel_from_environment

from zgov.supervision.v1 import supervision_pb2, supervision_pb2_grpc


def run(channel: grpc.Channel) -> str:
    supervision = supervision_pb2_grpc.SupervisionServiceStub(channel)
    items = supervision.ListItems(supervision_pb2.ListItemsRequest(open_only=True))
    listed = [f"{i.number} {supervision_pb2.Colour.Name(i.colour)}" for i in items.items]
    return f"{len(listed)} open items: {', '.join(listed) or 'none'}"


if __name__ == "__main__":
    print(run(channel_from_environment()))
