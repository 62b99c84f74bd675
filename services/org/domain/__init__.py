"""The working rules the `org` service owns, as plain functions (no I/O), by part: common.py (position
names), leave.py, portfolios.py, attendance.py. Everything is re-exported here:
`from services.org import domain`. The rules of receptions (A56) and trips abroad (A57, A58) are
modules of their own, imported as such: `from services.org.domain import receptions, trips`.

A8   portfolios (分管): each department is overseen by one leader; routing follows it.
A10  while the mayor is abroad, studying full-time or on leave, the executive vice
     mayor acts as mayor (代行).
A59  vice mayors paired as A/B roles (互为AB角) stand in for each other.
A79  on statutory holidays other than weekends a city leader is on duty (带班).
A82  leave (请销假): the mayor and the executive vice mayor are not away at the same
     time unless an explicit override with a reason is given.
A54  a county or department asks in advance for a city leader to attend an event (政务活动);
     the office reviews, the leader decides; foreign-affairs events are filed (备案) with
     市经济合作和外事局.
A55  ceremonies, celebrations, expos, seminars and forums need the approval of the city
     party committee and government; county and department festivities are, as a rule,
     not attended; no photo session with delegates without approval.
A59  (first half) a vice mayor who cannot attend: the office asks another leader instead.
"""

from services.org.domain.common import (  # noqa: F401
    MAYOR,
    EXECUTIVE_VICE_MAYOR,
    VICE_MAYOR,
    SECRETARY_GENERAL,
    PORTFOLIO_POSITIONS,
    DUTY_POSITIONS,
)
from services.org.domain.leave import (  # noqa: F401
    LeaveKind,
    LeaveState,
    A10_ABSENCES,
    LIVE_STATES,
    Absence,
    check_leave_request,
    leave_end_outcome,
    both_top_leaders_away,
    check_both_away,
    ActingAnswer,
    stand_in_for,
    who_may_act,
    StandInGap,
    stand_in_gaps,
)
from services.org.domain.portfolios import (  # noqa: F401
    ab_partner,
    check_ab_pair,
    check_portfolio,
    portfolio_holder,
    check_duty_assignment,
    uncovered_duty_days,
)
from services.org.domain.attendance import (  # noqa: F401
    CITY_LEADER_POSITIONS,
    MIN_DAYS_IN_ADVANCE,
    ActivityKind,
    APPROVAL_KINDS,
    FESTIVITY_KINDS,
    COUNTY_OR_DEPARTMENT,
    AttendanceState,
    AttendanceRequest,
    check_attendance_request,
    check_in_advance,
    check_not_passed,
    check_outcome,
    leader_position,
    check_city_leader,
    check_approval,
    check_county_festivity,
    check_photo_session,
    check_forward,
    attendance_decider,
    check_reassignment,
)
