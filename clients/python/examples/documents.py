"""documents: the documents past their handling limit (A53), the list a secretary chases every morning."""

import grpc
from _run import channel_from_environment

from zgov.documents.v1 import documents_pb2, documents_pb2_grpc


def run(channel: grpc.Channel) -> str:
    documents = documents_pb2_grpc.DocumentsServiceStub(channel)
    overdue = documents.ListDocuments(documents_pb2.ListDocumentsRequest(overdue_only=True))
    numbers = [d.document_number or d.title for d in overdue.documents]
    return f"{len(numbers)} documents overdue: {', '.join(numbers) or 'none'}"


if __name__ == "__main__":
    print(run(channel_from_environment()))
