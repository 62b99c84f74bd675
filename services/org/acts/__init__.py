"""The acts of the org service (机构与人员), one module per aggregate: portfolios.py (分工, A8, and the A/B
pairs of A59), leave.py (请假/销假, A82, and the stand-in it names, A10, A59), acting.py (the acting
clock's events), duty.py (holiday duty roster, A79), attendance.py (leaders at events, A54, A55,
A59).

An act is one function taking the session, the actor and its typed input (and `snap`, the positions
and holders read from Keycloak, asked before the transaction). It checks the rules (domain.py),
changes the rows (store/), records the act (shared.audit) and adds the event (shared.outbox), all in
the caller's transaction: it never commits. RPCs (api.py) and the acting clock (events.py) call acts.
"""
