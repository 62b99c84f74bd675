"""The disclosure storylines (政务公开): a policy and its interpretation, the issued notice published from
the queue, an application for information and its reply."""

from __future__ import annotations

import time
from datetime import date

from zgov.disclosure.v1 import applications_pb2 as apps_pb
from zgov.disclosure.v1 import applications_pb2_grpc, publications_pb2_grpc
from zgov.disclosure.v1 import publications_pb2 as pubs_pb

from deploy.local.demo.calls import MARK, Platform, Run, Story, pages, working_days_from
from shared.convert import date_to_proto
from deploy.local.demo.documents import NOTICE_TITLE

POLICY_TITLE = f"{MARK}资阳市促进民营经济发展若干措施"
INTERPRETATION_TITLE = f"《{POLICY_TITLE}》政策解读"
APPLICATION_TEXT = f"{MARK}2026年雁江区老旧小区改造项目清单"


def publications(run: Run, wait_seconds: float = 30) -> Story:
    """A normative policy made three weeks ago, published today together with its interpretation (A37);
    the issued notice, queued by disclosure from documents' event, classified and published."""
    story = Story("disclosure: publications (a policy and its 解读, the issued notice)")
    p = run.platform
    stub = p.stub(publications_pb2_grpc.PublicationServiceStub, "zgov.disclosure.v1.PublicationService")
    policy = _published(p, stub, POLICY_TITLE)
    if policy is None:
        policy = _publish_policy(run, stub, story)
    notice = _published(p, stub, NOTICE_TITLE)
    if notice is None:
        notice = _publish_queued_notice(run, stub, story, wait_seconds)
    story.nothing_to_do = not story.made
    shown = [("the policy", policy)] + [("its interpretation", x) for x in policy.interpretations]
    shown += [("the issued notice", notice)] if notice is not None else []
    for what, publication in shown:
        story.where.append(
            f"{what} on the portal: {p.portal_url}/publications/{publication.id}"
            if p.portal_url
            else f"{what}: publication {publication.id} (GetPublication)"
        )
    return story


def _published(p: Platform, stub, title: str) -> pubs_pb.Publication | None:
    """The published publication of that title, in full (with its interpretations), if any."""
    request = pubs_pb.ListPublicationsRequest()
    for listed in pages(stub.ListPublications, request, p.as_user("disclosure-officer"), "publications"):
        if listed.title == title:
            return stub.GetPublication(
                pubs_pb.GetPublicationRequest(publication_id=listed.id),
                metadata=p.as_user("disclosure-officer"),
            )
    return None


def _publish_queued_notice(run: Run, stub, story: Story, wait_seconds: float) -> pubs_pb.Publication | None:
    """The notice issued as proactively disclosed reaches disclosure's queue by documents' event (article
    26: published within 20 working days); the officer classifies and publishes it."""
    p = run.platform
    deadline = time.monotonic() + wait_seconds
    while True:
        queued = [
            x
            for x in pages(
                stub.ListQueue, pubs_pb.ListQueueRequest(), p.as_user("disclosure-officer"), "publications"
            )
            if x.title == NOTICE_TITLE
        ]
        if queued or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if not queued:
        story.notes.append(f"the issued notice did not reach disclosure's queue within {wait_seconds:.0f} s")
        return None
    published = stub.PublishPublication(
        pubs_pb.PublishPublicationRequest(publication_id=queued[0].id, category=pubs_pb.CATEGORY_LIVELIHOOD),
        metadata=p.as_user("disclosure-officer"),
    )
    story.made.append(
        f"the issued notice {published.document_number}, queued from documents' event, published"
    )
    return published


def _publish_policy(run: Run, stub, story: Story) -> pubs_pb.Publication:
    p, made_on = run.platform, working_days_from(run.today, -15)
    common = dict(
        category=pubs_pb.CATEGORY_RULES_AND_NORMATIVE_DOCUMENTS,
        issuer_code="city-government",
        issuer_name="资阳市人民政府",
        made_on=date_to_proto(made_on),
    )
    policy = stub.CreatePublication(
        pubs_pb.CreatePublicationRequest(
            content=pubs_pb.PublicationContent(
                kind=pubs_pb.PUBLICATION_KIND_POLICY,
                title=POLICY_TITLE,
                body="为进一步优化营商环境，促进民营经济发展壮大，制定如下措施。……",
                normative=True,
                requires_interpretation=True,
                document_number=f"资府规〔{made_on.year}〕9号",
                valid_until=date_to_proto(date(made_on.year + 5, 1, 1)),
                **common,
            )
        ),
        metadata=p.as_user("disclosure-officer"),
    )
    reading = stub.CreatePublication(
        pubs_pb.CreatePublicationRequest(
            content=pubs_pb.PublicationContent(
                kind=pubs_pb.PUBLICATION_KIND_INTERPRETATION,
                policy_id=policy.id,
                title=INTERPRETATION_TITLE,
                body="一、制定背景；二、主要内容；三、适用对象。……",
                **common,
            )
        ),
        metadata=p.as_user("disclosure-officer"),
    )
    published = stub.PublishPublication(
        pubs_pb.PublishPublicationRequest(publication_id=policy.id, interpretation_ids=[reading.id]),
        metadata=p.as_user("disclosure-officer"),
    )
    story.made.append(
        f"policy {POLICY_TITLE} (made {made_on}) and its interpretation, published together today"
    )
    story.notes.append(
        "publishing is today's act (the service dates it); the policy's own date is in the past"
    )
    return published


def application(run: Run) -> Story:
    """An application for information handed in at the counter three weeks ago, answered last week."""
    story = Story("disclosure: an application for information and its reply (依申请公开)")
    p = run.platform
    stub = p.stub(applications_pb2_grpc.ApplicationServiceStub, "zgov.disclosure.v1.ApplicationService")
    found = [
        a
        for a in pages(
            stub.ListApplications,
            apps_pb.ListApplicationsRequest(),
            p.as_user("disclosure-officer"),
            "applications",
        )
        if a.content.description == APPLICATION_TEXT
    ]
    if found:
        story.found(found[0].state == apps_pb.APPLICATION_STATE_REPLIED, "the reply")
        number = found[0].number
    else:
        number = _apply_and_reply(run, stub, story)
    code, portal = run.notes.get("application_query_code"), run.platform.portal_url or "the portal's"
    story.where.append(
        f"the application {number} and its reply letter: {portal}/applications/follow"
        + (f" with query code {code}" if code else " (its query code was printed by the first run)")
    )
    return story


def _apply_and_reply(run: Run, stub, story: Story) -> str:
    p = run.platform
    submitted, replied = working_days_from(run.today, -14), working_days_from(run.today, -4)
    filed = stub.RegisterApplication(
        apps_pb.RegisterApplicationRequest(
            applicant=apps_pb.Applicant(
                kind=apps_pb.APPLICANT_KIND_NATURAL_PERSON,
                name="林市民",
                id_number="513901199001011234",
                phone="13800000000",
                email="lin@example.cn",
            ),
            content=apps_pb.ApplicationContent(
                description=APPLICATION_TEXT, delivery_form=apps_pb.DELIVERY_FORM_ONLINE_DOWNLOAD
            ),
            channel=apps_pb.APPLICATION_CHANNEL_IN_PERSON,
            submitted_on=date_to_proto(submitted),
        ),
        metadata=p.as_user("disclosure-officer"),
    )
    answered = stub.ReplyToApplication(
        apps_pb.ReplyToApplicationRequest(
            application_id=filed.application.id,
            reply=apps_pb.Reply(kind=apps_pb.REPLY_KIND_PROVIDED, provided="项目清单一份，可在门户下载"),
            replied_on=date_to_proto(replied),
        ),
        metadata=p.as_user("disclosure-officer"),
    )
    story.made.append(
        f"application {answered.number} handed in on {submitted}, answered on {replied} ({answered.reply.letter_number})"
    )
    run.notes.put("application_query_code", filed.query_code)
    return answered.number
