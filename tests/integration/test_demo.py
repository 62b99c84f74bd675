"""`make demo` (deploy/local/demo/) against the whole platform in-process: the first run makes the
month through the public APIs, the second finds it and changes nothing, and says so per storyline.

The portal is left out (it is an HTTP front over disclosure and petitions): the demo only prints its
pages, and here the checks go to the gRPC services behind them.
"""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest
from zgov.disclosure.v1 import (
    applications_pb2,
    applications_pb2_grpc,
    publications_pb2,
    publications_pb2_grpc,
)
from zgov.documents.v1 import documents_pb2, documents_pb2_grpc
from zgov.meetings.v1 import meetings_pb2, meetings_pb2_grpc
from zgov.petitions.v1 import petitions_pb2, petitions_pb2_grpc
from zgov.supervision.v1 import supervision_pb2, supervision_pb2_grpc

from deploy.local.demo import MARK, NOTHING_TO_DO, Platform, run_demo
from deploy.local.demo.disclosure import POLICY_TITLE
from deploy.local.demo.documents import NOTICE_TITLE
from deploy.local.demo.meetings import MEETING_TITLE
from tests.fixtures.keycloak import CallsAsPeople

pytestmark = pytest.mark.integration


class Looking(CallsAsPeople):
    """Reads through the same public APIs, to see what the demo made."""

    def __init__(self, keycloak, whole_platform):
        super().__init__(keycloak)
        self.platform = whole_platform
        self.channels: list[grpc.aio.Channel] = []

    def stub(self, stub_class, service: str):
        channel = grpc.aio.insecure_channel(self.platform.address_of(service))
        self.channels.append(channel)
        return stub_class(channel)


async def counts(look: Looking) -> dict[str, int]:
    """How many of each thing the platform holds (lists of the officers who see them all)."""
    meetings = look.stub(meetings_pb2_grpc.MeetingsServiceStub, "zgov.meetings.v1.MeetingsService")
    documents = look.stub(documents_pb2_grpc.DocumentsServiceStub, "zgov.documents.v1.DocumentsService")
    publications = look.stub(
        publications_pb2_grpc.PublicationServiceStub, "zgov.disclosure.v1.PublicationService"
    )
    applications = look.stub(
        applications_pb2_grpc.ApplicationServiceStub, "zgov.disclosure.v1.ApplicationService"
    )
    petitions = look.stub(petitions_pb2_grpc.PetitionsServiceStub, "zgov.petitions.v1.PetitionsService")
    supervision = look.stub(
        supervision_pb2_grpc.SupervisionServiceStub, "zgov.supervision.v1.SupervisionService"
    )
    listed = {
        "meetings": await meetings.ListMeetings(
            meetings_pb2.ListMeetingsRequest(), metadata=look.as_user("mayor")
        ),
        "topics": await meetings.ListTopics(
            meetings_pb2.ListTopicsRequest(), metadata=look.as_user("office-staff")
        ),
        "documents": await documents.ListDocuments(
            documents_pb2.ListDocumentsRequest(), metadata=look.as_user("office-staff")
        ),
        "publications": await publications.ListPublications(
            publications_pb2.ListPublicationsRequest(), metadata=look.as_user("disclosure-officer")
        ),
        "applications": await applications.ListApplications(
            applications_pb2.ListApplicationsRequest(), metadata=look.as_user("disclosure-officer")
        ),
        "cases": await petitions.ListCases(
            petitions_pb2.ListCasesRequest(), metadata=look.as_user("petition-officer")
        ),
        "items": await supervision.ListItems(
            supervision_pb2.ListItemsRequest(), metadata=look.as_user("supervision-officer")
        ),
    }
    fields = {"documents": "documents", "publications": "publications", "applications": "applications"}
    return {name: len(getattr(reply, fields.get(name, name))) for name, reply in listed.items()}


async def test_demo_makes_a_month_once_and_a_second_run_changes_nothing(whole_platform, keycloak, tmp_path):
    look = Looking(keycloak, whole_platform)
    try:
        first = await asyncio.to_thread(
            run_demo, Platform(whole_platform.address_of, keycloak.token_for), tmp_path
        )
        print("\n".join(first.lines()))  # what `make demo` prints (pytest -s shows it)
        assert first.changed and not [s.name for s in first.stories if s.nothing_to_do]
        assert not [note for s in first.stories for note in s.notes if "within" in note]  # nothing timed out
        await what_the_first_run_made(look, tmp_path)
        before = await counts(look)
        assert before["meetings"] == 2 and before["cases"] == 2 and before["items"] == 2

        second = await asyncio.to_thread(
            run_demo, Platform(whole_platform.address_of, keycloak.token_for), tmp_path
        )
        assert not second.changed and [s.nothing_to_do for s in second.stories] == [True] * len(
            second.stories
        )
        printed = "\n".join(second.lines())
        assert printed.count(NOTHING_TO_DO) == len(second.stories)
        assert "part-way" not in printed  # the first run was whole
        assert await counts(look) == before
        # where to look is printed again: the PDF, the query code, the feeds kept from the first run
        notes = json.loads((tmp_path / "demo.json").read_text())
        assert notes["petition_query_code"] in printed and notes["mayor_calendar_feed"] in printed
        assert str(next(tmp_path.glob("*.pdf"))) in printed
    finally:
        for channel in look.channels:
            await channel.close()


async def what_the_first_run_made(look: Looking, out) -> None:
    meetings = look.stub(meetings_pb2_grpc.MeetingsServiceStub, "zgov.meetings.v1.MeetingsService")
    (held,) = (
        await meetings.ListMeetings(
            meetings_pb2.ListMeetingsRequest(title_contains=MEETING_TITLE), metadata=look.as_user("mayor")
        )
    ).meetings[:1]
    assert held.state == meetings_pb2.MEETING_STATE_CLOSED
    decisions = await meetings.ListDecisions(
        meetings_pb2.ListDecisionsRequest(meeting_id=held.id), metadata=look.as_user("office-staff")
    )
    assert len(decisions.decisions) == 2

    documents = look.stub(documents_pb2_grpc.DocumentsServiceStub, "zgov.documents.v1.DocumentsService")
    listed = await documents.ListDocuments(
        documents_pb2.ListDocumentsRequest(state=documents_pb2.DOCUMENT_STATE_ISSUED),
        metadata=look.as_user("office-staff"),
    )
    (issued,) = [d for d in listed.documents if d.content.title.startswith(MARK)]
    rendered = await documents.RenderDocument(
        documents_pb2.RenderDocumentRequest(document_id=issued.id), metadata=look.as_user("office-staff")
    )
    assert rendered.pdf.startswith(b"%PDF") and (out / rendered.file_name).read_bytes() == rendered.pdf

    publications = look.stub(
        publications_pb2_grpc.PublicationServiceStub, "zgov.disclosure.v1.PublicationService"
    )
    search = await publications.ListPublications(
        publications_pb2.ListPublicationsRequest(), metadata=look.as_user("citizen")
    )
    (policy,) = [x for x in search.publications if x.title == POLICY_TITLE]
    seen = await publications.GetPublication(
        publications_pb2.GetPublicationRequest(publication_id=policy.id), metadata=look.as_user("citizen")
    )
    assert [x.state for x in seen.interpretations] == [publications_pb2.PUBLICATION_STATE_PUBLISHED]
    (notice,) = [x for x in search.publications if x.title == NOTICE_TITLE]  # queued by documents' event
    assert notice.document_number == issued.document_number

    applications = look.stub(
        applications_pb2_grpc.ApplicationServiceStub, "zgov.disclosure.v1.ApplicationService"
    )
    (application,) = (
        await applications.ListApplications(
            applications_pb2.ListApplicationsRequest(), metadata=look.as_user("disclosure-officer")
        )
    ).applications
    assert application.state == applications_pb2.APPLICATION_STATE_REPLIED

    petitions = look.stub(petitions_pb2_grpc.PetitionsServiceStub, "zgov.petitions.v1.PetitionsService")
    code = json.loads((out / "demo.json").read_text())["petition_query_code"]
    followed = await petitions.FollowCase(
        petitions_pb2.FollowCaseRequest(query_code=code), metadata=look.as_user("citizen")
    )
    assert followed.title.startswith(MARK)

    supervision = look.stub(
        supervision_pb2_grpc.SupervisionServiceStub, "zgov.supervision.v1.SupervisionService"
    )
    items = (
        await supervision.ListItems(
            supervision_pb2.ListItemsRequest(), metadata=look.as_user("supervision-officer")
        )
    ).items
    refs = {f"decision/{d.id}" for d in decisions.decisions}
    assert {i.source.ref for i in items} == refs
    (education,) = [i for i in items if i.lead_body_code == "education-bureau"]
    assert education.state != supervision_pb2.ITEM_STATE_ASSIGNED and len(education.reports) == 1
