"""org: who may act for the mayor right now (A10: the executive vice mayor while the mayor is away)."""

import grpc
from _run import channel_from_environment

from zgov.org.v1 import org_pb2, org_pb2_grpc
from zgov_client import error_info


def run(channel: grpc.Channel) -> str:
    org = org_pb2_grpc.OrgServiceStub(channel)
    answer = org.WhoMayAct(org_pb2.WhoMayActRequest(position="mayor"))
    line = f"mayor: {answer.acting_user_id} may act ({answer.basis})"
    try:  # a refusal explains itself: the reason a program can test, and what was wrong
        org.WhoMayAct(org_pb2.WhoMayActRequest(position="emperor"))
    except grpc.RpcError as error:
        line += f"; 'emperor' → {error.code().name} {error_info(error) or error.details()}"
    return line


if __name__ == "__main__":
    print(run(channel_from_environment()))
