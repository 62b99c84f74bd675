"""What the portal shows of a response to a public concern (A70) and of a draft's account of comments
(A22), pure: Beijing time, Chinese labels, and nothing but what the service made public."""

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from services.portal import disclosure_views as dv
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import publications_pb2 as pb


def stamp(value: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(value)
    return t


def test_A70_a_response_shows_its_concern_in_beijing_time():
    p = pb.Publication(
        id="x",
        kind=pb.PUBLICATION_KIND_CONCERN_RESPONSE,
        title="关于……的回应",
        concern=pb.ConcernFacts(
            source=pb.CONCERN_SOURCE_HOTLINE,
            summary="市民反映路灯不亮",
            first_seen_at=stamp(datetime(2026, 11, 25, 23, 30, tzinfo=UTC)),
            responded_at=stamp(datetime(2026, 11, 26, 2, 5, tzinfo=UTC)),
            department_name="资阳市城市管理局",
        ),
    )
    shown = dv.publication(p)
    assert shown["kind"] == "回应关切" and "responses" in dv.KIND_PAGES
    assert shown["concern"] == {
        "source": "12345 热线",
        "summary": "市民反映路灯不亮",
        "first_seen_at": "2026-11-26 07:30",
        "responded_at": "2026-11-26 10:05",
        "department": "资阳市城市管理局",
    }
    assert dv.publication(pb.Publication(id="y"))["concern"] is None


def test_A22_the_account_of_comments_only_when_published():
    draft = pb.Publication(id="d", kind=pb.PUBLICATION_KIND_COMMENT_DRAFT)
    assert dv.publication(draft)["comment_feedback"] is None
    draft.comment_feedback.CopyFrom(
        pb.CommentFeedback(
            summary="共收到意见3条……",
            received=3,
            adopted=1,
            partly_adopted=1,
            not_adopted=1,
            version=2,
            published_on=common_pb2.Date(year=2026, month=11, day=20),
        )
    )
    assert dv.publication(draft)["comment_feedback"] == {
        "summary": "共收到意见3条……",
        "received": 3,
        "adopted": 1,
        "partly_adopted": 1,
        "not_adopted": 1,
        "published_on": "2026-11-20",
        "version": 2,
    }


def test_an_issuer_without_a_name_shows_its_code():
    assert dv.issuer(pb.Issuer(code="finance-bureau", count=3)) == {
        "code": "finance-bureau",
        "name": "finance-bureau",
        "count": 3,
    }
