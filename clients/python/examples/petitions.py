"""petitions: cases received per month (aggregates only: no petitioner is ever named in statistics)."""

import grpc
from _run import channel_from_environment

from zgov.petitions.v1 import petitions_pb2, petitions_pb2_grpc


def run(channel: grpc.Channel) -> str:
    petitions = petitions_pb2_grpc.PetitionsServiceStub(channel)
    figures = petitions.GetStatistics(
        petitions_pb2.GetStatisticsRequest(dimension=petitions_pb2.STATISTICS_DIMENSION_MONTH)
    )
    rows = ", ".join(f"{row.key}: {row.received}" for row in figures.rows)
    return f"cases by month as of {figures.as_of.year}-{figures.as_of.month:02d}-{figures.as_of.day:02d}: {rows or 'none'}"


if __name__ == "__main__":
    print(run(channel_from_environment()))
