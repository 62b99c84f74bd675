"""`make demo`: a month of the city's work (演示数据), made through the public gRPC APIs only.

Each storyline calls the services as the demo users whose positions may make each call, as a
department's system would (the stubs of proto/gen, like the client wheel): meetings with topics and
decisions, a document from filing to issue with its PDF, a policy and its interpretation published,
an application for information and its reply, petitions followed by query code, and the supervision
items the meeting's decisions became.

Idempotent: everything it makes carries the marker 【演示】 in its title (or an idempotency key), and
each storyline first looks for its marker through the list RPCs; found, it changes nothing and says
"nothing to do: the demo month is already there". What is shown only once (a petition's query code, a
calendar feed's address) is kept in <out>/demo.json by the first run and printed again from there.

Dates: the month ends today. Where a service takes a day in the past (a topic handed in on paper, an
application registered at the counter, a petition's letter and its handling), the demo uses it; where
it does not (a meeting is held today or later, a document is signed and issued today), the act is
today, and the printed summary says so.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from deploy.local.demo.calls import MARK, NOTHING_TO_DO, Notes, Platform, Report, Run
from deploy.local.demo.disclosure import application, publications
from deploy.local.demo.documents import documents
from deploy.local.demo.make_up import NotUp, platform_of_make_up
from deploy.local.demo.meetings import meetings
from deploy.local.demo.petitions import petitions
from deploy.local.demo.supervision import supervision
from shared.convert import today_in_china

__all__ = ["MARK", "NOTHING_TO_DO", "NotUp", "Platform", "Report", "platform_of_make_up", "run_demo"]


STORYLINES = (meetings, documents, publications, application, petitions, supervision)


def run_demo(platform: Platform, out_dir: Path, today: date | None = None) -> Report:
    """Every storyline in order (supervision last: its items come from the meeting's decisions)."""
    run = Run(platform, out_dir, today or today_in_china(), Notes(out_dir))
    try:
        return Report([storyline(run) for storyline in STORYLINES])
    finally:
        platform.close()
