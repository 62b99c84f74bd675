"""disclosure: search the published government information, as the portal's search box does."""

import grpc
from _run import channel_from_environment

from zgov.disclosure.v1 import publications_pb2, publications_pb2_grpc


def run(channel: grpc.Channel) -> str:
    publications = publications_pb2_grpc.PublicationServiceStub(channel)
    found = publications.SearchPublications(publications_pb2.SearchPublicationsRequest(query="教育"))
    return f"'教育': {len(found.hits)} publications ({', '.join(h.publication.title for h in found.hits) or 'none'})"


if __name__ == "__main__":
    print(run(channel_from_environment()))
